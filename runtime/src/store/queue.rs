//! The work queue: one Redis stream per shard, with one consumer group
//! ([`keys::GROUP`]) shared by every Herald process. Workers read all
//! shards; an entry claimed by a worker that died is taken over after the
//! visibility timeout (`XAUTOCLAIM`), which always exceeds the longest
//! attempt, so a slow but live attempt is never sent twice. Retries wait in
//! each shard's sorted set and are moved back onto its stream atomically
//! when due. A missing group (Redis restarted without persistence, or
//! someone deleted it) is recreated.

use super::{keys, scripts, Shard, Store, StoreError};
use futures_util::future::try_join_all;
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
    /// The shard an idle reader blocks on next (cluster only).
    turn: usize,
}

/// Longest blocking read of one shard by an idle worker on a cluster.
pub const CLUSTER_IDLE_BLOCK: Duration = Duration::from_millis(50);

impl Queue {
    /// A queue reader named `consumer`; `reader` must be a dedicated
    /// connection that allows responses longer than the block time
    /// ([`Store::dedicated`]).
    pub fn new(reader: Store, consumer: String) -> Self {
        Queue {
            reader,
            consumer,
            turn: 0,
        }
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
    ///
    /// On one server, one blocking `XREADGROUP` over every shard's stream.
    /// On a cluster, where a command cannot span slots, every shard is read
    /// at once without blocking (a fair share of `count` each); when all are
    /// empty, one shard in turn is read blocking for at most
    /// [`CLUSTER_IDLE_BLOCK`], so new work in any shard waits at most that
    /// long on an idle worker.
    pub async fn read(
        &mut self,
        count: usize,
        block: Duration,
    ) -> Result<Vec<Claimed>, StoreError> {
        let k = self.reader.keys.clone();
        let all: Vec<(Shard, &str)> = k.shards().map(|s| (s, ">")).collect();
        let reply = if self.reader.is_cluster() {
            let share = count.div_ceil(all.len()).max(1);
            match self.read_streams(&all, share, None).await {
                Ok(found) if found.is_empty() => {
                    self.turn = (self.turn + 1) % all.len();
                    let one = [all[self.turn]];
                    self.read_streams(&one, count, Some(block.min(CLUSTER_IDLE_BLOCK)))
                        .await
                }
                other => other,
            }
        } else {
            self.read_streams(&all, count, Some(block)).await
        };
        match reply {
            Ok(found) => Ok(found),
            Err(e) if e.code() == Some("NOGROUP") => {
                tracing::warn!("a consumer group was missing; recreating it");
                self.ensure_groups().await?;
                Ok(Vec::new())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// `XREADGROUP` of `streams` (each shard with the id to read after),
    /// up to `count` entries per stream: one command on one server, one per
    /// shard sent together on a cluster (where only a blocking read of a
    /// single shard is allowed).
    async fn read_streams(
        &mut self,
        streams: &[(Shard, &str)],
        count: usize,
        block: Option<Duration>,
    ) -> redis::RedisResult<Vec<Claimed>> {
        let k = self.reader.keys.clone();
        let consumer = self.consumer.as_str();
        let options = move || {
            let options = StreamReadOptions::default()
                .group(keys::GROUP, consumer)
                .count(count);
            match block {
                Some(block) => options.block(block.as_millis() as usize),
                None => options,
            }
        };
        let one_call = !self.reader.is_cluster() || streams.len() == 1;
        let calls: Vec<Vec<(Shard, &str)>> = if one_call {
            vec![streams.to_vec()]
        } else {
            streams.iter().map(|s| vec![*s]).collect()
        };
        let replies = try_join_all(calls.into_iter().map(|call| {
            let mut con = self.reader.con();
            let options = options();
            let keys: Vec<String> = call.iter().map(|(s, _)| k.queue(*s)).collect();
            async move {
                let ids: Vec<&str> = call.iter().map(|(_, id)| *id).collect();
                let reply: Option<StreamReadReply> =
                    con.xread_options(&keys, &ids, &options).await?;
                Ok::<_, redis::RedisError>(reply)
            }
        }))
        .await?;
        Ok(replies
            .into_iter()
            .flatten()
            .flat_map(|reply| reply.keys)
            .flat_map(|stream| {
                let shard = k
                    .shards()
                    .find(|s| k.queue(*s) == stream.key)
                    .unwrap_or(Shard(0));
                claimed(shard, stream.ids)
            })
            .collect())
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
        let cursors: Vec<(Shard, &str)> = scan
            .cursors
            .iter()
            .map(|(s, id)| (*s, id.as_str()))
            .collect();
        let found = self.read_streams(&cursors, count, None).await?;
        let mut next = Vec::new();
        for (shard, _) in &scan.cursors {
            let mine: Vec<&Claimed> = found.iter().filter(|c| c.shard == *shard).collect();
            if mine.len() >= count {
                if let Some(last) = mine.last() {
                    next.push((*shard, last.entry_id.clone()));
                }
            }
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

    /// Each shard's queue now: entries in its work stream (waiting or in
    /// flight), those claimed and not yet acknowledged, its retry set's
    /// size, and the creation time of its oldest entry (acknowledged
    /// entries are deleted, so the first entry is the oldest unfinished).
    pub async fn queue_stats(&self) -> Result<Vec<ShardQueue>, StoreError> {
        let mut reads = Vec::new();
        for shard in self.keys.shards() {
            let (queue, retries) = (self.keys.queue(shard), self.keys.retries(shard));
            let mut pending = redis::cmd("XPENDING");
            pending.arg(&queue).arg(keys::GROUP);
            let mut first = redis::cmd("XRANGE");
            first.arg(&queue).arg("-").arg("+").arg("COUNT").arg(1);
            reads.push((queue.clone(), redis::cmd("XLEN").arg(&queue).clone()));
            reads.push((queue.clone(), pending));
            reads.push((queue.clone(), first));
            reads.push((retries.clone(), redis::cmd("ZCARD").arg(retries).clone()));
        }
        let replies: Vec<redis::Value> = self.con().pipeline_by_slot(reads).await?;
        let number = |v: &redis::Value| redis::from_redis_value::<u64>(v.clone()).unwrap_or(0);
        Ok(self
            .keys
            .shards()
            .zip(replies.chunks(4))
            .map(|(shard, r)| ShardQueue {
                shard,
                entries: number(&r[0]),
                in_flight: match &r[1] {
                    redis::Value::Array(summary) => summary.first().map_or(0, number),
                    _ => 0,
                },
                oldest_ms: match &r[2] {
                    redis::Value::Array(entries) => entries.first().and_then(entry_ms),
                    _ => None,
                },
                retries: number(&r[3]),
            })
            .collect())
    }
}

/// One shard's queue, as [`Store::queue_stats`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardQueue {
    /// The shard.
    pub shard: Shard,
    /// Entries in the work stream: waiting or in flight.
    pub entries: u64,
    /// Entries claimed by a worker and not yet acknowledged.
    pub in_flight: u64,
    /// Deliveries waiting in the retry set (due later, or held).
    pub retries: u64,
    /// When the oldest entry was added (Unix ms), if there is one.
    pub oldest_ms: Option<i64>,
}

/// The creation time (ms) in the id of an `XRANGE` entry `[id, fields]`.
fn entry_ms(entry: &redis::Value) -> Option<i64> {
    let redis::Value::Array(parts) = entry else {
        return None;
    };
    let id: String = redis::from_redis_value(parts.first()?.clone()).ok()?;
    id.split_once('-')?.0.parse().ok()
}
