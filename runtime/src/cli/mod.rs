//! The `herald` command line. `main` parses with [`Cli`] and calls [`run`];
//! each subcommand lives in its own module.

pub mod plugin;

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
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(2)
    }
}

/// Runs a parsed command.
pub fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::Plugin(command) => plugin::run(command),
    }
}
