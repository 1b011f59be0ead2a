//! Per-webhook rate limits, enforced across every worker process: the
//! shared allowance is a GCRA in Redis ([`crate::store::rate`]); this module
//! decides how a delivery waits for it. Within a process, one delivery per
//! webhook at a time asks Redis (the others wait their turn in order, on
//! a local gate), and a waiting delivery holds no delivery place, so other
//! webhooks are served meanwhile. At most [`MAX_WAITING`] deliveries wait in
//! a process, each for a bounded time; beyond that a delivery is put back
//! on the queue until about when its turn comes (held: not an attempt,
//! nothing sent, its status unchanged).

use crate::model::{RateLimit, Webhook};
use crate::store::{now_ms, Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// Deliveries that may wait for a rate limit in one process at once.
pub const MAX_WAITING: usize = 512;

/// What a delivery does about its webhook's rate limit.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    /// It may be sent now.
    Go,
    /// Too many wait here already (or the process is stopping): put it
    /// back on the queue until this time (Unix ms).
    Later(i64),
}

/// The process's side of the rate limits.
pub struct Limiter {
    waiting: Arc<Semaphore>,
    gates: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Default for Limiter {
    fn default() -> Self {
        Limiter {
            waiting: Arc::new(Semaphore::new(MAX_WAITING)),
            gates: Mutex::new(HashMap::new()),
        }
    }
}

impl Limiter {
    /// Waits until `webhook`'s limit admits one request (`Go`), or says
    /// until when to put the delivery back (`Later`): when too many wait
    /// here already, when its turn is further off than `max_wait` (a
    /// claimed delivery must not wait so long that another process takes it
    /// over), or when the process stops.
    pub async fn admit(
        &self,
        store: &Store,
        webhook: &Webhook,
        limit: RateLimit,
        max_wait: Duration,
        stop: &CancellationToken,
    ) -> Result<Admission, StoreError> {
        let later = |wait: Duration| Admission::Later(now_ms() + wait.as_millis() as i64);
        let Ok(_waiting) = self.waiting.clone().try_acquire_owned() else {
            let wait = store.rate_admit(&webhook.org, &webhook.id, limit).await?;
            if wait.is_zero() {
                return Ok(Admission::Go);
            }
            // Back about when the deliveries waiting here have gone.
            let ahead = limit.interval() * MAX_WAITING as u32;
            return Ok(later(wait + ahead));
        };
        let deadline = tokio::time::Instant::now() + max_wait;
        let gate = self.gate(&webhook.id);
        let _turn = tokio::select! {
            turn = gate.lock() => turn,
            () = tokio::time::sleep_until(deadline) => return Ok(later(Duration::ZERO)),
            () = stop.cancelled() => return Ok(later(Duration::ZERO)),
        };
        loop {
            let wait = store.rate_admit(&webhook.org, &webhook.id, limit).await?;
            if wait.is_zero() {
                return Ok(Admission::Go);
            }
            if tokio::time::Instant::now() + wait > deadline {
                return Ok(later(wait));
            }
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = stop.cancelled() => return Ok(later(wait)),
            }
        }
    }

    fn gate(&self, webhook: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut gates = self
            .gates
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if gates.len() > 10_000 {
            // Forget the gates nobody holds (webhooks deleted or idle).
            gates.retain(|_, g| Arc::strong_count(g) > 1);
        }
        gates.entry(webhook.to_string()).or_default().clone()
    }
}
