//! Outcomes of attempts, written atomically with acknowledging their queue
//! entries (so an outcome is never lost and never recorded twice for one
//! claim), in groups: all the outcomes gathered for one shard go in one
//! transaction (group commit), with per-webhook counters summed and one
//! `XACK`/`XDEL` for all entries. The final outcome of an ordered
//! webhook's delivery lets the next of its line go in the same transaction.

use super::{keys, now_ms, scripts, Shard, Store, StoreError};
use crate::clock::rfc3339_ms;
use crate::model::{Attempt, DeliveryStatus};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Hourly counters are kept this long (the API reports up to 7 days).
const STATS_TTL_SECS: i64 = 8 * 24 * 3600;

/// How a delivery's processing ended this time.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A 2xx.
    Succeeded,
    /// A filter dropped the event.
    Filtered {
        /// Why.
        reason: String,
    },
    /// Failed; retry at `due_ms`.
    Retry {
        /// Unix ms.
        due_ms: i64,
    },
    /// Failed for good.
    Dead,
    /// Not attempted: held for a slow webhook (see `lanes`), back on the
    /// queue at `until_ms` unless released sooner; status and attempts
    /// unchanged.
    Held {
        /// Unix ms.
        until_ms: i64,
    },
}

impl Outcome {
    /// The delivery status this outcome leaves.
    pub fn status(&self) -> DeliveryStatus {
        match self {
            Outcome::Succeeded => DeliveryStatus::Succeeded,
            Outcome::Filtered { .. } => DeliveryStatus::Filtered,
            Outcome::Retry { .. } => DeliveryStatus::Failed,
            Outcome::Dead => DeliveryStatus::Dead,
            Outcome::Held { .. } => DeliveryStatus::Pending,
        }
    }
}

/// One outcome to write, borrowed from what the recorder holds.
#[derive(Debug, Clone, Copy)]
pub struct OutcomeWrite<'a> {
    /// The delivery's org.
    pub org: &'a str,
    /// The delivery.
    pub delivery_id: &'a str,
    /// Its webhook.
    pub webhook_id: &'a str,
    /// The URL the attempt went to.
    pub url: &'a str,
    /// The attempt, if one was made (none when filtered).
    pub attempt: Option<&'a Attempt>,
    /// How it ended.
    pub outcome: &'a Outcome,
    /// The shard and queue entry to acknowledge with it.
    pub entry: (Shard, &'a str),
    /// The ordered webhook's line it is in: a final outcome lets the next
    /// one go.
    pub line: Option<&'a str>,
}

/// Outcomes and acknowledgements gathered for writing, by shard.
#[derive(Debug, Default)]
pub struct OutcomeBatch<'a> {
    shards: BTreeMap<Shard, ShardBatch<'a>>,
}

#[derive(Debug, Default)]
struct ShardBatch<'a> {
    outcomes: Vec<OutcomeWrite<'a>>,
    acks: Vec<&'a str>,
}

impl<'a> OutcomeBatch<'a> {
    /// Adds an outcome (and its entry's acknowledgement).
    pub fn add(&mut self, write: OutcomeWrite<'a>) {
        let batch = self.shards.entry(write.entry.0).or_default();
        batch.acks.push(write.entry.1);
        batch.outcomes.push(write);
    }

    /// Adds an acknowledgement with no outcome (a duplicate of a finished
    /// delivery, or one whose records expired).
    pub fn ack(&mut self, shard: Shard, entry_id: &'a str) {
        self.shards.entry(shard).or_default().acks.push(entry_id);
    }

    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.shards.is_empty()
    }
}

impl Store {
    /// Writes a batch of outcomes and acknowledgements: one transaction
    /// per shard, so within a shard every outcome is recorded and every
    /// entry acknowledged, or none is. With one shard, one round trip.
    ///
    /// Shards in `written` are skipped, and each shard written is added to
    /// it, so a failed write can be repeated with the same batch. With
    /// `again` (a repeat after a failure), a shard whose transaction may have
    /// been applied although its answer was lost is checked first: its
    /// entries are acknowledged in the same transaction, so if its first
    /// entry is no longer pending, it was applied (or another worker took
    /// the entry over) and is not written twice.
    pub async fn write_outcomes(
        &self,
        batch: &OutcomeBatch<'_>,
        written: &mut BTreeSet<Shard>,
        again: bool,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        // Shards live on different masters on a cluster: their transactions
        // go out together, not one after another.
        let results = futures_util::future::join_all(
            batch
                .shards
                .iter()
                .filter(|(shard, _)| !written.contains(*shard))
                .map(|(shard, writes)| async move {
                    (*shard, self.write_shard(*shard, writes, now, again).await)
                }),
        )
        .await;
        let mut first_error = None;
        for (shard, result) in results {
            match result {
                Ok(()) => {
                    written.insert(shard);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// One shard's transaction of [`Store::write_outcomes`].
    async fn write_shard(
        &self,
        shard: Shard,
        writes: &ShardBatch<'_>,
        now: i64,
        again: bool,
    ) -> Result<(), StoreError> {
        if again {
            if let Some(first) = writes.acks.first() {
                let pending: redis::Value = redis::cmd("XPENDING")
                    .arg(self.keys.queue(shard))
                    .arg(keys::GROUP)
                    .arg(*first)
                    .arg(*first)
                    .arg(1)
                    .query_async(&mut self.con())
                    .await?;
                if matches!(&pending, redis::Value::Array(items) if items.is_empty()) {
                    return Ok(());
                }
            }
        }
        let pipe = self.outcome_pipeline(shard, writes, now);
        pipe.query_async::<()>(&mut self.con()).await?;
        Ok(())
    }

    fn outcome_pipeline(&self, shard: Shard, batch: &ShardBatch<'_>, now: i64) -> redis::Pipeline {
        let k = &self.keys;
        let ttl = self.retention_secs();
        let mut pipe = redis::pipe();
        pipe.atomic();
        let updated_at = rfc3339_ms(now);
        let hour = now / 3_600_000;
        // (org, webhook) -> counter -> increment; (org, webhook) -> last attempt.
        let mut stats: HashMap<(&str, &str), HashMap<String, i64>> = HashMap::new();
        let mut last: HashMap<(&str, &str), (&Attempt, DeliveryStatus)> = HashMap::new();
        // Webhooks with a success in this batch (auto-disable's `ok_ms`).
        let mut succeeded: std::collections::HashSet<(&str, &str)> = Default::default();
        for w in &batch.outcomes {
            if let Outcome::Held { until_ms } = w.outcome {
                pipe.zadd(k.retries(shard), w.delivery_id, *until_ms)
                    .ignore();
                continue;
            }
            let hook = (w.org, w.webhook_id);
            let status = w.outcome.status();
            let counters = stats.entry(hook).or_default();
            let mut fields: Vec<(&str, String)> = vec![
                ("status", status.as_str().to_string()),
                ("updated_at", updated_at.clone()),
                ("url", w.url.to_string()),
            ];
            if let Some(a) = w.attempt {
                let akey = k.attempts(w.org, w.delivery_id);
                pipe.rpush(&akey, serde_json::to_string(a).unwrap_or_default())
                    .ignore();
                pipe.expire(&akey, ttl).ignore();
                let code = a.status_code.map(|c| c.to_string()).unwrap_or_default();
                let error = a
                    .error
                    .as_ref()
                    .map(|e| format!("{}: {}", e.class.as_str(), e.message))
                    .unwrap_or_default();
                fields.push(("attempts", a.number.to_string()));
                fields.push(("last_status_code", code));
                fields.push(("last_error", error));
                *counters.entry("attempts".into()).or_default() += 1;
                *counters.entry("duration_us".into()).or_default() +=
                    (a.duration_ms * 1000.0).round() as i64;
                let counter = match &a.error {
                    Some(e) => format!("err:{}", e.class.as_str()),
                    None => "attempts_ok".into(),
                };
                *counters.entry(counter).or_default() += 1;
                last.insert(hook, (a, status));
            }
            match w.outcome {
                Outcome::Filtered { reason } => fields.push(("last_error", reason.clone())),
                Outcome::Retry { due_ms } => {
                    pipe.zadd(k.retries(shard), w.delivery_id, *due_ms).ignore();
                    fields.push(("next_attempt_at", rfc3339_ms(*due_ms)));
                    *counters.entry("retries".into()).or_default() += 1;
                }
                Outcome::Dead => {
                    pipe.zadd(k.webhook_dead(w.org, w.webhook_id), w.delivery_id, now)
                        .ignore();
                }
                Outcome::Succeeded => {
                    succeeded.insert(hook);
                }
                Outcome::Held { .. } => {}
            }
            if !matches!(w.outcome, Outcome::Retry { .. }) {
                fields.push(("next_attempt_at", String::new()));
                *counters.entry(status.as_str().into()).or_default() += 1;
            }
            let dkey = k.delivery(w.org, w.delivery_id);
            pipe.hset_multiple(&dkey, &fields).ignore();
            pipe.expire(&dkey, ttl).ignore();
            if let (Some(line), true) = (w.line, status.is_final()) {
                let dead = matches!(w.outcome, Outcome::Dead);
                pipe.cmd("EVAL")
                    .arg(scripts::LINE_NEXT)
                    .arg(3)
                    .arg(line)
                    .arg(k.queue(shard))
                    .arg(&dkey)
                    .arg(w.delivery_id)
                    .arg(if dead { "1" } else { "0" })
                    .ignore();
            }
        }
        for ((org, webhook_id), counters) in &stats {
            let skey = k.webhook_stats(org, webhook_id, hour);
            for (field, n) in counters {
                pipe.hincr(&skey, field, *n).ignore();
            }
            pipe.expire(&skey, STATS_TTL_SECS).ignore();
        }
        for ((org, webhook_id), (a, status)) in &last {
            let key = k.webhook_last(org, webhook_id);
            let code = a.status_code.map(|c| c.to_string()).unwrap_or_default();
            let ok_ms = now.to_string();
            let mut fields = vec![
                ("at", a.at.as_str()),
                ("status", status.as_str()),
                ("status_code", code.as_str()),
            ];
            if succeeded.contains(&(*org, *webhook_id)) {
                fields.push(("ok_ms", ok_ms.as_str()));
            }
            pipe.hset_multiple(&key, &fields).ignore();
            pipe.expire(&key, STATS_TTL_SECS).ignore();
        }
        if !batch.acks.is_empty() {
            let queue = k.queue(shard);
            pipe.cmd("XACK")
                .arg(&queue)
                .arg(keys::GROUP)
                .arg(&batch.acks)
                .ignore();
            pipe.cmd("XDEL").arg(&queue).arg(&batch.acks).ignore();
        }
        pipe
    }

    /// Releases held deliveries (see `lanes`): each goes back on its
    /// shard's queue at the next move of due retries, unless it is no
    /// longer waiting in the retry set (then nothing changes).
    pub async fn release_held(&self, held: &[(Shard, &str)]) -> Result<(), StoreError> {
        let now = now_ms();
        let cmds = held
            .iter()
            .map(|(shard, id)| {
                let key = self.keys.retries(*shard);
                let mut cmd = redis::cmd("ZADD");
                cmd.arg(&key).arg("XX").arg("LT").arg(now).arg(*id);
                (key, cmd)
            })
            .collect();
        let _: Vec<i64> = self.con().pipeline_by_slot(cmds).await?;
        Ok(())
    }
}
