//! The `herald` command line. `main` parses with [`Cli`] and calls [`run`];
//! each subcommand lives in its own module.

mod api_call;
pub mod health;
pub mod plugin;
mod plugin_build;
mod plugin_build_rust;
mod plugin_cases;
mod plugin_dry_run;
mod plugin_io;
mod plugin_new;
mod plugin_templates;
pub mod secrets;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Herald: a WebAssembly-extensible webhook delivery runtime.
#[derive(Debug, Parser)]
#[command(name = "herald", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Inspect and run plugins locally (the plugin author's test loop).
    #[command(subcommand)]
    Plugin(plugin::PluginCommand),
    /// Run Herald: the API, the delivery workers and the retry scheduler.
    Serve(ServeArgs),
    /// Ask a running Herald whether it is ready (`/readyz`): exit 0 when it
    /// answers 200, 1 otherwise (a container `HEALTHCHECK` without curl).
    Health(health::HealthArgs),
    /// The master key that seals webhook secrets in Redis: re-seal
    /// everything under a new one, or make one.
    #[command(subcommand)]
    Secrets(secrets::SecretsCommand),
}

/// Arguments of `herald serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// A TOML settings file; `HERALD_*` environment variables override it.
    #[arg(long)]
    pub config: Option<std::path::PathBuf>,
    /// Which parts to run in this process.
    #[arg(long, value_enum, default_value = "all")]
    pub role: crate::serve::Role,
}

/// Errors the CLI reports before exiting non-zero.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A file could not be read or parsed.
    #[error("{path}: {message}")]
    Input {
        /// The file.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// The plugin could not be loaded.
    #[error("{path} is not a usable Herald plugin: {source}")]
    Load {
        /// The file.
        path: String,
        /// Why.
        source: crate::plugin::LoadError,
    },
    /// The engine could not start.
    #[error(transparent)]
    Engine(#[from] crate::plugin::EngineError),
    /// The settings are unusable.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The server could not start.
    #[error(transparent)]
    Serve(#[from] crate::serve::ServeError),
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// Re-sealing the stored secrets failed (what was done stays done; run
    /// it again).
    #[error("rotate-master stopped: {0}; run it again (it carries on where it stopped)")]
    Rotate(crate::store::StoreError),
    /// A running Herald refused a request (or could not be reached: status 0).
    #[error("{}", api_message(*status, message))]
    Api {
        /// The HTTP status (0: no answer).
        status: u16,
        /// The server's message, or why there was no answer.
        message: String,
    },
    /// The health probe failed.
    #[error("not healthy: {0}")]
    Health(#[from] health::HealthError),
}

fn api_message(status: u16, message: &str) -> String {
    if status == 0 {
        message.to_string()
    } else {
        format!("Herald answered {status}: {message}")
    }
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Health(_) => ExitCode::from(1),
            _ => ExitCode::from(2),
        }
    }
}

/// Runs a parsed command.
pub fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::Plugin(command) => plugin::run(command),
        Command::Serve(args) => serve(args),
        Command::Secrets(command) => secrets::run(command),
        Command::Health(args) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(CliError::Runtime)?
            .block_on(health::run(args))
            .map_err(CliError::from),
    }
}

fn serve(args: ServeArgs) -> Result<ExitCode, CliError> {
    let settings = crate::config::Settings::load(args.config.as_deref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(settings.runtime_threads())
        .enable_all()
        .on_thread_park(crate::memory::collect_if_due)
        .build()
        .map_err(CliError::Runtime)?;
    runtime.block_on(async move {
        let shutdown = tokio_util::sync::CancellationToken::new();
        let trigger = shutdown.clone();
        tokio::spawn(async move {
            crate::serve::signals().await;
            trigger.cancel();
        });
        crate::serve::run(settings, args.role, None, shutdown).await
    })?;
    Ok(ExitCode::SUCCESS)
}
