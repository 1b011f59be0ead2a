//! One claimed delivery's task: held for a slow webhook, or attempted
//! (moving to the slow lane when its receiver hangs), its outcome handed to
//! the recorder, and the held deliveries its end frees released.

use super::ctx::{Ctx, Place};
use super::health;
use super::{lock, InFlight};
use crate::app::App;
use crate::attempt::{self, Filters};
use crate::destination::{self, Entry};
use crate::event::Event;
use crate::lanes::Held;
use crate::model::ErrorClass;
use crate::retry;
use crate::store::deliveries::DeliveryRecord;
use crate::store::outcomes::Outcome;
use crate::store::queue::Claimed;
use crate::store::{now_ms, Shard, StoreError};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument as _;

/// What a claimed entry needs, loaded for a whole batch at once.
pub(super) enum Work {
    /// The delivery and its event (`None`: the event expired or is corrupt).
    Attempt(Arc<DeliveryRecord>, Option<Arc<Event>>),
    /// The delivery, held for its slow webhook without an attempt.
    Hold(Arc<DeliveryRecord>),
    /// Nothing to do: the delivery is gone or already final; acknowledge.
    Ack,
    /// Loading failed for this entry alone (a corrupt record); it stays claimed.
    Failed(StoreError),
}

/// What a finished task leaves: its entry no longer in flight and, when a
/// Redis failure left it unfinished, the worker told to read it again.
pub(super) struct Leftover {
    pub(super) in_flight: InFlight,
    pub(super) stranded: Arc<AtomicBool>,
}

/// The claimed entry, as the recorder acknowledges it.
fn entry(claimed: &Claimed) -> (crate::store::Shard, String) {
    (claimed.shard, claimed.entry_id.clone())
}

/// Why a webhook whose receiver answered 410 Gone is deactivated.
const GONE: &str = "the receiver answered 410 Gone; webhook deactivated";

pub(super) async fn process(
    ctx: Ctx,
    claimed: Claimed,
    work: Work,
    mut place: Place,
    leftover: Leftover,
) {
    let result = match work {
        Work::Attempt(delivery, event) => handle(&ctx, &claimed, delivery, event, &mut place).await,
        Work::Hold(delivery) => hold(&ctx, &claimed, &delivery).await,
        Work::Ack => ctx.recorder.ack(entry(&claimed)).await,
        Work::Failed(e) => Err(e),
    };
    drop(place);
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

/// Holds a delivery of a slow webhook: back on the queue at the visibility
/// timeout, or sooner when the webhook's slow attempts end.
async fn hold(
    ctx: &Ctx,
    claimed: &Claimed,
    delivery: &Arc<DeliveryRecord>,
) -> Result<(), StoreError> {
    let until_ms = now_ms() + ctx.app.settings.visibility_timeout.as_millis() as i64;
    back_later(ctx, claimed, delivery.clone(), until_ms).await?;
    ctx.app.metrics.deliveries_held.inc();
    let held = Held {
        shard: claimed.shard,
        delivery_id: delivery.id.clone(),
        until_ms,
    };
    if !ctx.lanes.hold(&delivery.webhook_id, held) {
        // The webhook answered in time meanwhile: released at once.
        release(&ctx.app, &[(claimed.shard, delivery.id.as_str())]).await;
    }
    Ok(())
}

/// Puts a delivery back on the queue until `until_ms` without an attempt
/// (status and attempts unchanged), acknowledging its entry.
async fn back_later(
    ctx: &Ctx,
    claimed: &Claimed,
    delivery: Arc<DeliveryRecord>,
    until_ms: i64,
) -> Result<(), StoreError> {
    ctx.recorder
        .record(
            delivery,
            String::new(),
            None,
            Outcome::Held { until_ms },
            entry(claimed),
        )
        .await
}

/// Releases held deliveries (a failure only leaves them to come back at
/// their deadline).
async fn release(app: &App, held: &[(Shard, &str)]) {
    if held.is_empty() {
        return;
    }
    if let Err(e) = app.store.release_held(held).await {
        tracing::warn!(
            "releasing {} held deliveries failed (they come back at their deadline): {e}",
            held.len()
        );
    }
}

async fn handle(
    ctx: &Ctx,
    claimed: &Claimed,
    delivery: Arc<DeliveryRecord>,
    event: Option<Arc<Event>>,
    place: &mut Place,
) -> Result<(), StoreError> {
    let (app, recorder) = (&*ctx.app, &ctx.recorder);
    let store = &app.store;
    let Some(mut webhook) = app
        .webhooks
        .get(&delivery.org, &delivery.webhook_id)
        .await?
    else {
        return recorder.ack(entry(claimed)).await;
    };
    if let Some(limit) = webhook.rate_limit.filter(|_| webhook.active) {
        if let Some(until_ms) = super::admit::rate_limited(ctx, &webhook, limit, place).await? {
            // Back on the queue at its turn: not an attempt, nothing sent.
            app.metrics.rate_limit_deferred.inc();
            return back_later(ctx, claimed, delivery, until_ms).await;
        }
        // It may have changed while this delivery waited (deactivated,
        // auto-disabled, deleted).
        match app
            .webhooks
            .get(&delivery.org, &delivery.webhook_id)
            .await?
        {
            Some(now) => webhook = now,
            None => return recorder.ack(entry(claimed)).await,
        }
    }
    if !webhook.active {
        let outcome = store
            .park(&delivery.org, &delivery.id, &webhook.id, &claimed.entry_id)
            .await?;
        tracing::debug!(delivery = %delivery.id, webhook = %webhook.id, "inactive webhook: {outcome}");
        return Ok(());
    }
    let Some(event) = event else {
        tracing::warn!(delivery = %delivery.id, "the event is gone (expired or corrupt); dropping the delivery");
        if delivery.line.is_some() {
            // Its line must not wait for it: dead, and the next one goes.
            return recorder
                .record(
                    delivery,
                    webhook.url.clone(),
                    None,
                    Outcome::Dead,
                    entry(claimed),
                )
                .await;
        }
        return recorder.ack(entry(claimed)).await;
    };
    let mut slot = match super::admit::destination_slot(ctx, &webhook, place).await {
        Entry::Go(slot) => Some(slot),
        Entry::Later(until_ms) => {
            // Not sent: not an attempt; back on the queue at that time.
            app.metrics.destination_deferred.inc();
            return back_later(ctx, claimed, delivery, until_ms).await;
        }
    };
    let number = delivery.attempts + 1;
    let span = super::trace::attempt(&delivery, &event, number, &claimed.entry_id);
    let started = Instant::now();
    let (record, result) = {
        let run = attempt::run(app, &webhook, &event, &delivery.id, number, Filters::Apply)
            .instrument(span.clone());
        tokio::pin!(run);
        tokio::select! {
        r = &mut run => r,
        () = tokio::time::sleep(ctx.lanes.slow_after()) => {
            // Still unanswered: the webhook is slow; this attempt gives its
            // main place back if the slow lane has room, and its
            // destination's slot at once (the slow lane bounds hanging
            // attempts; its destination's other webhooks go on).
            if let Some(slot) = slot.take() {
                slot.finish(destination::Signal::NotSent);
            }
            if matches!(place, Place::Main(_)) {
                if let Some(slow) = ctx.lanes.promote(&webhook.id) {
                    *place = Place::Slow(slow);
                }
            }
            run.await
        }
        }
    };
    let in_time = record.as_ref().map(|a| {
        started.elapsed() < ctx.lanes.slow_after()
            && !a
                .error
                .as_ref()
                .is_some_and(|e| e.class == ErrorClass::Timeout)
    });
    if let Some(slot) = slot {
        slot.finish(destination::signal_of(record.as_ref(), &result));
    }
    let released = ctx.lanes.finished(&webhook.id, in_time, now_ms());
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
    // What the webhook's health takes from this attempt (see `health`).
    let (failed, gone) = match &result {
        attempt::Ending::Failed { gone, .. } => (true, *gone),
        _ => (false, false),
    };
    let error = match (&record, failed) {
        (Some(a), true) => a
            .error
            .as_ref()
            .map(|e| format!("{}: {}", e.class.as_str(), e.message))
            .unwrap_or_default(),
        _ => String::new(),
    };
    let outcome = match result {
        attempt::Ending::Delivered => Outcome::Succeeded,
        attempt::Ending::Filtered(reason) => Outcome::Filtered { reason },
        attempt::Ending::Failed { gone: true, .. } => {
            store
                .deactivate_webhook(&webhook.org, &webhook.id, GONE)
                .await?;
            app.webhooks.invalidate(&webhook.id);
            span.in_scope(|| tracing::warn!(webhook = %webhook.id, "{GONE}"));
            Outcome::Dead
        }
        attempt::Ending::Failed {
            permanent: true, ..
        } => Outcome::Dead,
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
    super::trace::ended(&span, &outcome, &error);
    let created_ms = delivery.created_ms;
    let kept = delivery.clone();
    recorder
        .record(
            delivery,
            webhook.url.clone(),
            record,
            outcome.clone(),
            entry(claimed),
        )
        .instrument(super::trace::recording(&span))
        .await?;
    let end = match &outcome {
        Outcome::Succeeded => Some(health::End::Succeeded),
        Outcome::Retry { .. } | Outcome::Dead if failed => Some(health::End::Failed {
            dead: matches!(outcome, Outcome::Dead),
            gone,
            error: &error,
        }),
        _ => None,
    };
    if let Some(end) = end {
        health::after(app, &ctx.failing, &webhook, &kept, end).await;
    }
    if gone && !crate::operational::is_own(&kept.event_type) {
        health::emit_disabled(app, &webhook, GONE).await;
    }
    let label = match &outcome {
        Outcome::Succeeded => {
            let latency = (now_ms() - created_ms).max(0) as f64 / 1e3;
            app.metrics.delivery_latency.observe(latency);
            "succeeded"
        }
        Outcome::Filtered { .. } => "filtered",
        // (Held is never an attempt's outcome.)
        Outcome::Retry { .. } | Outcome::Held { .. } => "failed",
        Outcome::Dead => "dead",
    };
    app.metrics.delivery(&webhook.id, label);
    let released: Vec<_> = released
        .iter()
        .map(|h| (h.shard, h.delivery_id.as_str()))
        .collect();
    release(app, &released).await;
    Ok(())
}
