//! Delivery workers: claim batches from the queue (bounded by a semaphore:
//! at most `worker_concurrency` deliveries in flight in the main lane, and
//! receivers that hang kept apart in the slow lane: [`crate::lanes`]), take over entries of
//! dead workers, run each attempt and record its outcome; plus the retry
//! scheduler. Shutdown stops claiming and lets in-flight attempts finish,
//! bounded by the grace period; what does not finish stays claimed and is
//! taken over after the visibility timeout (at-least-once, same `webhook-id`).
//! Each attempt is a span of its event's trace when traces are exported
//! ([`trace`]).

use crate::app::App;
use crate::event::Event;
use crate::lanes::{Lanes, Route};
use crate::recorder::Recorder;
use crate::shutdown::sleep_or_stop;
use crate::store::queue::{Claimed, OwnScan, Queue};
use crate::store::{Shard, Store, StoreError};
use crate::takeover::{self, Reaper};
use ctx::{Ctx, Place};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use task::{process, Leftover, Work};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

mod admit;
mod ctx;
mod health;
mod task;
mod trace;

/// Entries read per batch, at most.
const BATCH: usize = 256;

/// A unique consumer name for this process.
pub fn consumer_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "herald".into());
    format!("{host}-{}-{}", std::process::id(), crate::id::new_id("c"))
}

/// Claimed entries in flight in this process (being attempted or waiting
/// for their outcome to be written), by shard and entry id.
type InFlight = Arc<Mutex<HashSet<(Shard, String)>>>;

/// Runs the delivery loop until `shutdown`, then drains in-flight work.
/// `reader` is a dedicated store connection for the blocking reads.
///
/// Where claimed work comes from, in this order: entries of dead workers
/// ([`takeover`], every second); this worker's own claimed entries that a
/// Redis failure left unfinished (read again from its pending list as soon
/// as Redis answers, skipping those still in flight); entries idle past the
/// visibility timeout (the last resort, every quarter of it); new entries.
pub async fn run(app: Arc<App>, reader: Store, shutdown: CancellationToken) {
    let mut queue = Queue::new(reader, consumer_name());
    let heartbeat_stop = CancellationToken::new();
    let heartbeat = tokio::spawn(takeover::keep_heartbeat(
        app.store.clone(),
        queue.consumer().to_string(),
        heartbeat_stop.clone(),
    ));
    while let Err(e) = queue.ensure_groups().await {
        tracing::warn!("cannot create the consumer group yet: {e}");
        if sleep_or_stop(Duration::from_secs(1), &shutdown).await {
            heartbeat_stop.cancel();
            return;
        }
    }
    tracing::info!(consumer = queue.consumer(), "delivery worker started");
    let window = app
        .settings
        .visibility_timeout
        .saturating_sub(app.settings.max_timeout + Duration::from_secs(2));
    let (recorder, writer) = Recorder::spawn(app.store.clone(), window);
    let permits = Arc::new(Semaphore::new(app.settings.worker_concurrency));
    let limiter = Arc::new(crate::rate::Limiter::default());
    let destinations = crate::destination::Destinations::new(&app.metrics);
    let failing = Arc::new(health::Failing::default());
    let lanes = Lanes::new(
        app.settings.slow_lane_concurrency,
        app.settings.slow_after,
        app.metrics.slow_lane_in_flight.clone(),
    );
    let tracker = TaskTracker::new();
    let in_flight: InFlight = Arc::default();
    let stranded = Arc::new(AtomicBool::new(false));
    let mut own_scan: Option<OwnScan> = None;
    let mut last_rescan = Instant::now();
    let mut reaper = Reaper::new(queue.consumer());
    let reclaim_every = app.settings.visibility_timeout / 4;
    let mut last_reclaim = Instant::now();
    loop {
        // Wait for room before claiming: claimed work must start at once.
        let first = tokio::select! {
            _ = shutdown.cancelled() => break,
            p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
        };
        let room = (permits.available_permits() + 1).min(BATCH);
        if own_scan.is_none()
            && last_rescan.elapsed() >= RESCAN_PAUSE
            && stranded.swap(false, Ordering::SeqCst)
        {
            own_scan = Some(queue.own_scan());
        }
        let batch = if reaper.due() {
            reaper.look(&app.store, room).await
        } else if let Some(scan) = own_scan.as_mut() {
            last_rescan = Instant::now();
            let found = queue.rescan_own(scan, room).await;
            if found.is_err() || scan.is_done() {
                own_scan = None;
            }
            found.map(|entries| {
                let busy = lock(&in_flight);
                entries
                    .into_iter()
                    .filter(|c| !busy.contains(&(c.shard, c.entry_id.clone())))
                    .collect()
            })
        } else if last_reclaim.elapsed() >= reclaim_every {
            last_reclaim = Instant::now();
            queue.reclaim(app.settings.visibility_timeout, room).await
        } else {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                r = queue.read(room, Duration::from_secs(1)) => r,
            }
        };
        // A batch claimed but not loaded stays claimed by this worker: it is
        // read again from the pending list once Redis answers.
        let claimed = match batch {
            Ok(batch) => load(&app, &batch).await.map(|work| (batch, work)),
            Err(e) => Err(e),
        };
        let (batch, loaded) = match claimed {
            Ok(claimed) => claimed,
            Err(e) => {
                tracing::warn!("claiming a batch from the queue failed: {e}");
                stranded.store(true, Ordering::SeqCst);
                drop(first);
                if sleep_or_stop(Duration::from_millis(500), &shutdown).await {
                    break;
                }
                continue;
            }
        };
        let mut first = Some(first);
        for (claimed, work) in batch.into_iter().zip(loaded) {
            // A slow webhook's delivery takes a slow place or is held; it
            // does not wait for a main place.
            let (work, place) = match work {
                Work::Attempt(d, e) => match lanes.route(&d.webhook_id) {
                    Route::Main => (Work::Attempt(d, e), None),
                    Route::Slow(place) => (Work::Attempt(d, e), Some(Place::Slow(place))),
                    Route::Hold => (Work::Hold(d), Some(Place::Held)),
                },
                other => (other, None),
            };
            let place = match (place, first.take()) {
                (Some(place), first_back) => {
                    first = first_back;
                    place
                }
                (None, Some(p)) => Place::Main(p),
                (None, None) => match permits.clone().acquire_owned().await {
                    Ok(p) => Place::Main(p),
                    Err(_) => break,
                },
            };
            lock(&in_flight).insert((claimed.shard, claimed.entry_id.clone()));
            tracker.spawn(process(
                Ctx {
                    app: app.clone(),
                    recorder: recorder.clone(),
                    lanes: lanes.clone(),
                    permits: permits.clone(),
                    limiter: limiter.clone(),
                    destinations: destinations.clone(),
                    stop: shutdown.clone(),
                    failing: failing.clone(),
                },
                claimed,
                work,
                place,
                Leftover {
                    in_flight: in_flight.clone(),
                    stranded: stranded.clone(),
                },
            ));
        }
    }
    tracker.close();
    let grace = app.settings.shutdown_grace;
    let deadline = tokio::time::Instant::now() + grace;
    if tokio::time::timeout_at(deadline, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!("{} deliveries still in flight after {grace:?}; they will be taken over by another worker", tracker.len());
    }
    // Outcomes already handed to the recorder are written before stopping.
    drop(recorder);
    // Within the same grace period, but always a moment to write what finished last.
    let deadline = deadline.max(tokio::time::Instant::now() + Duration::from_secs(1));
    if tokio::time::timeout_at(deadline, writer).await.is_err() {
        tracing::warn!("outcomes still unwritten after {grace:?}; their entries will be taken over by another worker");
    }
    // Without a heartbeat, what this worker still holds is taken over at once.
    heartbeat_stop.cancel();
    let _ = heartbeat.await;
    tracing::info!("delivery worker stopped");
}

/// The pause between two reads of the own pending list.
const RESCAN_PAUSE: Duration = Duration::from_millis(500);

fn lock(in_flight: &InFlight) -> std::sync::MutexGuard<'_, HashSet<(Shard, String)>> {
    in_flight
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Moves due retries back onto the queue, until `shutdown`.
pub async fn schedule_retries(app: Arc<App>, shutdown: CancellationToken) {
    loop {
        match app.store.move_due_retries(1000).await {
            Ok(1000) => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!("moving due retries failed: {e}"),
        }
        if sleep_or_stop(Duration::from_millis(200), &shutdown).await {
            return;
        }
    }
}

/// Loads the deliveries of `batch` and their events (each event read and
/// parsed once, however many deliveries of the batch share it).
async fn load(app: &App, batch: &[Claimed]) -> Result<Vec<Work>, StoreError> {
    let ids: Vec<_> = batch
        .iter()
        .map(|c| (c.shard, c.delivery_id.as_str()))
        .collect();
    let loaded = app.store.load_batch(&ids).await?;
    let mut parsed: HashMap<*const u8, Option<Arc<Event>>> = HashMap::new();
    Ok(loaded
        .into_iter()
        .map(|r| match r {
            Err(e) => Work::Failed(e),
            Ok(None) => Work::Ack,
            Ok(Some((d, _))) if d.status.is_final() => Work::Ack,
            Ok(Some((d, json))) => {
                let event = json.and_then(|j| {
                    parsed
                        .entry(j.as_ptr())
                        .or_insert_with(|| serde_json::from_str::<Event>(&j).ok().map(Arc::new))
                        .clone()
                });
                Work::Attempt(Arc::new(d), event)
            }
        })
        .collect())
}
