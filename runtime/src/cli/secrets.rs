//! `herald secrets`: the master key that seals secrets at rest.
//!
//! - `rotate-master`: re-seals every webhook's secrets and credentials under
//!   the current master key (`HERALD_MASTER_KEY` or `HERALD_MASTER_KEY_FILE`),
//!   opening them with it or with one of `HERALD_OLD_MASTER_KEYS`, webhook by
//!   webhook with a compare-and-set, while Herald keeps delivering.
//! - `new-key`: prints a new random master key (base64 of 32 bytes).

use super::CliError;
use crate::config::Settings;
use crate::store::Store;
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

/// The `herald secrets` subcommands.
#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Re-seal every stored secret under the current master key (run with
    /// the new key as HERALD_MASTER_KEY and the old one in
    /// HERALD_OLD_MASTER_KEYS; running Heralds must hold both).
    RotateMaster {
        /// A TOML settings file; `HERALD_*` environment variables override it.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Print a new random master key (base64 of 32 bytes).
    NewKey,
}

/// Runs a `herald secrets` subcommand.
pub fn run(command: SecretsCommand) -> Result<ExitCode, CliError> {
    match command {
        SecretsCommand::NewKey => {
            println!("{}", crate::secrets::generate_key());
            Ok(ExitCode::SUCCESS)
        }
        SecretsCommand::RotateMaster { config } => {
            let settings = Settings::load(config.as_deref())?;
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(CliError::Runtime)?
                .block_on(rotate_master(settings))
        }
    }
}

async fn rotate_master(settings: Settings) -> Result<ExitCode, CliError> {
    let keyring = crate::serve::open_keyring(&settings).map_err(crate::serve::ServeError::from)?;
    let id = keyring.current_id().to_string();
    let redis = crate::embedded::choose(&settings)
        .await
        .map_err(crate::serve::ServeError::from)?;
    let failed = |source| CliError::Rotate(source);
    let mut store = Store::open(&crate::serve::store_options(
        &settings,
        &redis.target,
        keyring,
    ))
    .await
    .map_err(failed)?;
    store.check_layout().await.map_err(failed)?;
    let outcome = store.reseal_webhooks().await;
    if let Some(embedded) = redis.embedded {
        embedded.stop().await;
    }
    let report = outcome.map_err(failed)?;
    println!(
        "re-sealed {} of {} webhook(s) under master key {id} ({} already were; {} retried after a \
         concurrent change)",
        report.resealed, report.webhooks, report.current, report.retries
    );
    Ok(ExitCode::SUCCESS)
}
