//! Worker liveness in Redis: each worker keeps a heartbeat key with a short
//! TTL; the queue's consumers whose heartbeat is gone are dead, and the
//! entries they hold are taken over at once instead of after the visibility
//! timeout. A dead consumer that holds nothing is removed from the group.
//! The decision that a consumer is dead (seen without a heartbeat twice,
//! some seconds apart) is the caller's ([`crate::takeover`]).

use super::queue::{claimed, Claimed};
use super::{keys, scripts, Shard, Store, StoreError};
use redis::streams::{StreamClaimReply, StreamInfoConsumersReply};
use std::time::Duration;

/// One consumer of a shard's group.
#[derive(Debug, Clone)]
pub struct ConsumerState {
    /// The shard.
    pub shard: Shard,
    /// The consumer name (a worker process).
    pub name: String,
    /// Entries it holds.
    pub pending: usize,
    /// Whether its heartbeat key exists.
    pub alive: bool,
}

impl Store {
    /// Sets (or refreshes) `consumer`'s heartbeat, expiring after `ttl`.
    pub async fn heartbeat(&self, consumer: &str, ttl: Duration) -> Result<(), StoreError> {
        redis::cmd("SET")
            .arg(self.keys.heartbeat(consumer))
            .arg(super::now_ms())
            .arg("PX")
            .arg(ttl.as_millis() as u64)
            .query_async::<()>(&mut self.con())
            .await?;
        Ok(())
    }

    /// Deletes `consumer`'s heartbeat (a worker that stops).
    pub async fn end_heartbeat(&self, consumer: &str) -> Result<(), StoreError> {
        redis::cmd("DEL")
            .arg(self.keys.heartbeat(consumer))
            .query_async::<()>(&mut self.con())
            .await?;
        Ok(())
    }

    /// Every consumer of every shard's group, with whether it has a heartbeat.
    pub async fn consumers(&self) -> Result<Vec<ConsumerState>, StoreError> {
        let mut found = Vec::new();
        for shard in self.keys.shards() {
            let reply: redis::RedisResult<StreamInfoConsumersReply> = redis::cmd("XINFO")
                .arg("CONSUMERS")
                .arg(self.keys.queue(shard))
                .arg(keys::GROUP)
                .query_async(&mut self.con())
                .await;
            let reply = match reply {
                Ok(reply) => reply,
                // No stream or group yet: no consumers.
                Err(e) if e.code() == Some("NOGROUP") || e.code() == Some("ERR") => continue,
                Err(e) => return Err(e.into()),
            };
            found.extend(reply.consumers.into_iter().map(|c| ConsumerState {
                shard,
                name: c.name,
                pending: c.pending,
                alive: false,
            }));
        }
        if found.is_empty() {
            return Ok(found);
        }
        let mut pipe = redis::pipe();
        for c in &found {
            pipe.exists(self.keys.heartbeat(&c.name));
        }
        let alive: Vec<bool> = pipe.query_async(&mut self.con()).await?;
        for (c, alive) in found.iter_mut().zip(alive) {
            c.alive = alive;
        }
        Ok(found)
    }

    /// Claims for `me` up to `count` entries `dead` holds in `shard` that
    /// have been idle at least `min_idle` (so that two processes taking
    /// over the same consumer at once do not both get an entry).
    pub async fn take_over(
        &self,
        shard: Shard,
        dead: &str,
        me: &str,
        min_idle: Duration,
        count: usize,
    ) -> Result<Vec<Claimed>, StoreError> {
        let reply: StreamClaimReply = scripts::TAKE_OVER
            .key(self.keys.queue(shard))
            .arg(keys::GROUP)
            .arg(dead)
            .arg(me)
            .arg(min_idle.as_millis() as u64)
            .arg(count)
            .invoke_async(&mut self.con())
            .await?;
        Ok(claimed(shard, reply.ids))
    }

    /// Removes `consumer` from `shard`'s group if it holds nothing (checked
    /// and removed atomically); whether it was removed.
    pub async fn remove_idle_consumer(
        &self,
        shard: Shard,
        consumer: &str,
    ) -> Result<bool, StoreError> {
        Ok(scripts::REMOVE_IDLE_CONSUMER
            .key(self.keys.queue(shard))
            .arg(keys::GROUP)
            .arg(consumer)
            .invoke_async(&mut self.con())
            .await?)
    }
}
