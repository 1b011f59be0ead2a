//! The slow lane: keeps receivers that hang from taking the places of
//! healthy ones (a bulkhead, per process).
//!
//! Every attempt starts in the main lane, whose places are
//! `worker_concurrency`. An attempt still unanswered after `slow_after`
//! marks its webhook slow and, when the slow lane has room, moves there
//! (its main place goes back to the healthy receivers). A slow webhook's
//! next deliveries go to the slow lane directly, [`PER_WEBHOOK`] in flight
//! at most; the rest are *held*: acknowledged on the stream and parked in
//! the retry set until the visibility timeout, with no attempt counted,
//! and released one by one as the webhook's slow attempts end, or all at
//! once when it answers in time again. A held delivery whose release is
//! lost (this process died) comes back on its own at its deadline.
//!
//! The lane is this process's: with several workers, each keeps its own
//! view, and a slow webhook has up to [`PER_WEBHOOK`] attempts per process.

use crate::store::Shard;
use prometheus_client::metrics::gauge::Gauge;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Attempts of one slow webhook in flight in the slow lane, per process.
pub const PER_WEBHOOK: usize = 2;

/// Held deliveries this process remembers, at most (beyond it, a held
/// delivery comes back at its deadline instead of on release).
const MAX_REMEMBERED: usize = 100_000;

/// A delivery held for a slow webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// The shard of its org (its retry set).
    pub shard: Shard,
    /// The delivery.
    pub delivery_id: String,
    /// When it comes back by itself (Unix ms).
    pub until_ms: i64,
}

/// Where a claimed delivery goes.
pub enum Route {
    /// The main lane: its webhook is healthy (or not known to hang).
    Main,
    /// The slow lane, with its place.
    Slow(SlowPlace),
    /// Held: its slow webhook has [`PER_WEBHOOK`] attempts in flight, or
    /// the slow lane is full.
    Hold,
}

/// A place in the slow lane; given back when dropped.
pub struct SlowPlace {
    lanes: Arc<Lanes>,
    webhook: String,
    _permit: OwnedSemaphorePermit,
}

impl Drop for SlowPlace {
    fn drop(&mut self) {
        self.lanes.in_flight.dec();
        let mut dests = self.lanes.lock();
        if let Some(d) = dests.get_mut(&self.webhook) {
            d.in_slow = d.in_slow.saturating_sub(1);
            if d.is_idle() {
                dests.remove(&self.webhook);
            }
        }
    }
}

#[derive(Debug, Default)]
struct Dest {
    slow: bool,
    in_slow: usize,
    held: VecDeque<Held>,
}

impl Dest {
    fn is_idle(&self) -> bool {
        !self.slow && self.in_slow == 0 && self.held.is_empty()
    }
}

/// The lanes of one worker process.
pub struct Lanes {
    places: Arc<Semaphore>,
    slow_after: Duration,
    dests: Mutex<HashMap<String, Dest>>,
    in_flight: Gauge,
}

impl Lanes {
    /// A slow lane of `places`; `in_flight` is the gauge of its attempts.
    pub fn new(places: usize, slow_after: Duration, in_flight: Gauge) -> Arc<Lanes> {
        Arc::new(Lanes {
            places: Arc::new(Semaphore::new(places)),
            slow_after,
            dests: Mutex::new(HashMap::new()),
            in_flight,
        })
    }

    /// How long an attempt may wait for its answer before its webhook is slow.
    pub fn slow_after(&self) -> Duration {
        self.slow_after
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Dest>> {
        self.dests.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Where a delivery of `webhook` goes now.
    pub fn route(self: &Arc<Self>, webhook: &str) -> Route {
        let mut dests = self.lock();
        let Some(d) = dests.get_mut(webhook).filter(|d| d.slow) else {
            return Route::Main;
        };
        if d.in_slow >= PER_WEBHOOK {
            return Route::Hold;
        }
        match self.places.clone().try_acquire_owned() {
            Ok(permit) => {
                d.in_slow += 1;
                self.in_flight.inc();
                Route::Slow(SlowPlace {
                    lanes: self.clone(),
                    webhook: webhook.to_string(),
                    _permit: permit,
                })
            }
            Err(_) => Route::Hold,
        }
    }

    /// An attempt of `webhook` has waited `slow_after`: the webhook is slow
    /// from now on. Returns a slow place for the attempt if the lane has
    /// room (the caller then gives its main place back).
    pub fn promote(self: &Arc<Self>, webhook: &str) -> Option<SlowPlace> {
        let mut dests = self.lock();
        let d = dests.entry(webhook.to_string()).or_default();
        d.slow = true;
        let permit = self.places.clone().try_acquire_owned().ok()?;
        d.in_slow += 1;
        self.in_flight.inc();
        Some(SlowPlace {
            lanes: self.clone(),
            webhook: webhook.to_string(),
            _permit: permit,
        })
    }

    /// Remembers a delivery held for `webhook` (once its hold is durable).
    /// Returns `false` if the webhook is no longer slow (it answered in
    /// time meanwhile): the caller releases the delivery at once.
    pub fn hold(&self, webhook: &str, held: Held) -> bool {
        let mut dests = self.lock();
        let remembered: usize = dests.values().map(|d| d.held.len()).sum();
        match dests.get_mut(webhook) {
            Some(d) if d.slow => {
                if remembered < MAX_REMEMBERED {
                    d.held.push_back(held);
                }
                true
            }
            _ => false,
        }
    }

    /// An attempt of `webhook` ended: `Some(true)` if the receiver answered
    /// within `slow_after`, `Some(false)` if it did not, `None` if nothing
    /// was sent (filtered, or a plugin failed). Returns the held deliveries
    /// to release: every one when the webhook answered in time again, else
    /// the next one (the attempt's place is free) among those not yet back
    /// by themselves (`now_ms`).
    pub fn finished(&self, webhook: &str, in_time: Option<bool>, now_ms: i64) -> Vec<Held> {
        let mut dests = self.lock();
        if in_time == Some(false) {
            dests.entry(webhook.to_string()).or_default();
        }
        let Some(d) = dests.get_mut(webhook) else {
            return Vec::new();
        };
        let release = match in_time {
            Some(true) => {
                d.slow = false;
                d.held.drain(..).filter(|h| h.until_ms > now_ms).collect()
            }
            Some(false) | None => {
                if in_time == Some(false) {
                    d.slow = true;
                }
                let mut next = Vec::new();
                while let Some(h) = d.held.pop_front() {
                    if h.until_ms > now_ms {
                        next.push(h);
                        break;
                    }
                }
                next
            }
        };
        if d.is_idle() {
            dests.remove(webhook);
        }
        release
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(id: &str, until_ms: i64) -> Held {
        Held {
            shard: crate::store::keys::Shard(0),
            delivery_id: id.into(),
            until_ms,
        }
    }

    #[test]
    fn a_webhook_is_slow_from_its_first_late_attempt_until_one_answers_in_time() {
        let lanes = Lanes::new(10, Duration::from_secs(5), Gauge::default());
        assert!(matches!(lanes.route("w"), Route::Main));
        let late = lanes.promote("w").expect("room in the slow lane");
        let second = lanes.route("w");
        assert!(matches!(second, Route::Slow(_)), "one more place");
        assert!(
            matches!(lanes.route("w"), Route::Hold),
            "at most PER_WEBHOOK"
        );
        assert!(
            matches!(lanes.route("other"), Route::Main),
            "others unaffected"
        );
        assert!(lanes.hold("w", held("d1", 2_000)));
        assert!(lanes.hold("w", held("d2", 500)));
        assert!(lanes.hold("w", held("d3", 2_000)));
        assert!(
            !lanes.hold("other", held("x", 2_000)),
            "not slow: release at once"
        );
        drop(late);
        // A late end frees one place: the next held that is not back by itself.
        assert_eq!(
            lanes.finished("w", Some(false), 1_000),
            vec![held("d1", 2_000)]
        );
        assert!(matches!(lanes.route("w"), Route::Slow(_)));
        // An answer in time: everything still held goes, and the main lane again.
        assert_eq!(
            lanes.finished("w", Some(true), 1_000),
            vec![held("d3", 2_000)]
        );
        drop(second);
        assert!(matches!(lanes.route("w"), Route::Main));
        assert!(lanes.lock().is_empty(), "nothing kept for healthy webhooks");
    }

    #[test]
    fn a_full_slow_lane_holds_and_keeps_main_places() {
        let gauge = Gauge::default();
        let lanes = Lanes::new(1, Duration::from_secs(5), gauge.clone());
        let a = lanes.promote("a");
        assert!(a.is_some());
        assert_eq!(gauge.get(), 1);
        assert!(
            lanes.promote("b").is_none(),
            "no room: stays in the main lane"
        );
        assert!(matches!(lanes.route("b"), Route::Hold), "but b is slow now");
        drop(a);
        assert_eq!(gauge.get(), 0);
        assert!(matches!(lanes.route("b"), Route::Slow(_)));
    }
}
