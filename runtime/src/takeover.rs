//! Taking over the work of workers that died, in seconds rather than after
//! the visibility timeout. Every worker refreshes a heartbeat key (TTL
//! [`HEARTBEAT_TTL`]) every [`HEARTBEAT_EVERY`]; every worker also looks at
//! the queue's consumers every [`LOOK_EVERY`], and a consumer seen without a
//! heartbeat, and still without one [`CONFIRM_AFTER`] later, is dead: the
//! entries it holds are claimed by the looking worker and attempted again,
//! and once it holds nothing it is removed from the group.
//!
//! What is guaranteed: a live worker's entries are taken over only if its
//! heartbeat could not be written for `HEARTBEAT_TTL + CONFIRM_AFTER` (9 s)
//! while another worker could reach Redis; a worker killed with SIGKILL has
//! its deliveries attempted again about 5 to 11 s later. The visibility
//! timeout stays as the last resort (a worker that hangs but keeps its
//! heartbeat).

use crate::shutdown::sleep_or_stop;
use crate::store::queue::Claimed;
use crate::store::{Store, StoreError};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How often a worker refreshes its heartbeat.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(1);
/// How long a heartbeat lasts unrefreshed.
pub const HEARTBEAT_TTL: Duration = Duration::from_secs(4);
/// How often a worker looks for dead consumers.
pub const LOOK_EVERY: Duration = Duration::from_secs(1);
/// How long a consumer must stay without a heartbeat to be declared dead
/// (so that a live worker whose heartbeat lapsed while Redis restarted has
/// time to write it again).
pub const CONFIRM_AFTER: Duration = Duration::from_secs(5);
/// Entries taken over must have been idle this long: two workers taking
/// over the same dead consumer at once do not both get an entry.
const MIN_IDLE: Duration = Duration::from_secs(1);

/// Refreshes `consumer`'s heartbeat until `stop`, then deletes it.
pub async fn keep_heartbeat(store: Store, consumer: String, stop: CancellationToken) {
    loop {
        if let Err(e) = store.heartbeat(&consumer, HEARTBEAT_TTL).await {
            tracing::warn!(consumer, "cannot refresh the worker heartbeat: {e}");
        }
        if sleep_or_stop(HEARTBEAT_EVERY, &stop).await {
            break;
        }
    }
    if let Err(e) = store.end_heartbeat(&consumer).await {
        tracing::debug!(consumer, "cannot delete the worker heartbeat: {e}");
    }
}

/// One worker's search for dead consumers.
pub struct Reaper {
    me: String,
    /// Consumers seen without a heartbeat, and when first seen so.
    suspects: HashMap<String, Instant>,
    last: Option<Instant>,
}

impl Reaper {
    /// A reaper for the worker named `me` (never taken over by itself).
    pub fn new(me: &str) -> Self {
        Reaper {
            me: me.to_string(),
            suspects: HashMap::new(),
            last: None,
        }
    }

    /// Whether it is time to look again.
    pub fn due(&self) -> bool {
        self.last.is_none_or(|t| t.elapsed() >= LOOK_EVERY)
    }

    /// Looks at the consumers; claims for this worker up to `room` entries
    /// of the dead ones, and removes dead ones that hold nothing.
    pub async fn look(&mut self, store: &Store, room: usize) -> Result<Vec<Claimed>, StoreError> {
        self.last = Some(Instant::now());
        let consumers = store.consumers().await?;
        let now = Instant::now();
        let mut taken = Vec::new();
        for c in &consumers {
            if c.name == self.me || c.alive {
                self.suspects.remove(&c.name);
                continue;
            }
            let since = *self.suspects.entry(c.name.clone()).or_insert(now);
            if now.duration_since(since) < CONFIRM_AFTER {
                continue;
            }
            if c.pending == 0 {
                if store.remove_idle_consumer(c.shard, &c.name).await? {
                    tracing::info!(
                        consumer = c.name,
                        "removed a dead worker from the queue group"
                    );
                }
                continue;
            }
            if taken.len() >= room {
                continue;
            }
            let got = store
                .take_over(c.shard, &c.name, &self.me, MIN_IDLE, room - taken.len())
                .await?;
            if !got.is_empty() {
                tracing::warn!(
                    consumer = c.name,
                    entries = got.len(),
                    "took over the deliveries of a dead worker (no heartbeat for {:?})",
                    now.duration_since(since) + HEARTBEAT_TTL
                );
            }
            taken.extend(got);
        }
        self.suspects
            .retain(|name, _| consumers.iter().any(|c| &c.name == name));
        Ok(taken)
    }
}
