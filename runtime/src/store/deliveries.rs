//! Delivery records and their attempts: loading what a worker needs,
//! recording an outcome atomically with acknowledging the queue entry (so
//! an outcome is never lost and never recorded twice for one claim), the
//! dead-letter set, and per-webhook hourly counters for stats.

use super::{keys, now_ms, rfc3339_ms, Store, StoreError};
use crate::model::{Attempt, DeliveryStatus};
use std::collections::HashMap;
use std::sync::Arc;

/// Stats buckets are kept this long (the API reports up to 7 days).
const STATS_TTL_SECS: i64 = 8 * 24 * 3600;

/// A delivery as stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeliveryRecord {
    /// `dlv_…`; also the `webhook-id` header on every attempt.
    pub id: String,
    /// Owning org.
    pub org: String,
    /// The webhook.
    pub webhook_id: String,
    /// The event.
    pub event_id: String,
    /// The event type.
    pub event_type: String,
    /// The URL of the last attempt.
    pub url: Option<String>,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: u32,
    /// Status code of the last response.
    pub last_status_code: Option<u16>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// Unix ms of creation (latency metrics).
    #[serde(skip)]
    pub created_ms: i64,
    /// When the next attempt is due, if one is scheduled.
    pub next_attempt_at: Option<String>,
    /// The last error or filter reason.
    pub last_error: Option<String>,
}

impl DeliveryRecord {
    fn from_hash(key: &str, mut h: HashMap<String, String>) -> Result<Self, StoreError> {
        let corrupt = |m: &str| StoreError::Corrupt {
            key: key.to_string(),
            message: m.to_string(),
        };
        let mut take = |f: &str| h.remove(f).filter(|v| !v.is_empty());
        Ok(DeliveryRecord {
            id: take("id").ok_or_else(|| corrupt("no id"))?,
            org: take("org").ok_or_else(|| corrupt("no org"))?,
            webhook_id: take("webhook_id").ok_or_else(|| corrupt("no webhook_id"))?,
            event_id: take("event_id").ok_or_else(|| corrupt("no event_id"))?,
            event_type: take("event_type").unwrap_or_default(),
            url: take("url"),
            status: take("status")
                .and_then(|s| DeliveryStatus::parse(&s))
                .ok_or_else(|| corrupt("bad status"))?,
            attempts: take("attempts").and_then(|a| a.parse().ok()).unwrap_or(0),
            last_status_code: take("last_status_code").and_then(|c| c.parse().ok()),
            created_at: take("created_at").unwrap_or_default(),
            updated_at: take("updated_at").unwrap_or_default(),
            created_ms: take("created_ms").and_then(|c| c.parse().ok()).unwrap_or(0),
            next_attempt_at: take("next_attempt_at"),
            last_error: take("last_error"),
        })
    }
}

/// How an attempt (or a filter) ended.
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
}

impl Outcome {
    fn status(&self) -> DeliveryStatus {
        match self {
            Outcome::Succeeded => DeliveryStatus::Succeeded,
            Outcome::Filtered { .. } => DeliveryStatus::Filtered,
            Outcome::Retry { .. } => DeliveryStatus::Failed,
            Outcome::Dead => DeliveryStatus::Dead,
        }
    }
}

impl Store {
    /// The deliveries `ids` and their events' JSON, in two round trips
    /// whatever their number (each event fetched once, however many of the
    /// deliveries share it). One result per id, in order: `Ok(None)` for a
    /// delivery that no longer exists, an error for one that is corrupt.
    pub async fn load_batch(
        &self,
        ids: &[&str],
    ) -> Result<Vec<Result<Option<(DeliveryRecord, Option<Arc<str>>)>, StoreError>>, StoreError>
    {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        let keys: Vec<String> = ids.iter().map(|id| keys::delivery(id)).collect();
        for key in &keys {
            pipe.cmd("HGETALL").arg(key);
        }
        let hashes: Vec<HashMap<String, String>> = pipe.query_async(&mut self.con()).await?;
        let records: Vec<Result<Option<DeliveryRecord>, StoreError>> = keys
            .iter()
            .zip(hashes)
            .map(|(key, h)| {
                if h.is_empty() {
                    Ok(None)
                } else {
                    DeliveryRecord::from_hash(key, h).map(Some)
                }
            })
            .collect();
        let mut events: HashMap<String, Option<Arc<str>>> = HashMap::new();
        for r in records.iter().flatten().flatten() {
            events
                .entry(keys::event(&r.org, &r.event_id))
                .or_insert(None);
        }
        let event_keys: Vec<String> = events.keys().cloned().collect();
        if !event_keys.is_empty() {
            let mut pipe = redis::pipe();
            for key in &event_keys {
                pipe.cmd("HGET").arg(key).arg("json");
            }
            let found: Vec<Option<String>> = pipe.query_async(&mut self.con()).await?;
            for (key, json) in event_keys.into_iter().zip(found) {
                events.insert(key, json.map(Arc::from));
            }
        }
        Ok(records
            .into_iter()
            .map(|r| {
                r.map(|o| {
                    o.map(|d| {
                        let json = events
                            .get(&keys::event(&d.org, &d.event_id))
                            .cloned()
                            .flatten();
                        (d, json)
                    })
                })
            })
            .collect())
    }

    /// An event's stored JSON, if it is still kept.
    pub async fn event_json(
        &self,
        org: &str,
        event_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(redis::cmd("HGET")
            .arg(keys::event(org, event_id))
            .arg("json")
            .query_async(&mut self.con())
            .await?)
    }

    /// A delivery.
    pub async fn delivery(&self, id: &str) -> Result<Option<DeliveryRecord>, StoreError> {
        let key = keys::delivery(id);
        let hash: HashMap<String, String> = redis::cmd("HGETALL")
            .arg(&key)
            .query_async(&mut self.con())
            .await?;
        if hash.is_empty() {
            return Ok(None);
        }
        DeliveryRecord::from_hash(&key, hash).map(Some)
    }

    /// A delivery's attempts, oldest first.
    pub async fn attempts(&self, id: &str) -> Result<Vec<Attempt>, StoreError> {
        let key = keys::attempts(id);
        let items: Vec<String> = redis::cmd("LRANGE")
            .arg(&key)
            .arg(0)
            .arg(-1)
            .query_async(&mut self.con())
            .await?;
        items.iter().map(|j| super::decode(&key, j)).collect()
    }

    /// Writes a batch of outcomes and acknowledgements in one transaction
    /// (one round trip): every outcome of the batch is recorded, and every
    /// entry acknowledged, or none is.
    pub async fn write_outcomes(&self, batch: OutcomeBatch<'_>) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let pipe = batch.pipeline(self.retention_secs(), now_ms());
        pipe.query_async::<()>(&mut self.con()).await?;
        Ok(())
    }
}

/// One outcome to write, borrowed from what the recorder holds.
#[derive(Debug, Clone, Copy)]
pub struct OutcomeWrite<'a> {
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
    /// The queue entry to acknowledge with it.
    pub entry_id: &'a str,
}

/// Outcomes and acknowledgements gathered for one transaction. Per-webhook
/// counters are summed and the webhook's "last attempt" written once per
/// batch, and every entry is acknowledged by one `XACK` and one `XDEL`, so
/// a batch of n deliveries costs about 4n + 2 commands instead of 20n.
#[derive(Debug, Default)]
pub struct OutcomeBatch<'a> {
    outcomes: Vec<OutcomeWrite<'a>>,
    acks: Vec<&'a str>,
}

impl<'a> OutcomeBatch<'a> {
    /// Adds an outcome (and its entry's acknowledgement).
    pub fn add(&mut self, write: OutcomeWrite<'a>) {
        self.acks.push(write.entry_id);
        self.outcomes.push(write);
    }

    /// Adds an acknowledgement with no outcome (a duplicate of a finished
    /// delivery, or one whose records expired).
    pub fn ack(&mut self, entry_id: &'a str) {
        self.acks.push(entry_id);
    }

    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.outcomes.is_empty() && self.acks.is_empty()
    }

    fn pipeline(&self, ttl: i64, now: i64) -> redis::Pipeline {
        let mut pipe = redis::pipe();
        pipe.atomic();
        let updated_at = rfc3339_ms(now);
        let hour = now / 3_600_000;
        // webhook id -> (counter -> increment); webhook id -> last attempt.
        let mut stats: HashMap<&str, HashMap<String, i64>> = HashMap::new();
        let mut last: HashMap<&str, (&Attempt, DeliveryStatus)> = HashMap::new();
        for w in &self.outcomes {
            let dkey = keys::delivery(w.delivery_id);
            let status = w.outcome.status();
            let counters = stats.entry(w.webhook_id).or_default();
            let mut fields: Vec<(&str, String)> = vec![
                ("status", status.as_str().to_string()),
                ("updated_at", updated_at.clone()),
                ("url", w.url.to_string()),
            ];
            if let Some(a) = w.attempt {
                let akey = keys::attempts(w.delivery_id);
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
                let counter = match &a.error {
                    Some(e) => format!("err:{}", e.class.as_str()),
                    None => "attempts_ok".into(),
                };
                *counters.entry(counter).or_default() += 1;
                last.insert(w.webhook_id, (a, status));
            }
            match w.outcome {
                Outcome::Filtered { reason } => fields.push(("last_error", reason.clone())),
                Outcome::Retry { due_ms } => {
                    pipe.zadd(keys::RETRIES, w.delivery_id, *due_ms).ignore();
                    fields.push(("next_attempt_at", rfc3339_ms(*due_ms)));
                    *counters.entry("retries".into()).or_default() += 1;
                }
                Outcome::Dead => {
                    pipe.zadd(keys::webhook_dead(w.webhook_id), w.delivery_id, now)
                        .ignore();
                }
                Outcome::Succeeded => {}
            }
            if !matches!(w.outcome, Outcome::Retry { .. }) {
                fields.push(("next_attempt_at", String::new()));
                *counters.entry(status.as_str().into()).or_default() += 1;
            }
            pipe.hset_multiple(&dkey, &fields).ignore();
            pipe.expire(&dkey, ttl).ignore();
        }
        for (webhook_id, counters) in &stats {
            let skey = keys::webhook_stats(webhook_id, hour);
            for (field, n) in counters {
                pipe.hincr(&skey, field, *n).ignore();
            }
            pipe.expire(&skey, STATS_TTL_SECS).ignore();
        }
        for (webhook_id, (a, status)) in &last {
            let key = keys::webhook_last(webhook_id);
            let code = a.status_code.map(|c| c.to_string()).unwrap_or_default();
            pipe.hset_multiple(
                &key,
                &[
                    ("at", a.at.as_str()),
                    ("status", status.as_str()),
                    ("status_code", code.as_str()),
                ],
            )
            .ignore();
            pipe.expire(&key, STATS_TTL_SECS).ignore();
        }
        if !self.acks.is_empty() {
            pipe.cmd("XACK")
                .arg(keys::QUEUE)
                .arg(keys::GROUP)
                .arg(&self.acks)
                .ignore();
            pipe.cmd("XDEL").arg(keys::QUEUE).arg(&self.acks).ignore();
        }
        pipe
    }
}
