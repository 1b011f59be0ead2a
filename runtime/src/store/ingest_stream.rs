//! The ingest stream producers may `XADD` to ([`keys::INGEST`], consumer
//! group [`keys::INGEST_GROUP`]), and the stream of rejected entries: an
//! entry that fails the input rules is acknowledged and kept there with
//! its reason, for an operator to read.

use super::{keys, Store, StoreError};
use redis::streams::{StreamId, StreamRangeReply, StreamReadOptions, StreamReadReply};
use redis::AsyncCommands;
use std::collections::HashMap;
use std::time::Duration;

/// Rejected entries kept, at most (the oldest are trimmed).
pub const REJECTED_KEPT: usize = 10_000;

/// One entry read from the ingest stream.
#[derive(Debug, Clone)]
pub struct IngestEntry {
    /// The stream entry id.
    pub id: String,
    /// Its fields, as text (a field that is not text is left out).
    pub fields: HashMap<String, String>,
}

/// A rejected ingest entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The id of the rejection record (its time).
    pub id: String,
    /// The ingest stream entry id it came from.
    pub entry: String,
    /// Why it was rejected.
    pub reason: String,
    /// The entry's fields.
    pub fields: HashMap<String, String>,
}

fn entry(e: StreamId) -> IngestEntry {
    let fields = e
        .map
        .iter()
        .filter_map(|(k, v)| {
            redis::from_redis_value::<String>(v.clone())
                .ok()
                .map(|v| (k.clone(), v))
        })
        .collect();
    IngestEntry { id: e.id, fields }
}

impl Store {
    /// Creates the ingest stream and its group when missing.
    pub async fn ensure_ingest_group(&self) -> Result<(), StoreError> {
        let result: redis::RedisResult<()> = self
            .con()
            .xgroup_create_mkstream(keys::INGEST, keys::INGEST_GROUP, "0")
            .await;
        match result {
            Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
            other => Ok(other?),
        }
    }

    /// Reads up to `count` entries as `consumer`: its own claimed but
    /// unacknowledged entries when `pending`, else new ones (waiting up to
    /// `block`). A missing group is recreated (and nothing returned).
    pub async fn read_ingest(
        &self,
        consumer: &str,
        pending: bool,
        count: usize,
        block: Duration,
    ) -> Result<Vec<IngestEntry>, StoreError> {
        let options = StreamReadOptions::default()
            .group(keys::INGEST_GROUP, consumer)
            .count(count)
            .block(block.as_millis() as usize);
        let cursor = if pending { "0" } else { ">" };
        let reply: redis::RedisResult<Option<StreamReadReply>> = self
            .con()
            .xread_options(&[keys::INGEST], &[cursor], &options)
            .await;
        match reply {
            Ok(r) => Ok(r
                .map(|r| r.keys.into_iter().flat_map(|k| k.ids).map(entry).collect())
                .unwrap_or_default()),
            Err(e) if e.code() == Some("NOGROUP") => {
                self.ensure_ingest_group().await?;
                Ok(Vec::new())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Acknowledges and deletes an ingest entry (it was published).
    pub async fn ack_ingest(&self, entry_id: &str) -> Result<(), StoreError> {
        redis::pipe()
            .cmd("XACK")
            .arg(keys::INGEST)
            .arg(keys::INGEST_GROUP)
            .arg(entry_id)
            .ignore()
            .cmd("XDEL")
            .arg(keys::INGEST)
            .arg(entry_id)
            .ignore()
            .query_async::<()>(&mut self.con())
            .await?;
        Ok(())
    }

    /// Keeps `entry` in the rejected stream with `reason`, then
    /// acknowledges and deletes it from the ingest stream.
    pub async fn reject_ingest(&self, entry: &IngestEntry, reason: &str) -> Result<(), StoreError> {
        let mut fields: Vec<(&str, &str)> = vec![("entry", &entry.id), ("reason", reason)];
        let mut names: Vec<&String> = entry.fields.keys().collect();
        names.sort();
        let prefixed: Vec<(String, &str)> = names
            .into_iter()
            .map(|n| (format!("field.{n}"), entry.fields[n].as_str()))
            .collect();
        fields.extend(prefixed.iter().map(|(n, v)| (n.as_str(), *v)));
        let _: String = redis::cmd("XADD")
            .arg(self.keys.rejected())
            .arg("MAXLEN")
            .arg("~")
            .arg(REJECTED_KEPT)
            .arg("*")
            .arg(&fields)
            .query_async(&mut self.con())
            .await?;
        self.ack_ingest(&entry.id).await
    }

    /// Rejected entries, newest first: up to `limit` older than `before`
    /// (a rejection id) when given.
    pub async fn rejected(
        &self,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Rejected>, StoreError> {
        let end = before.map_or_else(|| "+".to_string(), |b| format!("({b}"));
        let reply: StreamRangeReply = redis::cmd("XREVRANGE")
            .arg(self.keys.rejected())
            .arg(end)
            .arg("-")
            .arg("COUNT")
            .arg(limit)
            .query_async(&mut self.con())
            .await?;
        Ok(reply
            .ids
            .into_iter()
            .map(|e| {
                let id = e.id.clone();
                let mut fields = entry(e).fields;
                let entry = fields.remove("entry").unwrap_or_default();
                let reason = fields.remove("reason").unwrap_or_default();
                let fields = fields
                    .into_iter()
                    .filter_map(|(k, v)| k.strip_prefix("field.").map(|k| (k.to_string(), v)))
                    .collect();
                Rejected {
                    id,
                    entry,
                    reason,
                    fields,
                }
            })
            .collect())
    }
}
