//! Adaptive throttling and circuit breaking per destination (a receiver's
//! `host:port`, shared by every webhook that points there), in each worker
//! process:
//!
//! - **Concurrency** (AIMD, as TCP does with its window): each destination
//!   may have `limit` attempts in flight. The limit starts at
//!   [`INITIAL_LIMIT`], grows by one per success while it is used (slow
//!   start) up to the threshold the last cut set, and by one per limit's
//!   worth of successes above it; a 429, a 503, a timeout or a connection,
//!   DNS or TLS failure halves it (once per round: only a request sent
//!   after the last cut can cut again, so one burst of failures is one cut
//!   and fast failures cannot churn through the queue). A `Retry-After` on a 429 or 503 pauses
//!   the whole destination until then.
//! - **Circuit**: after [`OPEN_AFTER`] failed attempts in a row (a 503, a
//!   timeout, a connection, DNS or TLS failure, or any other 5xx; a 429 is
//!   an answer, not a failure) the circuit opens and nothing is sent to the
//!   destination for a while (2 s, doubling up to 30 s while it stays
//!   down); then one delivery probes it (half-open): success closes it,
//!   failure opens it again.
//!
//! Deliveries that cannot go (circuit open, destination paused, or no slot
//! within the wait allowed) are not attempted: the worker puts them back on
//! the queue without counting an attempt, until the circuit's next probe
//! or the end of the pause (or a second later when it was full). Waiting for a slot costs no delivery place (other
//! destinations are served meanwhile); at most [`MAX_WAITING`] wait per
//! process.

use crate::metrics::{DestinationLabel, Metrics};
use prometheus_client::metrics::{family::Family, gauge::Gauge};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// The concurrency a destination starts with.
pub const INITIAL_LIMIT: f64 = 16.0;
/// The highest limit (the worker's concurrency bounds it anyway).
const MAX_LIMIT: f64 = 10_000.0;
/// Failed attempts in a row that open the circuit.
pub const OPEN_AFTER: u32 = 5;
/// How long the circuit first stays open.
const FIRST_OPEN: Duration = Duration::from_secs(2);
/// The longest the circuit stays open before a probe.
const MAX_OPEN: Duration = Duration::from_secs(30);
/// Deliveries waiting for a slot in this process, at most.
pub const MAX_WAITING: usize = 512;
/// Destinations kept (the least recently used idle ones are dropped).
const MAX_DESTINATIONS: usize = 10_000;

/// Whether a delivery may go now.
pub enum Entry {
    /// It holds a slot until [`Slot::finish`].
    Go(Slot),
    /// Not now: back on the queue until this Unix ms (not an attempt).
    Later(i64),
}

/// A circuit's state.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Circuit {
    Closed,
    /// Nothing goes until `until`; the next open lasts `next`.
    Open {
        until: Instant,
        next: Duration,
    },
    /// One probe is in flight; a failure opens it for `next`.
    HalfOpen {
        next: Duration,
    },
}

struct Destination {
    limit: f64,
    /// Below it the limit grows by one per success (slow start).
    threshold: f64,
    in_flight: u32,
    last_cut: Option<Instant>,
    failures: u32,
    circuit: Circuit,
    paused_until: Option<Instant>,
    waiters: VecDeque<oneshot::Sender<()>>,
    used: Instant,
    /// It has metric series.
    shown: bool,
}

impl Destination {
    fn new(now: Instant) -> Self {
        Destination {
            limit: INITIAL_LIMIT,
            threshold: MAX_LIMIT,
            in_flight: 0,
            last_cut: None,
            failures: 0,
            circuit: Circuit::Closed,
            paused_until: None,
            waiters: VecDeque::new(),
            used: now,
            shown: false,
        }
    }

    fn has_room(&self) -> bool {
        f64::from(self.in_flight) < self.limit.floor().max(1.0)
    }
}

/// Every destination this process sends to.
pub struct Destinations {
    map: Mutex<HashMap<String, Destination>>,
    limits: Family<DestinationLabel, Gauge>,
    circuits: Family<DestinationLabel, Gauge>,
    waiting: AtomicUsize,
}

impl Destinations {
    /// None yet; `metrics` gets each throttled or open one's state.
    pub fn new(metrics: &Metrics) -> Arc<Self> {
        Arc::new(Destinations {
            map: Mutex::new(HashMap::new()),
            limits: metrics.destination_limit.clone(),
            circuits: metrics.destination_circuit.clone(),
            waiting: AtomicUsize::new(0),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Destination>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks to send to `key`: a slot or a time to come back when that is
    /// decided at once; otherwise the caller must wait ([`Waiting::wait`]).
    pub fn try_enter(self: &Arc<Self>, key: &str) -> Result<Entry, Waiting> {
        let now = Instant::now();
        let mut map = self.lock();
        if !map.contains_key(key) {
            if map.len() >= MAX_DESTINATIONS {
                evict_idle(&mut map);
            }
            map.insert(key.to_string(), Destination::new(now));
        }
        let Some(d) = map.get_mut(key) else {
            return Ok(Entry::Later(unix_ms(now, now)));
        };
        d.used = now;
        match d.circuit {
            Circuit::Open { until, next } if now >= until => {
                // This delivery probes it.
                d.circuit = Circuit::HalfOpen { next };
                d.in_flight += 1;
                self.show(key, d);
                return Ok(Entry::Go(self.slot(key)));
            }
            Circuit::Open { until, .. } => return Ok(Entry::Later(unix_ms(until, now))),
            Circuit::HalfOpen { .. } => return Ok(Entry::Later(unix_ms(now + FIRST_OPEN, now))),
            Circuit::Closed => {}
        }
        if let Some(until) = d.paused_until.filter(|u| *u > now) {
            return Ok(Entry::Later(unix_ms(until, now)));
        }
        if d.has_room() && d.waiters.is_empty() {
            d.in_flight += 1;
            return Ok(Entry::Go(self.slot(key)));
        }
        if self.waiting.load(AtomicOrdering::Relaxed) >= MAX_WAITING {
            return Ok(Entry::Later(unix_ms(now + Duration::from_secs(1), now)));
        }
        let (tx, rx) = oneshot::channel();
        d.waiters.push_back(tx);
        self.waiting.fetch_add(1, AtomicOrdering::Relaxed);
        Err(Waiting {
            destinations: self.clone(),
            key: key.to_string(),
            rx,
        })
    }

    fn slot(self: &Arc<Self>, key: &str) -> Slot {
        Slot {
            destinations: self.clone(),
            key: key.to_string(),
            started: Instant::now(),
            done: false,
        }
    }

    fn finish(&self, key: &str, signal: Signal, started: Instant, now: Instant) {
        let mut map = self.lock();
        let Some(d) = map.get_mut(key) else { return };
        d.in_flight = d.in_flight.saturating_sub(1);
        match signal {
            Signal::Success | Signal::Answered => {
                d.failures = 0;
                d.circuit = Circuit::Closed;
                if signal == Signal::Success && f64::from(d.in_flight + 1) >= d.limit / 2.0 {
                    // Slow start below the threshold the last cut set,
                    // one per limit's worth of successes above it.
                    d.limit += if d.limit < d.threshold {
                        1.0
                    } else {
                        1.0 / d.limit
                    };
                    d.limit = d.limit.min(MAX_LIMIT);
                }
            }
            Signal::Throttled(retry_after) | Signal::Overload(retry_after) => {
                if d.last_cut.is_none_or(|at| started >= at) {
                    d.limit = (d.limit / 2.0).max(1.0);
                    d.threshold = d.limit;
                    d.last_cut = Some(now);
                }
                if let Some(wait) = retry_after {
                    let until = now + wait.min(MAX_OPEN);
                    d.paused_until = Some(d.paused_until.map_or(until, |u| u.max(until)));
                }
                if matches!(signal, Signal::Overload(_)) {
                    failed(d, now);
                } else if let Circuit::HalfOpen { .. } = d.circuit {
                    // The probe was answered: it is up.
                    d.failures = 0;
                    d.circuit = Circuit::Closed;
                }
            }
            Signal::Failure => failed(d, now),
            Signal::NotSent => {
                if let Circuit::HalfOpen { next } = d.circuit {
                    // The probe sent nothing: the next delivery probes.
                    d.circuit = Circuit::Open { until: now, next };
                }
            }
        }
        // Freed slots go to those waiting, in order.
        while d.has_room() && !matches!(d.circuit, Circuit::Open { .. }) {
            let Some(tx) = d.waiters.pop_front() else {
                break;
            };
            if tx.send(()).is_ok() {
                d.in_flight += 1;
            }
        }
        self.show(key, d);
    }

    /// Publishes a destination's state: only destinations throttled below
    /// their start or not closed have series (a bounded set).
    fn show(&self, key: &str, d: &mut Destination) {
        let circuit = match d.circuit {
            Circuit::Closed => 0,
            Circuit::Open { .. } => 1,
            Circuit::HalfOpen { .. } => 2,
        };
        let normal = d.limit >= INITIAL_LIMIT && circuit == 0;
        if normal && !d.shown {
            // The common case: nothing to publish, nothing to allocate.
            return;
        }
        let label = DestinationLabel {
            destination: key.to_string(),
        };
        d.shown = !normal;
        if normal {
            self.limits.remove(&label);
            self.circuits.remove(&label);
            return;
        }
        self.limits
            .get_or_create(&label)
            .set(d.limit.floor() as i64);
        self.circuits.get_or_create(&label).set(circuit);
    }
}

/// Counts a failed attempt; opens the circuit after [`OPEN_AFTER`] in a
/// row, or at once when the probe failed (for twice as long).
fn failed(d: &mut Destination, now: Instant) {
    d.failures += 1;
    match d.circuit {
        Circuit::HalfOpen { next } => {
            d.circuit = Circuit::Open {
                until: now + next,
                next: (next * 2).min(MAX_OPEN),
            };
        }
        Circuit::Closed if d.failures >= OPEN_AFTER => {
            d.circuit = Circuit::Open {
                until: now + FIRST_OPEN,
                next: (FIRST_OPEN * 2).min(MAX_OPEN),
            };
        }
        _ => {}
    }
}

/// Drops idle destinations that are in their start state (no throttle,
/// circuit closed, nothing in flight or waiting).
fn evict_idle(map: &mut HashMap<String, Destination>) {
    map.retain(|_, d| {
        d.in_flight > 0
            || !d.waiters.is_empty()
            || d.circuit != Circuit::Closed
            || d.limit < INITIAL_LIMIT
    });
}

/// `at` as Unix ms, given `now`.
fn unix_ms(at: Instant, now: Instant) -> i64 {
    crate::store::now_ms() + at.saturating_duration_since(now).as_millis() as i64
}

mod signal;
mod slot;

pub use signal::{key_of, signal_of, Signal};
pub use slot::{Slot, Waiting};

#[cfg(test)]
mod tests;
