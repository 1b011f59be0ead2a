//! The store: the only code in Herald that speaks Redis. Everything else
//! calls the typed functions of its modules.
//!
//! - [`keys`]: every key name and the hash-tag layout (one slot per shard,
//!   one global slot); read its doc for the layout and its trade-off.
//! - [`scripts`]: every Lua script; each gets its keys through `KEYS`.
//! - [`orgs`], [`api_keys`], [`catalogue`], [`plugins`]: tenants, their keys,
//!   the event-type catalogue, the plugin registry.
//! - [`webhooks`]: webhooks, the trigger index fan-out reads, parking; their
//!   secrets and credentials sealed on write and opened on read
//!   ([`crate::secrets`]), and re-sealed under a new master key.
//! - [`events`]: publishing (event stored and fanned out in one script).
//! - [`ingest_stream`]: the producer-facing ingest stream and its rejects.
//! - [`queue`]: the sharded work streams, claims, take-over, due retries.
//! - [`deliveries`]: delivery records, attempts, the log, re-queueing, stats.
//! - [`outcomes`]: outcomes written with their acknowledgement, in groups.
//! - [`changes`]: the webhook change feed (pub/sub).
//! - [`page`]: cursor paging over sorted sets.
//! - [`probe`]: what a Redis holds, before Herald chooses to use it.
//!
//! Every multi-key script and transaction touches one hash slot (see
//! [`keys`]); commands that read several shards (a worker's read of every
//! work stream) are single commands that a cluster client splits.

pub mod api_keys;
pub mod catalogue;
pub mod changes;
pub mod consumers;
pub mod deliveries;
pub mod events;
pub mod ingest_stream;
pub mod keys;
pub mod orgs;
pub mod outcomes;
pub mod page;
pub mod plugins;
pub mod probe;
pub mod queue;
pub mod scripts;
pub mod webhooks;

pub use keys::{Keys, Shard};

use crate::secrets::Keyring;
use redis::aio::ConnectionManager;
use std::sync::Arc;
use std::time::Duration;

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Redis failed or is unreachable.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// Redis answered something Herald did not expect.
    #[error("unexpected reply from redis: {0}")]
    Reply(#[from] redis::ParsingError),
    /// A stored document could not be decoded.
    #[error("corrupt stored value at {key}: {message}")]
    Corrupt {
        /// The key.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// The data in Redis was laid out for another shard count.
    #[error("Redis holds Herald data laid out in {stored} queue shard(s), but queue_shards is {configured}; set HERALD_QUEUE_SHARDS={stored} (the shard count cannot change once data exists)")]
    Layout {
        /// What Redis records.
        stored: u16,
        /// What is configured.
        configured: u16,
    },
    /// A batched write that carried this operation failed.
    #[error("{0}")]
    Batch(std::sync::Arc<StoreError>),
    /// The process is shutting down; the operation was not carried out.
    #[error("shutting down")]
    Stopped,
    /// A sealed secret of a stored record does not open with this
    /// process's master keys.
    #[error("secret at {key} does not open: {source}")]
    Sealed {
        /// The key.
        key: String,
        /// Why.
        source: crate::secrets::SealError,
    },
}

impl StoreError {
    /// Whether Redis refused a write because it is full (`maxmemory`
    /// reached under the `noeviction` policy).
    pub fn is_full(&self) -> bool {
        match self {
            StoreError::Redis(r) => server_codes(r).iter().any(|c| c == "OOM"),
            StoreError::Batch(inner) => inner.is_full(),
            _ => false,
        }
    }

    /// Whether Redis was unreachable or too slow (worth retrying shortly),
    /// rather than a fault in the request or the data.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Redis(r) => {
                r.is_connection_refusal()
                    || r.is_timeout()
                    || r.is_io_error()
                    || r.is_connection_dropped()
                    // Starting (loading its data), a cluster between masters,
                    // or full (maxmemory with noeviction) until memory frees.
                    || server_codes(r).iter().any(|c| {
                        matches!(
                            c.as_str(),
                            "LOADING" | "TRYAGAIN" | "MASTERDOWN" | "CLUSTERDOWN" | "OOM"
                        )
                    })
            }
            StoreError::Batch(inner) => inner.is_unavailable(),
            _ => false,
        }
    }
}

/// The error codes Redis answered with: one for a command, one per failed
/// command of a pipeline or aborted transaction (where `code()` gives none
/// or `EXECABORT`).
fn server_codes(e: &redis::RedisError) -> Vec<String> {
    e.clone()
        .into_server_errors()
        .map(|errors| errors.iter().map(|(_, e)| e.code().to_string()).collect())
        .unwrap_or_default()
}

/// How a store is opened.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// The Redis URL.
    pub url: String,
    /// How long a command may take before it fails.
    pub response_timeout: Duration,
    /// How long events and delivery logs are kept.
    pub retention: Duration,
    /// Deliveries kept per webhook log.
    pub log_bound: usize,
    /// Queue shards (fixed once data exists).
    pub shards: u16,
    /// The master keys that seal secrets before they are written.
    pub keyring: Arc<Keyring>,
}

/// Handle to the store. Cheap to clone (a multiplexed, self-reconnecting
/// connection and shared caches).
#[derive(Clone)]
pub struct Store {
    con: ConnectionManager,
    client: redis::Client,
    /// Key names for this layout.
    pub keys: Keys,
    /// How long events and delivery logs are kept.
    pub retention: Duration,
    /// Deliveries kept per webhook log.
    pub log_bound: usize,
    /// The trigger index as last seen by publishes (checked inside the
    /// publish script, so a stale copy costs a retry, never a wrong fan-out).
    triggers: events::TriggerCache,
    /// Seals webhook secrets and receiver credentials on write, opens them
    /// on read: the rest of Herald sees plain values, Redis never does.
    keyring: Arc<Keyring>,
}

impl Store {
    /// Opens a self-reconnecting connection with sane timeouts.
    pub async fn open(options: &StoreOptions) -> Result<Store, StoreError> {
        let client = redis::Client::open(options.url.as_str())?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_response_timeout(Some(options.response_timeout))
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(2));
        let con = client.get_connection_manager_with_config(config).await?;
        Ok(Store {
            con,
            client,
            keys: Keys::new(options.shards),
            retention: options.retention,
            log_bound: options.log_bound,
            triggers: events::TriggerCache::default(),
            keyring: options.keyring.clone(),
        })
    }

    /// The same store over a connection of its own whose commands may wait
    /// `response_timeout` (for blocking reads, which would hold up every
    /// other command on a shared multiplexed connection).
    pub async fn dedicated(&self, response_timeout: Duration) -> Result<Store, StoreError> {
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_response_timeout(Some(response_timeout))
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(2));
        let con = self
            .client
            .get_connection_manager_with_config(config)
            .await?;
        Ok(Store {
            con,
            ..self.clone()
        })
    }

    fn con(&self) -> ConnectionManager {
        self.con.clone()
    }

    /// Whether Redis answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let _: String = redis::cmd("PING").query_async(&mut self.con()).await?;
        Ok(())
    }

    /// Records the shard count on first use, and refuses a store laid out
    /// for another one.
    pub async fn check_layout(&self) -> Result<(), StoreError> {
        let key = self.keys.layout();
        let configured = self.keys.shard_count();
        let (_, stored): (i64, Option<u16>) = redis::pipe()
            .cmd("HSETNX")
            .arg(&key)
            .arg("shards")
            .arg(configured)
            .cmd("HGET")
            .arg(&key)
            .arg("shards")
            .query_async(&mut self.con())
            .await?;
        match stored {
            Some(stored) if stored != configured => Err(StoreError::Layout { stored, configured }),
            _ => Ok(()),
        }
    }

    /// Retention in whole seconds (for EXPIRE).
    pub fn retention_secs(&self) -> i64 {
        self.retention.as_secs().max(1) as i64
    }
}

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    crate::clock::now_ms()
}

fn decode<T: serde::de::DeserializeOwned>(key: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        key: key.to_string(),
        message: e.to_string(),
    })
}

/// Deletes every key matching `pattern` (SCAN, so Redis is never blocked).
async fn delete_matching(store: &Store, pattern: &str) -> Result<(), StoreError> {
    let mut con = store.con();
    let mut cursor: u64 = 0;
    loop {
        let (next, found): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut con)
            .await?;
        if !found.is_empty() {
            let _: () = redis::cmd("UNLINK")
                .arg(&found)
                .query_async(&mut con)
                .await?;
        }
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}
