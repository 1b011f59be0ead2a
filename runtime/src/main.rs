//! The `herald` binary: parses the command line and hands over to the library.

use clap::Parser;
use std::process::ExitCode;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::Layer as _;

/// mimalloc instead of glibc malloc: the allocator was about a fifth of
/// Herald's CPU under delivery load with glibc (BENCHMARKS.md has the
/// figures). Arena memory is committed as it is used (`.cargo/config.toml`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Traces, when an OTLP endpoint is configured (flushed when dropped,
    // at the end of main).
    let telemetry = match herald::telemetry::Telemetry::from_env() {
        Ok(telemetry) => telemetry,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut filter =
        tracing_subscriber::EnvFilter::try_from_env("HERALD_LOG").unwrap_or_else(|_| "warn".into());
    if telemetry.is_some() {
        // Log lines inside an event's trace name its trace and span ids.
        if let Ok(directive) = "herald::trace=info".parse() {
            filter = filter.add_directive(directive);
        }
    }
    // HERALD_LOG_FORMAT: `text` (the default, for a terminal) or `json`
    // (one object per line, for a log pipeline).
    let json = match std::env::var("HERALD_LOG_FORMAT").as_deref() {
        Err(_) | Ok("") | Ok("text") => false,
        Ok("json") => true,
        Ok(other) => {
            eprintln!("error: HERALD_LOG_FORMAT={other:?}: expected `text` or `json`");
            return ExitCode::from(2);
        }
    };
    match &telemetry {
        // Without traces, the subscriber is exactly the plain one: one
        // global filter, no layer that could widen callsite interest.
        None => {
            let logs = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr);
            if json {
                logs.json()
                    .with_current_span(true)
                    .with_span_list(false)
                    .init();
            } else {
                logs.init();
            }
        }
        Some(t) => {
            let logs = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
            let logs = if json {
                logs.json()
                    .with_current_span(true)
                    .with_span_list(false)
                    .boxed()
            } else {
                logs.boxed()
            };
            tracing_subscriber::registry()
                .with(logs.with_filter(filter))
                .with(t.layer())
                .init();
        }
    }
    let cli = herald::cli::Cli::parse();
    let code = match herald::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    };
    drop(telemetry);
    code
}
