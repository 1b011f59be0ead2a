//! What every delivery task shares ([`Ctx`]) and the place each holds
//! while it runs ([`Place`]).

use super::health;
use crate::app::App;
use crate::destination::Destinations;
use crate::lanes::{Lanes, SlowPlace};
use crate::rate::Limiter;
use crate::recorder::Recorder;
use std::sync::Arc;
use tokio::sync::OwnedSemaphorePermit;

/// What every delivery task shares.
pub(super) struct Ctx {
    pub(super) app: Arc<App>,
    pub(super) recorder: Recorder,
    pub(super) lanes: Arc<Lanes>,
    /// The main lane's places (given back while a delivery waits for its
    /// webhook's rate limit).
    pub(super) permits: Arc<tokio::sync::Semaphore>,
    pub(super) limiter: Arc<Limiter>,
    /// Adaptive concurrency and circuits per receiver `host:port`.
    pub(super) destinations: Arc<Destinations>,
    /// The worker is stopping.
    pub(super) stop: tokio_util::sync::CancellationToken,
    /// Webhooks this process saw failing.
    pub(super) failing: Arc<health::Failing>,
}

/// The place a delivery task holds while it runs.
pub(super) enum Place {
    /// A main-lane place.
    Main(#[allow(dead_code)] OwnedSemaphorePermit),
    /// A slow-lane place.
    Slow(#[allow(dead_code)] SlowPlace),
    /// None: the delivery is only held.
    Held,
}
