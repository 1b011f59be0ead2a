//! The `herald` binary: parses the command line and hands over to the library.

use clap::Parser;
use std::process::ExitCode;

/// mimalloc instead of glibc malloc: the allocator was about a fifth of
/// Herald's CPU under delivery load with glibc (BENCHMARKS.md has the
/// figures). Arena memory is committed as it is used (`.cargo/config.toml`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("HERALD_LOG").unwrap_or_else(|_| "warn".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // HERALD_LOG_FORMAT: `text` (the default, for a terminal) or `json`
    // (one object per line, for a log pipeline).
    match std::env::var("HERALD_LOG_FORMAT").as_deref() {
        Err(_) | Ok("") | Ok("text") => logs.init(),
        Ok("json") => logs
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        Ok(other) => {
            eprintln!("error: HERALD_LOG_FORMAT={other:?}: expected `text` or `json`");
            return ExitCode::from(2);
        }
    }
    let cli = herald::cli::Cli::parse();
    match herald::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}
