//! Delivery records and their attempts: loading what a worker needs, a
//! webhook's delivery log, re-queueing (retry one, replay many), the
//! dead-letter set. A webhook's hourly counters are in [`super::webhook_stats`].

use super::page::{self, Cursor};
use super::{decode, scripts, Shard, Store, StoreError};
use crate::model::{Attempt, DeliveryStatus};
use std::collections::HashMap;
use std::sync::Arc;

/// A delivery as stored.
pub type DeliveryRecord = crate::model::Delivery;

/// A hash as `HGETALL` answers it: its fields and values, in Redis's order.
/// A delivery has about 15 fields: looking one up in a list is cheaper
/// than hashing every name into a map (callgrind of `drain`, BENCHMARKS.md).
type Fields = Vec<(String, String)>;

/// Decodes a delivery hash.
trait FromHash: Sized {
    fn from_hash(key: &str, h: Fields) -> Result<Self, StoreError>;
}

impl FromHash for DeliveryRecord {
    fn from_hash(key: &str, mut h: Fields) -> Result<Self, StoreError> {
        let corrupt = |m: &str| StoreError::Corrupt {
            key: key.to_string(),
            message: m.to_string(),
        };
        let mut take = |f: &str| {
            let at = h.iter().position(|(name, _)| name == f)?;
            Some(h.swap_remove(at).1).filter(|v| !v.is_empty())
        };
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
            ordering_key: take("ordering_key"),
            next_in_line: take("next_in_line"),
            line: take("line"),
        })
    }
}

/// A delivery's whole entry, as loaded for a batch: the record and its
/// event's JSON (`None` when the event expired).
pub type Loaded = (DeliveryRecord, Option<Arc<str>>);

/// The creation times a log page is limited to (Unix ms, both included).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogRange {
    /// Created at or after.
    pub since_ms: Option<i64>,
    /// Created at or before.
    pub until_ms: Option<i64>,
}

impl Store {
    /// The deliveries `claimed` (shard, id) and their events' JSON, in two
    /// round trips whatever their number (each event fetched once, however
    /// many of the deliveries share it). One result per id, in order:
    /// `Ok(None)` for a delivery that no longer exists, an error for one
    /// that is corrupt.
    pub async fn load_batch(
        &self,
        claimed: &[(Shard, &str)],
    ) -> Result<Vec<Result<Option<Loaded>, StoreError>>, StoreError> {
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let k = &self.keys;
        let keys: Vec<String> = claimed
            .iter()
            .map(|(s, id)| k.delivery_in(*s, id))
            .collect();
        let reads = keys
            .iter()
            .map(|key| (key.clone(), redis::cmd("HGETALL").arg(key).clone()))
            .collect();
        let hashes: Vec<Fields> = self.con().pipeline_by_slot(reads).await?;
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
            events.entry(k.event(&r.org, &r.event_id)).or_insert(None);
        }
        let event_keys: Vec<String> = events.keys().cloned().collect();
        if !event_keys.is_empty() {
            let reads = event_keys
                .iter()
                .map(|key| (key.clone(), redis::cmd("HGET").arg(key).arg("json").clone()))
                .collect();
            let found: Vec<Option<String>> = self.con().pipeline_by_slot(reads).await?;
            for (key, json) in event_keys.into_iter().zip(found) {
                events.insert(key, json.map(Arc::from));
            }
        }
        Ok(records
            .into_iter()
            .map(|r| {
                r.map(|o| {
                    o.map(|d| {
                        let json = events.get(&k.event(&d.org, &d.event_id)).cloned().flatten();
                        (d, json)
                    })
                })
            })
            .collect())
    }

    /// A delivery of `org`.
    pub async fn delivery(
        &self,
        org: &str,
        id: &str,
    ) -> Result<Option<DeliveryRecord>, StoreError> {
        let key = self.keys.delivery(org, id);
        let hash: Fields = redis::cmd("HGETALL")
            .arg(&key)
            .query_async(&mut self.con())
            .await?;
        if hash.is_empty() {
            return Ok(None);
        }
        DeliveryRecord::from_hash(&key, hash).map(Some)
    }

    /// A delivery's attempts, oldest first.
    pub async fn attempts(&self, org: &str, id: &str) -> Result<Vec<Attempt>, StoreError> {
        let key = self.keys.attempts(org, id);
        let items: Vec<String> = redis::cmd("LRANGE")
            .arg(&key)
            .arg(0)
            .arg(-1)
            .query_async(&mut self.con())
            .await?;
        items.iter().map(|j| decode(&key, j)).collect()
    }

    /// Delivery records of `org` by id, in one round trip; `None` for those gone.
    async fn deliveries(
        &self,
        org: &str,
        ids: &[String],
    ) -> Result<Vec<Option<DeliveryRecord>>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for id in ids {
            pipe.cmd("HGETALL").arg(self.keys.delivery(org, id));
        }
        let hashes: Vec<Fields> = pipe.query_async(&mut self.con()).await?;
        ids.iter()
            .zip(hashes)
            .map(|(id, h)| {
                if h.is_empty() {
                    Ok(None)
                } else {
                    DeliveryRecord::from_hash(&self.keys.delivery(org, id), h).map(Some)
                }
            })
            .collect()
    }

    /// One page of a webhook's delivery log, newest first, optionally only
    /// deliveries with `status` and created in `range`; and the cursor of
    /// the next page.
    pub async fn delivery_page(
        &self,
        org: &str,
        webhook_id: &str,
        status: Option<DeliveryStatus>,
        range: LogRange,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> Result<(Vec<DeliveryRecord>, Option<Cursor>), StoreError> {
        let log = self.keys.webhook_deliveries(org, webhook_id);
        // Start after `until` (everything up to it included), or at the cursor.
        let mut scanned = match (cursor, range.until_ms) {
            (Some(c), Some(until)) if c.score > until => Some(Cursor {
                score: until.saturating_add(1),
                member: String::new(),
            }),
            (None, Some(until)) => Some(Cursor {
                score: until.saturating_add(1),
                member: String::new(),
            }),
            (cursor, _) => cursor,
        };
        // A filtered page may skip many items: read more of them at once.
        let batch_size = if status.is_some() { 1000 } else { 200 };
        let mut items = Vec::new();
        let mut last_returned: Option<Cursor> = None;
        loop {
            let mut batch = page::after(self, &log, scanned.as_ref(), batch_size).await?;
            let mut ended = batch.is_empty();
            if let Some(since) = range.since_ms {
                let before = batch.len();
                batch.retain(|(_, c)| c.score >= since);
                ended |= batch.len() < before;
            }
            if batch.is_empty() {
                return Ok((items, None));
            }
            let ids: Vec<String> = batch.iter().map(|(id, _)| id.clone()).collect();
            let records = self.deliveries(org, &ids).await?;
            for ((_, position), record) in batch.into_iter().zip(records) {
                if let Some(d) = record.filter(|d| status.is_none_or(|s| s == d.status)) {
                    if items.len() == limit {
                        // There is more: resume after the last item returned.
                        return Ok((items, last_returned));
                    }
                    items.push(d);
                    last_returned = Some(position.clone());
                }
                scanned = Some(position);
            }
            if ended {
                return Ok((items, None));
            }
        }
    }

    /// Re-queues a delivery now unless it is pending; returns whether it was.
    pub async fn requeue(&self, org: &str, webhook_id: &str, id: &str) -> Result<bool, StoreError> {
        let k = &self.keys;
        let shard = k.shard_of(org);
        let queued: i64 = scripts::REQUEUE
            .key(k.delivery(org, id))
            .key(k.retries(shard))
            .key(k.webhook_dead(org, webhook_id))
            .key(k.queue(shard))
            .arg(id)
            .invoke_async(&mut self.con())
            .await?;
        Ok(queued == 1)
    }

    /// Re-queues a webhook's deliveries created since `since_ms` whose
    /// status is `status`, pipelined; returns how many were queued.
    pub async fn replay(
        &self,
        org: &str,
        webhook_id: &str,
        since_ms: i64,
        status: DeliveryStatus,
    ) -> Result<usize, StoreError> {
        let ids: Vec<String> = redis::cmd("ZRANGEBYSCORE")
            .arg(self.keys.webhook_deliveries(org, webhook_id))
            .arg(since_ms)
            .arg("+inf")
            .query_async(&mut self.con())
            .await?;
        let mut queued = 0;
        for chunk in ids.chunks(500) {
            let records = self.deliveries(org, chunk).await?;
            let k = &self.keys;
            let shard = k.shard_of(org);
            let mut pipe = redis::pipe();
            let mut n = 0;
            for d in records.into_iter().flatten().filter(|d| d.status == status) {
                pipe.invoke_script(
                    scripts::REQUEUE
                        .key(k.delivery(org, &d.id))
                        .key(k.retries(shard))
                        .key(k.webhook_dead(org, webhook_id))
                        .key(k.queue(shard))
                        .arg(&d.id),
                );
                n += 1;
            }
            if n == 0 {
                continue;
            }
            let mut con = self.con();
            let done: Vec<i64> = match pipe.query_async(&mut con).await {
                Err(e)
                    if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) =>
                {
                    scripts::REQUEUE.load_async(&mut con).await?;
                    pipe.query_async(&mut con).await?
                }
                other => other?,
            };
            queued += done.iter().filter(|&&q| q == 1).count();
        }
        Ok(queued)
    }
}
