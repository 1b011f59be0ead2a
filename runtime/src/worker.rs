//! Delivery workers: claim batches from the queue (bounded by a semaphore:
//! at most `worker_concurrency` deliveries in flight), take over entries of
//! dead workers, run each attempt and record its outcome; plus the retry
//! scheduler. Shutdown stops claiming and lets in-flight attempts finish,
//! bounded by the grace period; what does not finish stays claimed and is
//! taken over after the visibility timeout (at-least-once, same `webhook-id`).

use crate::app::App;
use crate::attempt::{self, Filters};
use crate::event::Event;
use crate::recorder::Recorder;
use crate::retry;
use crate::shutdown::sleep_or_stop;
use crate::store::deliveries::DeliveryRecord;
use crate::store::outcomes::Outcome;
use crate::store::queue::{Claimed, OwnScan, Queue};
use crate::store::{now_ms, Shard, Store, StoreError};
use crate::takeover::{self, Reaper};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

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
            let permit = match first.take() {
                Some(p) => p,
                None => match permits.clone().acquire_owned().await {
                    Ok(p) => p,
                    Err(_) => break,
                },
            };
            lock(&in_flight).insert((claimed.shard, claimed.entry_id.clone()));
            tracker.spawn(process(
                app.clone(),
                recorder.clone(),
                claimed,
                work,
                permit,
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

/// What a finished task leaves: its entry no longer in flight and, when a
/// Redis failure left it unfinished, the worker told to read it again.
struct Leftover {
    in_flight: InFlight,
    stranded: Arc<AtomicBool>,
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

/// What a claimed entry needs, loaded for a whole batch at once.
enum Work {
    /// The delivery and its event (`None`: the event expired or is corrupt).
    Attempt(Arc<DeliveryRecord>, Option<Arc<Event>>),
    /// Nothing to do: the delivery is gone or already final; acknowledge.
    Ack,
    /// Loading failed for this entry alone (a corrupt record); it stays claimed.
    Failed(StoreError),
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

/// The claimed entry, as the recorder acknowledges it.
fn entry(claimed: &Claimed) -> (crate::store::Shard, String) {
    (claimed.shard, claimed.entry_id.clone())
}

async fn process(
    app: Arc<App>,
    recorder: Recorder,
    claimed: Claimed,
    work: Work,
    _permit: OwnedSemaphorePermit,
    leftover: Leftover,
) {
    let result = match work {
        Work::Attempt(delivery, event) => handle(&app, &recorder, &claimed, delivery, event).await,
        Work::Ack => recorder.ack(entry(&claimed)).await,
        Work::Failed(e) => Err(e),
    };
    // No longer in flight before the worker may be told to read it again.
    lock(&leftover.in_flight).remove(&(claimed.shard, claimed.entry_id.clone()));
    if let Err(e) = result {
        // The entry stays claimed by this worker: read again as soon as
        // Redis answers when Redis failed, else taken over after the
        // visibility timeout.
        if e.is_unavailable() {
            leftover.stranded.store(true, Ordering::SeqCst);
        }
        tracing::warn!(delivery = %claimed.delivery_id, "delivery step failed, will be retried: {e}");
    }
}

async fn handle(
    app: &App,
    recorder: &Recorder,
    claimed: &Claimed,
    delivery: Arc<DeliveryRecord>,
    event: Option<Arc<Event>>,
) -> Result<(), StoreError> {
    let store = &app.store;
    let Some(webhook) = app
        .webhooks
        .get(&delivery.org, &delivery.webhook_id)
        .await?
    else {
        return recorder.ack(entry(claimed)).await;
    };
    if !webhook.active {
        let outcome = store
            .park(&delivery.org, &delivery.id, &webhook.id, &claimed.entry_id)
            .await?;
        tracing::debug!(delivery = %delivery.id, webhook = %webhook.id, "inactive webhook: {outcome}");
        return Ok(());
    }
    let Some(event) = event else {
        tracing::warn!(delivery = %delivery.id, "the event is gone (expired or corrupt); dropping the delivery");
        return recorder.ack(entry(claimed)).await;
    };
    let number = delivery.attempts + 1;
    let (record, result) =
        attempt::run(app, &webhook, &event, &delivery.id, number, Filters::Apply).await;
    app.metrics
        .attempts
        .get_or_create(&crate::metrics::ResultLabel {
            result: record
                .as_ref()
                .and_then(|a| a.error.as_ref())
                .map_or("ok", |e| e.class.as_str())
                .into(),
        })
        .inc();
    let outcome = match result {
        attempt::Ending::Delivered => Outcome::Succeeded,
        attempt::Ending::Filtered(reason) => Outcome::Filtered { reason },
        attempt::Ending::Failed { gone: true, .. } => {
            let reason = "the receiver answered 410 Gone; webhook deactivated";
            store
                .deactivate_webhook(&webhook.org, &webhook.id, reason)
                .await?;
            app.webhooks.invalidate(&webhook.id);
            tracing::warn!(webhook = %webhook.id, "{reason}");
            Outcome::Dead
        }
        attempt::Ending::Failed { retry_after, .. } => {
            match retry::scheduled_delay(&webhook.retry.schedule, number as usize) {
                Some(delay) => {
                    let wait = retry::next_delay(delay, retry_after, app.settings.retry_after_cap);
                    app.metrics.retries_scheduled.inc();
                    Outcome::Retry {
                        due_ms: now_ms() + wait.as_millis() as i64,
                    }
                }
                None => Outcome::Dead,
            }
        }
    };
    let created_ms = delivery.created_ms;
    recorder
        .record(
            delivery,
            webhook.url.clone(),
            record,
            outcome.clone(),
            entry(claimed),
        )
        .await?;
    let label = match &outcome {
        Outcome::Succeeded => {
            let latency = (now_ms() - created_ms).max(0) as f64 / 1e3;
            app.metrics.delivery_latency.observe(latency);
            "succeeded"
        }
        Outcome::Filtered { .. } => "filtered",
        Outcome::Retry { .. } => "failed",
        Outcome::Dead => "dead",
    };
    app.metrics.delivery(&webhook.id, label);
    Ok(())
}
