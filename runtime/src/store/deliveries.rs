//! Delivery records and their attempts: loading what a worker needs,
//! recording an outcome atomically with acknowledging the queue entry (so
//! an outcome is never lost and never recorded twice for one claim), the
//! dead-letter set, and per-webhook hourly counters for stats.

use super::{keys, now_ms, rfc3339_ms, Store, StoreError};
use crate::model::{Attempt, DeliveryStatus};
use std::collections::HashMap;

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
    /// A delivery and its event's stored JSON.
    pub async fn load_for_attempt(
        &self,
        id: &str,
    ) -> Result<Option<(DeliveryRecord, Option<String>)>, StoreError> {
        let Some(record) = self.delivery(id).await? else {
            return Ok(None);
        };
        let event = self.event_json(&record.org, &record.event_id).await?;
        Ok(Some((record, event)))
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

    /// Records an outcome (and the attempt, if one was made) and
    /// acknowledges the queue entry, in one transaction.
    pub async fn record_outcome(
        &self,
        delivery: &DeliveryRecord,
        url: &str,
        attempt: Option<&Attempt>,
        outcome: &Outcome,
        entry_id: Option<&str>,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let ttl = self.retention_secs();
        let (dkey, akey) = (keys::delivery(&delivery.id), keys::attempts(&delivery.id));
        let hour = now / 3_600_000;
        let skey = keys::webhook_stats(&delivery.webhook_id, hour);
        let mut pipe = redis::pipe();
        pipe.atomic();
        let status = outcome.status();
        pipe.hset(&dkey, "status", status.as_str()).ignore();
        pipe.hset(&dkey, "updated_at", rfc3339_ms(now)).ignore();
        pipe.hset(&dkey, "url", url).ignore();
        if let Some(a) = attempt {
            pipe.rpush(&akey, serde_json::to_string(a).unwrap_or_default())
                .ignore();
            pipe.expire(&akey, ttl).ignore();
            pipe.hset(&dkey, "attempts", a.number).ignore();
            pipe.hset(
                &dkey,
                "last_status_code",
                a.status_code.map(|c| c.to_string()).unwrap_or_default(),
            )
            .ignore();
            let error = a
                .error
                .as_ref()
                .map(|e| format!("{}: {}", e.class.as_str(), e.message))
                .unwrap_or_default();
            pipe.hset(&dkey, "last_error", error).ignore();
            pipe.hincr(&skey, "attempts", 1).ignore();
            match &a.error {
                Some(e) => pipe
                    .hincr(&skey, format!("err:{}", e.class.as_str()), 1)
                    .ignore(),
                None => pipe.hincr(&skey, "attempts_ok", 1).ignore(),
            };
            let last = keys::webhook_last(&delivery.webhook_id);
            pipe.hset(&last, "at", &a.at).ignore();
            pipe.hset(&last, "status", status.as_str()).ignore();
            pipe.hset(
                &last,
                "status_code",
                a.status_code.map(|c| c.to_string()).unwrap_or_default(),
            )
            .ignore();
        }
        match outcome {
            Outcome::Filtered { reason } => {
                pipe.hset(&dkey, "last_error", reason).ignore();
            }
            Outcome::Retry { due_ms } => {
                pipe.zadd(keys::RETRIES, &delivery.id, *due_ms).ignore();
                pipe.hset(&dkey, "next_attempt_at", rfc3339_ms(*due_ms))
                    .ignore();
                pipe.hincr(&skey, "retries", 1).ignore();
            }
            Outcome::Dead => {
                pipe.zadd(keys::webhook_dead(&delivery.webhook_id), &delivery.id, now)
                    .ignore();
            }
            Outcome::Succeeded => {}
        }
        if !matches!(outcome, Outcome::Retry { .. }) {
            pipe.hset(&dkey, "next_attempt_at", "").ignore();
            pipe.hincr(&skey, status.as_str(), 1).ignore();
        }
        pipe.expire(&dkey, ttl).ignore();
        pipe.expire(keys::webhook_last(&delivery.webhook_id), STATS_TTL_SECS)
            .ignore();
        pipe.expire(&skey, STATS_TTL_SECS).ignore();
        if let Some(entry) = entry_id {
            pipe.cmd("XACK")
                .arg(keys::QUEUE)
                .arg(keys::GROUP)
                .arg(entry)
                .ignore();
            pipe.cmd("XDEL").arg(keys::QUEUE).arg(entry).ignore();
        }
        pipe.query_async::<()>(&mut self.con()).await?;
        Ok(())
    }

    /// Acknowledges a queue entry that needs nothing else (a duplicate of a
    /// finished delivery, or one whose records expired).
    pub async fn ack(&self, entry_id: &str) -> Result<(), StoreError> {
        redis::pipe()
            .atomic()
            .cmd("XACK")
            .arg(keys::QUEUE)
            .arg(keys::GROUP)
            .arg(entry_id)
            .ignore()
            .cmd("XDEL")
            .arg(keys::QUEUE)
            .arg(entry_id)
            .ignore()
            .query_async::<()>(&mut self.con())
            .await?;
        Ok(())
    }
}
