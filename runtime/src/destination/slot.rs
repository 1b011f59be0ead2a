//! A slot of a destination held by one attempt ([`Slot`]), and a delivery
//! waiting for one ([`Waiting`]).

use super::{unix_ms, Destinations, Entry, Signal};
use std::sync::atomic::Ordering as AtomicOrdering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// A slot held by one attempt.
pub struct Slot {
    pub(super) destinations: Arc<Destinations>,
    pub(super) key: String,
    pub(super) started: Instant,
    pub(super) done: bool,
}

impl Slot {
    /// Gives the slot back with what the attempt said.
    pub fn finish(mut self, signal: Signal) {
        self.done = true;
        self.destinations
            .finish(&self.key, signal, self.started, Instant::now());
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if !self.done {
            self.destinations
                .finish(&self.key, Signal::NotSent, self.started, Instant::now());
        }
    }
}

/// A delivery waiting for a slot of a full destination.
pub struct Waiting {
    pub(super) destinations: Arc<Destinations>,
    pub(super) key: String,
    pub(super) rx: oneshot::Receiver<()>,
}

impl Waiting {
    /// Waits for a slot, at most `max_wait` (or until `stop`); then a time
    /// to come back instead.
    pub async fn wait(
        mut self,
        max_wait: Duration,
        stop: &tokio_util::sync::CancellationToken,
    ) -> Entry {
        let granted = tokio::select! {
            r = tokio::time::timeout(max_wait, &mut self.rx) => matches!(r, Ok(Ok(()))),
            () = stop.cancelled() => false,
        };
        let d = &self.destinations;
        d.waiting.fetch_sub(1, AtomicOrdering::Relaxed);
        if granted {
            return Entry::Go(d.slot(&self.key));
        }
        // Slots are handed over under the lock: one may have come just now.
        let map = d.lock();
        if self.rx.try_recv().is_ok() {
            drop(map);
            return Entry::Go(d.slot(&self.key));
        }
        drop(self.rx);
        drop(map);
        let now = Instant::now();
        Entry::Later(unix_ms(now + Duration::from_secs(1), now))
    }
}
