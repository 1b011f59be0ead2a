//! The delivery queue: a Redis stream with one consumer group shared by
//! every Herald process. Workers read batches; an entry claimed by a worker
//! that died is taken over after the visibility timeout (`XAUTOCLAIM`),
//! which always exceeds the longest attempt, so a slow but live attempt is
//! never sent twice. Retries wait in a sorted set and are moved back onto
//! the stream atomically when due. A missing group (Redis restarted without
//! persistence, or someone deleted it) is recreated.

use crate::store::{keys, now_ms, Store, StoreError};
use redis::aio::ConnectionManager;
use redis::streams::{
    StreamAutoClaimOptions, StreamAutoClaimReply, StreamId, StreamReadOptions, StreamReadReply,
};
use redis::{AsyncCommands, Script};
use std::sync::LazyLock;
use std::time::Duration;

/// Moves due retries onto the stream. KEYS: retries, queue. ARGV: now ms, limit.
static MOVE_DUE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(due) do
  redis.call('XADD', KEYS[2], '*', 'd', id)
  redis.call('ZREM', KEYS[1], id)
end
return #due
",
    )
});

/// One claimed queue entry.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The stream entry id (acknowledged when the outcome is recorded).
    pub entry_id: String,
    /// The delivery it carries.
    pub delivery_id: String,
}

fn claimed(ids: Vec<StreamId>) -> Vec<Claimed> {
    ids.into_iter()
        .map(|e| Claimed {
            delivery_id: e.get::<String>("d").unwrap_or_default(),
            entry_id: e.id,
        })
        .collect()
}

/// A worker's view of the queue.
pub struct Queue {
    /// A connection of its own for blocking reads (a blocking read would
    /// hold up every other command on a shared multiplexed connection).
    reader: ConnectionManager,
    store: Store,
    consumer: String,
}

impl Queue {
    /// A queue reader named `consumer`; `reader` must allow responses
    /// longer than the block time.
    pub fn new(reader: ConnectionManager, store: Store, consumer: String) -> Self {
        Queue {
            reader,
            store,
            consumer,
        }
    }

    /// The consumer name.
    pub fn consumer(&self) -> &str {
        &self.consumer
    }

    /// Creates the stream and the group when missing.
    pub async fn ensure_group(&self) -> Result<(), StoreError> {
        let result: redis::RedisResult<()> = self
            .store
            .con()
            .xgroup_create_mkstream(keys::QUEUE, keys::GROUP, "0")
            .await;
        match result {
            Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
            other => Ok(other?),
        }
    }

    /// Reads up to `count` new entries, waiting up to `block`.
    pub async fn read(
        &mut self,
        count: usize,
        block: Duration,
    ) -> Result<Vec<Claimed>, StoreError> {
        let options = StreamReadOptions::default()
            .group(keys::GROUP, &self.consumer)
            .count(count)
            .block(block.as_millis() as usize);
        let reply: redis::RedisResult<Option<StreamReadReply>> = self
            .reader
            .xread_options(&[keys::QUEUE], &[">"], &options)
            .await;
        match reply {
            Ok(reply) => Ok(reply
                .map(|r| r.keys.into_iter().flat_map(|k| claimed(k.ids)).collect())
                .unwrap_or_default()),
            Err(e) if e.code() == Some("NOGROUP") => {
                tracing::warn!("the consumer group was missing; recreating it");
                self.ensure_group().await?;
                Ok(Vec::new())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Takes over up to `count` entries idle for longer than `min_idle`
    /// (claimed by a worker that died).
    pub async fn reclaim(
        &self,
        min_idle: Duration,
        count: usize,
    ) -> Result<Vec<Claimed>, StoreError> {
        let options = StreamAutoClaimOptions::default().count(count);
        let reply: redis::RedisResult<StreamAutoClaimReply> = self
            .store
            .con()
            .xautoclaim_options(
                keys::QUEUE,
                keys::GROUP,
                &self.consumer,
                min_idle.as_millis() as u64,
                "0-0",
                options,
            )
            .await;
        match reply {
            Ok(reply) => Ok(claimed(reply.claimed)),
            Err(e) if e.code() == Some("NOGROUP") => {
                self.ensure_group().await?;
                Ok(Vec::new())
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Moves up to `limit` due retries back onto the queue; returns how many.
pub async fn move_due_retries(store: &Store, limit: usize) -> Result<usize, StoreError> {
    let moved: usize = MOVE_DUE
        .key(keys::RETRIES)
        .key(keys::QUEUE)
        .arg(now_ms())
        .arg(limit)
        .invoke_async(&mut store.con())
        .await?;
    Ok(moved)
}

/// Queue depth: entries in the stream (unread + in flight) and retries waiting.
pub async fn depth(store: &Store) -> Result<(u64, u64), StoreError> {
    let (stream, retries): (u64, u64) = redis::pipe()
        .cmd("XLEN")
        .arg(keys::QUEUE)
        .cmd("ZCARD")
        .arg(keys::RETRIES)
        .query_async(&mut store.con())
        .await?;
    Ok((stream, retries))
}
