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
//! - [`lines`]: ordered delivery's lines (one per ordered webhook and key).
//! - [`ingest_stream`]: the producer-facing ingest stream and its rejects.
//! - [`queue`]: the sharded work streams, claims, take-over, due retries.
//! - [`deliveries`]: delivery records, attempts, the log, re-queueing, stats.
//! - [`outcomes`]: outcomes written with their acknowledgement, in groups.
//! - [`changes`]: the webhook change feed (pub/sub).
//! - [`sessions`]: dashboard sessions and one-time portal links.
//! - [`page`]: cursor paging over sorted sets.
//! - [`probe`]: what a Redis holds, before Herald chooses to use it.
//!
//! Every multi-key script and transaction touches one hash slot (see
//! [`keys`]); commands that read several shards (a worker's read of every
//! work stream) are single commands that a cluster client splits.

pub mod api_keys;
pub mod audit;
pub mod catalogue;
pub mod changes;
pub mod connection;
pub mod consumers;
pub mod deliveries;
pub mod events;
pub mod health;
pub mod ingest_stream;
pub mod keys;
pub mod lines;
pub mod orgs;
pub mod outcomes;
pub mod page;
pub mod plugins;
pub mod probe;
pub mod queue;
pub mod rate;
pub mod scripts;
pub mod sessions;
pub mod webhook_stats;
pub mod webhooks;

pub use connection::{Nodes, RedisTarget};
pub use keys::{Keys, Shard};

use crate::secrets::Keyring;
use connection::{Con, Connector};
use std::sync::Arc;
use std::time::Duration;

/// Queue shards per master a cluster gets by default: enough that each
/// master holds several (work spreads evenly, and resharding can move a
/// shard at a time), few enough that an idle worker's poll of every shard
/// stays cheap.
pub const SHARDS_PER_MASTER: u16 = 4;

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
    /// A write was not confirmed by as many replicas as `wait_replicas`
    /// asks within a second.
    #[error("the write reached {got} replica(s) of the {wanted} HERALD_REDIS_WAIT_REPLICAS asks for within 1s")]
    NotReplicated {
        /// Replicas asked for.
        wanted: u16,
        /// Replicas that had it.
        got: u16,
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
                    || r.is_cluster_error()
                    || r.kind() == redis::ErrorKind::ClusterConnectionNotFound
                    || r.is_timeout()
                    || r.is_io_error()
                    || r.is_connection_dropped()
                    || exec_refused(r)
                    // Starting (loading its data), a slot between masters,
                    // or full (maxmemory with noeviction) until memory frees.
                    || server_codes(r).iter().any(|c| {
                        matches!(
                            c.as_str(),
                            "LOADING" | "TRYAGAIN" | "MASTERDOWN" | "CLUSTERDOWN" | "OOM"
                        )
                    })
            }
            StoreError::Batch(inner) => inner.is_unavailable(),
            StoreError::NotReplicated { .. } => true,
            _ => false,
        }
    }
}

/// Whether Redis refused a transaction's `EXEC` itself (with an error reply,
/// such as `OOM` when memory filled up between queueing its commands and
/// `EXEC`): nothing of it was applied, so it is as safe to repeat as a
/// refused connection. redis-rs reports this without the server's code.
fn exec_refused(e: &redis::RedisError) -> bool {
    e.kind() == redis::ErrorKind::UnexpectedReturnType
        && e.to_string().contains("parsing multi response")
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
    /// The Redis server or cluster.
    pub target: RedisTarget,
    /// How long a command may take before it fails.
    pub response_timeout: Duration,
    /// How long events and delivery logs are kept.
    pub retention: Duration,
    /// Deliveries kept per webhook log.
    pub log_bound: usize,
    /// Queue shards (fixed once data exists); `None`: as the data in Redis
    /// was laid out, else the default ([`Store::check_layout`]).
    pub shards: Option<u16>,
    /// The master keys that seal secrets before they are written.
    pub keyring: Arc<Keyring>,
    /// Replicas that must have a published event before it is accepted.
    pub wait_replicas: u16,
}

/// Handle to the store. Cheap to clone (a multiplexed, self-reconnecting
/// connection and shared caches).
#[derive(Clone)]
pub struct Store {
    con: Con,
    connector: Connector,
    /// Key names for this layout.
    pub keys: Keys,
    /// How long events and delivery logs are kept.
    pub retention: Duration,
    /// Deliveries kept per webhook log.
    pub log_bound: usize,
    /// The shard count asked for, if one was.
    shards_configured: Option<u16>,
    /// Replicas that must have a published event before it is accepted.
    wait_replicas: u16,
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
        let connector = Connector::new(&options.target)?;
        let con = connector.connect(options.response_timeout).await?;
        Ok(Store {
            con,
            connector,
            keys: Keys::new(options.shards.unwrap_or(1)),
            shards_configured: options.shards,
            wait_replicas: options.wait_replicas,
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
        let con = self.connector.connect(response_timeout).await?;
        Ok(Store {
            con,
            ..self.clone()
        })
    }

    fn con(&self) -> Con {
        self.con.clone()
    }

    /// Whether Redis is a cluster.
    pub fn is_cluster(&self) -> bool {
        self.con.is_cluster()
    }

    /// Whether Redis answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let _: String = redis::cmd("PING").query_async(&mut self.con()).await?;
        Ok(())
    }

    /// Settles the shard count: the one the data in Redis was laid out
    /// with, recorded on first use. A configured count that differs from
    /// the recorded one is refused; none configured means the recorded one,
    /// or on first use 1 on one server and [`SHARDS_PER_MASTER`] per master
    /// on a cluster.
    pub async fn check_layout(&mut self) -> Result<(), StoreError> {
        let key = self.keys.layout();
        let proposed = match self.shards_configured {
            Some(n) => n,
            None if self.is_cluster() => {
                let masters = self.cluster_masters().await?.max(1);
                (masters * SHARDS_PER_MASTER).min(256)
            }
            None => 1,
        };
        let (stored, tags): (Option<u16>, Option<String>) = scripts::LAYOUT
            .key(&key)
            .arg(proposed)
            .invoke_async(&mut self.con())
            .await?;
        let stored = stored.unwrap_or(proposed);
        match self.shards_configured {
            Some(configured) if stored != configured => {
                Err(StoreError::Layout { stored, configured })
            }
            _ => {
                self.keys = match tags.as_deref() {
                    Some("spread") => Keys::new(stored),
                    _ => Keys::plain(stored),
                };
                Ok(())
            }
        }
    }

    /// How many masters serve slots (`CLUSTER SHARDS` would do on Redis 7;
    /// `CLUSTER NODES` works on every version).
    async fn cluster_masters(&self) -> Result<u16, StoreError> {
        let nodes: String = redis::cmd("CLUSTER")
            .arg("NODES")
            .query_async(&mut self.con())
            .await?;
        Ok(nodes
            .lines()
            .filter(|line| {
                let fields: Vec<&str> = line.split(' ').collect();
                fields.get(2).is_some_and(|flags| {
                    flags.split(',').any(|f| f == "master")
                        && !flags.split(',').any(|f| f == "fail" || f == "noaddr")
                }) && fields.len() > 8
            })
            .count() as u16)
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
        let mut scan = redis::cmd("SCAN");
        scan.arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(1000);
        // On a cluster, the node holding the pattern's slot.
        let (next, found): (u64, Vec<String>) = con.query_in_slot(pattern, &scan).await?;
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
