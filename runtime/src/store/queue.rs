//! The work queue: one Redis stream per shard, with one consumer group
//! ([`keys::GROUP`]) shared by every Herald process. Workers read all
//! shards; an entry claimed by a worker that died is taken over after the
//! visibility timeout (`XAUTOCLAIM`), which always exceeds the longest
//! attempt, so a slow but live attempt is never sent twice. Retries wait in
//! each shard's sorted set and are moved back onto its stream atomically
//! when due. A missing group (Redis restarted without persistence, or
//! someone deleted it) is recreated.

use super::{keys, scripts, Shard, Store, StoreError};
use redis::streams::{
    StreamAutoClaimOptions, StreamAutoClaimReply, StreamId, StreamReadOptions, StreamReadReply,
};
use redis::AsyncCommands;
use std::time::Duration;

/// One claimed queue entry.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The shard whose stream holds the entry.
    pub shard: Shard,
    /// The stream entry id (acknowledged when the outcome is recorded).
    pub entry_id: String,
    /// The delivery it carries.
    pub delivery_id: String,
}

/// The claimed entries of a reply.
pub(super) fn claimed(shard: Shard, ids: Vec<StreamId>) -> Vec<Claimed> {
    ids.into_iter()
        .map(|e| Claimed {
            shard,
            delivery_id: e.get::<String>("d").unwrap_or_default(),
            entry_id: e.id,
        })
        .collect()
}

/// How far a scan of a consumer's own claimed entries has got: the shards
/// not yet finished, each with the last entry id seen.
#[derive(Debug, Default)]
pub struct OwnScan {
    cursors: Vec<(Shard, String)>,
}

impl OwnScan {
    /// Whether every shard has been read to its end.
    pub fn is_done(&self) -> bool {
        self.cursors.is_empty()
    }
}

/// A worker's view of the queue.
pub struct Queue {
    /// A store over a connection of its own, for blocking reads.
    reader: Store,
    consumer: String,
}

impl Queue {
    /// A queue reader named `consumer`; `reader` must be a dedicated
    /// connection that allows responses longer than the block time
    /// ([`Store::dedicated`]).
    pub fn new(reader: Store, consumer: String) -> Self {
        Queue { reader, consumer }
    }

    /// The consumer name.
    pub fn consumer(&self) -> &str {
        &self.consumer
    }

    /// Creates every shard's stream and group when missing.
    pub async fn ensure_groups(&self) -> Result<(), StoreError> {
        for shard in self.reader.keys.shards() {
            ensure_group(&self.reader, shard).await?;
        }
        Ok(())
    }

    /// Reads up to `count` new entries from all shards, waiting up to `block`.
    pub async fn read(
        &mut self,
        count: usize,
        block: Duration,
    ) -> Result<Vec<Claimed>, StoreError> {
        let k = &self.reader.keys;
        let streams: Vec<String> = k.shards().map(|s| k.queue(s)).collect();
        let ids: Vec<&str> = vec![">"; streams.len()];
        let options = StreamReadOptions::default()
            .group(keys::GROUP, &self.consumer)
            .count(count)
            .block(block.as_millis() as usize);
        let reply: redis::RedisResult<Option<StreamReadReply>> = self
            .reader
            .con()
            .xread_options(&streams, &ids, &options)
            .await;
        match reply {
            Ok(reply) => Ok(reply
                .map(|r| {
                    r.keys
                        .into_iter()
                        .flat_map(|stream| {
                            let shard = k
                                .shards()
                                .find(|s| k.queue(*s) == stream.key)
                                .unwrap_or(Shard(0));
                            claimed(shard, stream.ids)
                        })
                        .collect()
                })
                .unwrap_or_default()),
            Err(e) if e.code() == Some("NOGROUP") => {
                tracing::warn!("a consumer group was missing; recreating it");
                self.ensure_groups().await?;
                Ok(Vec::new())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A scan of this consumer's own claimed entries, from the start.
    pub fn own_scan(&self) -> OwnScan {
        OwnScan {
            cursors: self.reader.keys.shards().map(|s| (s, "0".into())).collect(),
        }
    }

    /// The next entries of `scan`: up to `count` per shard of the entries
    /// this consumer holds (its pending list), in entry order. A live
    /// worker reads them again after Redis failed it, instead of waiting
    /// for the visibility timeout; it skips those still in flight.
    pub async fn rescan_own(
        &mut self,
        scan: &mut OwnScan,
        count: usize,
    ) -> Result<Vec<Claimed>, StoreError> {
        if scan.is_done() {
            return Ok(Vec::new());
        }
        let k = &self.reader.keys;
        let streams: Vec<String> = scan.cursors.iter().map(|(s, _)| k.queue(*s)).collect();
        let ids: Vec<&str> = scan.cursors.iter().map(|(_, id)| id.as_str()).collect();
        let options = StreamReadOptions::default()
            .group(keys::GROUP, &self.consumer)
            .count(count);
        let reply: Option<StreamReadReply> = self
            .reader
            .con()
            .xread_options(&streams, &ids, &options)
            .await?;
        let mut found = Vec::new();
        let mut next = Vec::new();
        for stream in reply.map(|r| r.keys).unwrap_or_default() {
            let Some(shard) = k.shards().find(|s| k.queue(*s) == stream.key) else {
                continue;
            };
            if stream.ids.len() >= count {
                if let Some(last) = stream.ids.last() {
                    next.push((shard, last.id.clone()));
                }
            }
            found.extend(claimed(shard, stream.ids));
        }
        scan.cursors = next;
        Ok(found)
    }

    /// Takes over up to `count` entries idle for longer than `min_idle`
    /// (claimed by a worker that died), from every shard.
    pub async fn reclaim(
        &mut self,
        min_idle: Duration,
        count: usize,
    ) -> Result<Vec<Claimed>, StoreError> {
        let mut taken = Vec::new();
        for shard in self.reader.keys.shards() {
            if taken.len() >= count {
                break;
            }
            let options = StreamAutoClaimOptions::default().count(count - taken.len());
            let reply: redis::RedisResult<StreamAutoClaimReply> = self
                .reader
                .con()
                .xautoclaim_options(
                    self.reader.keys.queue(shard),
                    keys::GROUP,
                    &self.consumer,
                    min_idle.as_millis() as u64,
                    "0-0",
                    options,
                )
                .await;
            match reply {
                Ok(reply) => taken.extend(claimed(shard, reply.claimed)),
                Err(e) if e.code() == Some("NOGROUP") => ensure_group(&self.reader, shard).await?,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(taken)
    }
}

async fn ensure_group(store: &Store, shard: Shard) -> Result<(), StoreError> {
    let result: redis::RedisResult<()> = store
        .con()
        .xgroup_create_mkstream(store.keys.queue(shard), keys::GROUP, "0")
        .await;
    match result {
        Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
        other => Ok(other?),
    }
}

impl Store {
    /// Moves up to `limit` due retries of every shard back onto its
    /// stream; returns how many.
    pub async fn move_due_retries(&self, limit: usize) -> Result<usize, StoreError> {
        let mut moved = 0;
        for shard in self.keys.shards() {
            let n: usize = scripts::MOVE_DUE
                .key(self.keys.retries(shard))
                .key(self.keys.queue(shard))
                .arg(super::now_ms())
                .arg(limit)
                .invoke_async(&mut self.con())
                .await?;
            moved += n;
        }
        Ok(moved)
    }

    /// Queue depth over all shards: entries in the streams (unread and in
    /// flight) and retries waiting.
    pub async fn queue_depth(&self) -> Result<(u64, u64), StoreError> {
        let mut pipe = redis::pipe();
        for shard in self.keys.shards() {
            pipe.cmd("XLEN")
                .arg(self.keys.queue(shard))
                .cmd("ZCARD")
                .arg(self.keys.retries(shard));
        }
        let counts: Vec<u64> = pipe.query_async(&mut self.con()).await?;
        let stream = counts.iter().step_by(2).sum();
        let retries = counts.iter().skip(1).step_by(2).sum();
        Ok((stream, retries))
    }
}
