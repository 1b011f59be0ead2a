//! The outcome recorder: group commit of delivery outcomes. Every attempt's
//! outcome (and the acknowledgement of its queue entry) goes through one
//! writer task, which writes whatever has gathered since its last write in
//! one Redis transaction and then tells each waiting attempt that its
//! outcome is durable. Under load a write carries hundreds of outcomes (one
//! round trip, per-webhook counters summed, one `XACK` for all); when idle
//! an outcome is written at once, so batching adds no latency.
//!
//! Durability is unchanged by the batching: an attempt's task holds its
//! place (its concurrency permit, its claim on the entry) until the
//! transaction holding its outcome has been applied. When Redis is
//! unavailable the writer keeps the batch and writes it again (backing off
//! up to a second) as soon as Redis answers, for as long as the entries are
//! surely still this worker's (the retry window: visibility timeout minus
//! the longest attempt): the receiver got the delivery once, and its
//! outcome is recorded once (a transaction whose answer was lost is
//! recognised by its acknowledged entry). Past the window, or on any other
//! error, every attempt in the batch learns so and its entry stays claimed,
//! to be attempted again (at least once, same `webhook-id`).

use crate::model::Attempt;
use crate::store::deliveries::DeliveryRecord;
use crate::store::outcomes::{Outcome, OutcomeBatch, OutcomeWrite};
use crate::store::{Shard, Store, StoreError};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Outcomes written in one transaction, at most.
const MAX_BATCH: usize = 512;

/// What is waiting to be written.
enum Pending {
    Outcome {
        delivery: Arc<DeliveryRecord>,
        url: String,
        attempt: Option<Box<Attempt>>,
        outcome: Outcome,
        entry: (Shard, String),
        done: oneshot::Sender<Result<(), Arc<StoreError>>>,
    },
    Ack {
        entry: (Shard, String),
        done: oneshot::Sender<Result<(), Arc<StoreError>>>,
    },
}

/// A handle for recording outcomes. Cheap to clone; the writer stops once
/// every handle is dropped and everything sent has been written.
#[derive(Clone)]
pub struct Recorder {
    tx: mpsc::UnboundedSender<Pending>,
}

impl Recorder {
    /// Starts the writer task over `store`; a write that fails because
    /// Redis is unavailable is repeated for up to `retry_window`.
    pub fn spawn(store: Store, retry_window: Duration) -> (Recorder, JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(write_loop(store, rx, retry_window));
        (Recorder { tx }, task)
    }

    /// Records `outcome` of `delivery` (with `attempt`, if one was made)
    /// and acknowledges `entry_id`; returns once it is durable in Redis.
    pub async fn record(
        &self,
        delivery: Arc<DeliveryRecord>,
        url: String,
        attempt: Option<Attempt>,
        outcome: Outcome,
        entry: (Shard, String),
    ) -> Result<(), StoreError> {
        let (done, wait) = oneshot::channel();
        self.submit(
            Pending::Outcome {
                delivery,
                url,
                attempt: attempt.map(Box::new),
                outcome,
                entry,
                done,
            },
            wait,
        )
        .await
    }

    /// Acknowledges `entry_id` with no outcome (a duplicate of a finished
    /// delivery, or one whose records are gone).
    pub async fn ack(&self, entry: (Shard, String)) -> Result<(), StoreError> {
        let (done, wait) = oneshot::channel();
        self.submit(Pending::Ack { entry, done }, wait).await
    }

    async fn submit(
        &self,
        pending: Pending,
        wait: oneshot::Receiver<Result<(), Arc<StoreError>>>,
    ) -> Result<(), StoreError> {
        self.tx.send(pending).map_err(|_| StoreError::Stopped)?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StoreError::Batch(e)),
            Err(_) => Err(StoreError::Stopped),
        }
    }
}

async fn write_loop(
    store: Store,
    mut rx: mpsc::UnboundedReceiver<Pending>,
    retry_window: Duration,
) {
    let mut pending = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut pending, MAX_BATCH).await > 0 {
        let mut batch = OutcomeBatch::default();
        for p in &pending {
            match p {
                Pending::Outcome {
                    delivery,
                    url,
                    attempt,
                    outcome,
                    entry,
                    ..
                } => batch.add(OutcomeWrite {
                    org: &delivery.org,
                    delivery_id: &delivery.id,
                    webhook_id: &delivery.webhook_id,
                    url,
                    attempt: attempt.as_deref(),
                    outcome,
                    entry: (entry.0, &entry.1),
                    line: delivery.line.as_deref(),
                }),
                Pending::Ack { entry, .. } => batch.ack(entry.0, &entry.1),
            }
        }
        let result = write_with_retries(&store, &batch, retry_window)
            .await
            .map_err(Arc::new);
        if let Err(e) = &result {
            tracing::warn!("writing {} outcomes failed: {e}", pending.len());
        }
        for p in pending.drain(..) {
            let done = match p {
                Pending::Outcome { done, .. } | Pending::Ack { done, .. } => done,
            };
            // The attempt may have been cancelled (shutdown); nothing to tell then.
            let _ = done.send(result.clone());
        }
    }
}

/// Writes `batch`, again and again while Redis is unavailable, for up to
/// `window`.
async fn write_with_retries(
    store: &Store,
    batch: &OutcomeBatch<'_>,
    window: Duration,
) -> Result<(), StoreError> {
    let started = Instant::now();
    let mut written = BTreeSet::new();
    let mut pause = Duration::from_millis(50);
    let mut again = false;
    loop {
        match store.write_outcomes(batch, &mut written, again).await {
            Ok(()) => {
                if again {
                    tracing::info!(
                        "outcomes written after Redis came back ({:?} after the first failure)",
                        started.elapsed()
                    );
                }
                return Ok(());
            }
            Err(e) if e.is_unavailable() && started.elapsed() + pause < window => {
                if !again {
                    tracing::warn!(
                        "writing outcomes failed, writing again when Redis answers: {e}"
                    );
                }
                again = true;
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(1));
            }
            Err(e) => return Err(e),
        }
    }
}
