//! Herald's store in Redis: orgs, webhooks (with the trigger index used for
//! fan-out), events, deliveries and their attempts, per-webhook stats.
//!
//! - [`keys`]: every key name.
//! - [`webhooks`]: orgs and webhooks, the trigger index, parking.
//! - [`deliveries`]: delivery records, attempts, outcomes, stats.

pub mod deliveries;
pub mod keys;
pub mod webhooks;

use redis::aio::ConnectionManager;
use std::time::Duration;

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Redis failed or is unreachable.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// A stored document could not be decoded.
    #[error("corrupt stored value at {key}: {message}")]
    Corrupt {
        /// The key.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A batched write that carried this operation failed.
    #[error("{0}")]
    Batch(std::sync::Arc<StoreError>),
    /// The process is shutting down; the operation was not carried out.
    #[error("shutting down")]
    Stopped,
}

/// Handle to the store. Cheap to clone (a multiplexed, self-reconnecting connection).
#[derive(Clone)]
pub struct Store {
    con: ConnectionManager,
    /// How long events and delivery logs are kept.
    pub retention: Duration,
    /// Deliveries kept per webhook log.
    pub log_bound: usize,
}

/// Opens a self-reconnecting connection with sane timeouts.
pub async fn connect(
    url: &str,
    response_timeout: Duration,
) -> Result<ConnectionManager, redis::RedisError> {
    let client = redis::Client::open(url)?;
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_response_timeout(Some(response_timeout))
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_number_of_retries(2)
        .set_max_delay(Duration::from_secs(2));
    client.get_connection_manager_with_config(config).await
}

impl Store {
    /// A store over `con`.
    pub fn new(con: ConnectionManager, retention: Duration, log_bound: usize) -> Self {
        Store {
            con,
            retention,
            log_bound,
        }
    }

    /// A connection for direct commands.
    pub fn con(&self) -> ConnectionManager {
        self.con.clone()
    }

    /// Whether Redis answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let _: String = redis::cmd("PING").query_async(&mut self.con()).await?;
        Ok(())
    }

    /// Retention in whole seconds (for EXPIRE).
    pub fn retention_secs(&self) -> i64 {
        self.retention.as_secs().max(1) as i64
    }
}

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Unix ms as RFC 3339.
pub fn rfc3339_ms(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

fn decode<T: serde::de::DeserializeOwned>(key: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        key: key.to_string(),
        message: e.to_string(),
    })
}
