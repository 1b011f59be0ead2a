//! Orgs and webhooks, the trigger index fan-out reads (only active webhooks
//! are in it), and parking: deliveries for an inactive webhook wait in a
//! per-webhook set and are re-queued when it becomes active again.

use super::{decode, keys, now_ms, Store, StoreError};
use crate::model::{Org, Webhook};
use redis::Script;
use std::sync::LazyLock;

/// Parks a delivery for an inactive webhook, atomically with acknowledging
/// its queue entry, unless the webhook became active meanwhile (then it is
/// re-queued) or was deleted (then it is only acknowledged).
static PARK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local wh = redis.call('GET', KEYS[1])
local outcome = 'deleted'
if wh then
  if cjson.decode(wh).active then
    redis.call('XADD', KEYS[3], '*', 'd', ARGV[1])
    outcome = 'requeued'
  else
    redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
    outcome = 'parked'
  end
end
redis.call('XACK', KEYS[3], ARGV[3], ARGV[4])
redis.call('XDEL', KEYS[3], ARGV[4])
return outcome
",
    )
});

/// Moves every parked delivery of a webhook back onto the queue.
static UNPARK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, id in ipairs(ids) do
  redis.call('XADD', KEYS[2], '*', 'd', id)
end
redis.call('DEL', KEYS[1])
return #ids
",
    )
});

impl Store {
    /// Creates an org.
    pub async fn create_org(&self, org: &Org) -> Result<(), StoreError> {
        let json = serde_json::to_string(org).unwrap_or_default();
        redis::pipe()
            .atomic()
            .hset(keys::org(&org.id), "json", json)
            .ignore()
            .zadd(keys::ORGS, &org.id, now_ms())
            .ignore()
            .query_async::<()>(&mut self.con())
            .await?;
        Ok(())
    }

    /// Reads an org.
    pub async fn org(&self, id: &str) -> Result<Option<Org>, StoreError> {
        let key = keys::org(id);
        let json: Option<String> = redis::cmd("HGET")
            .arg(&key)
            .arg("json")
            .query_async(&mut self.con())
            .await?;
        json.map(|j| decode(&key, &j)).transpose()
    }

    /// Reads a webhook.
    pub async fn webhook(&self, id: &str) -> Result<Option<Webhook>, StoreError> {
        let key = keys::webhook(id);
        let json: Option<String> = redis::cmd("GET")
            .arg(&key)
            .query_async(&mut self.con())
            .await?;
        json.map(|j| decode(&key, &j)).transpose()
    }

    /// Writes a webhook (create or update) and its trigger index entries:
    /// only an active webhook is indexed. When it becomes active, its parked
    /// deliveries are re-queued.
    pub async fn put_webhook(
        &self,
        webhook: &Webhook,
        previous: Option<&Webhook>,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(webhook).unwrap_or_default();
        let mut pipe = redis::pipe();
        pipe.atomic().set(keys::webhook(&webhook.id), json).ignore();
        pipe.cmd("ZADD")
            .arg(keys::org_webhooks(&webhook.org))
            .arg("NX")
            .arg(now_ms())
            .arg(&webhook.id)
            .ignore();
        if let Some(prev) = previous {
            for t in prev.event_types() {
                pipe.srem(keys::trigger_index(&prev.org, t), &prev.id)
                    .ignore();
            }
            for r in plugin_refs(prev) {
                pipe.srem(keys::plugin_users(r), &prev.id).ignore();
            }
        }
        for r in plugin_refs(webhook) {
            pipe.sadd(keys::plugin_users(r), &webhook.id).ignore();
        }
        if webhook.active {
            for t in webhook.event_types() {
                pipe.sadd(keys::trigger_index(&webhook.org, t), &webhook.id)
                    .ignore();
            }
        }
        pipe.publish(keys::CHANGES, &webhook.id).ignore();
        pipe.query_async::<()>(&mut self.con()).await?;
        if webhook.active && !previous.is_some_and(|p| p.active) {
            let _: i64 = UNPARK
                .key(keys::webhook_parked(&webhook.id))
                .key(keys::QUEUE)
                .invoke_async(&mut self.con())
                .await?;
        }
        Ok(())
    }

    /// Deletes a webhook, its index entries and its parked deliveries
    /// (their records expire with the log).
    pub async fn delete_webhook(&self, webhook: &Webhook) -> Result<(), StoreError> {
        let mut pipe = redis::pipe();
        pipe.atomic().del(keys::webhook(&webhook.id)).ignore();
        pipe.zrem(keys::org_webhooks(&webhook.org), &webhook.id)
            .ignore();
        for t in webhook.event_types() {
            pipe.srem(keys::trigger_index(&webhook.org, t), &webhook.id)
                .ignore();
        }
        for r in plugin_refs(webhook) {
            pipe.srem(keys::plugin_users(r), &webhook.id).ignore();
        }
        pipe.del(keys::webhook_parked(&webhook.id)).ignore();
        pipe.publish(keys::CHANGES, &webhook.id).ignore();
        pipe.query_async::<()>(&mut self.con()).await?;
        Ok(())
    }

    /// Deletes an org: its webhooks (with their logs), keys and events.
    pub async fn delete_org(&self, org: &str) -> Result<(), StoreError> {
        let mut con = self.con();
        let hooks: Vec<String> = redis::cmd("ZRANGE")
            .arg(keys::org_webhooks(org))
            .arg(0)
            .arg(-1)
            .query_async(&mut con)
            .await?;
        for id in hooks {
            if let Some(w) = self.webhook(&id).await? {
                self.delete_webhook(&w).await?;
            }
            self.delete_matching(&format!("herald:wh:{id}:stats:*"))
                .await?;
            let _: () = redis::pipe()
                .del(keys::webhook_deliveries(&id))
                .del(keys::webhook_dead(&id))
                .del(keys::webhook_last(&id))
                .query_async(&mut con)
                .await?;
        }
        let key_ids: Vec<String> = redis::cmd("ZRANGE")
            .arg(keys::org_keys(org))
            .arg(0)
            .arg(-1)
            .query_async(&mut con)
            .await?;
        let mut pipe = redis::pipe();
        pipe.atomic();
        for id in key_ids {
            pipe.del(keys::api_key(&id)).ignore();
        }
        pipe.del(keys::org_keys(org))
            .ignore()
            .del(keys::org_webhooks(org))
            .ignore()
            .del(keys::org(org))
            .ignore();
        pipe.zrem(keys::ORGS, org).ignore();
        pipe.query_async::<()>(&mut con).await?;
        self.delete_matching(&format!("{}*", keys::event(org, "")))
            .await
    }

    /// Deactivates a webhook on Herald's own initiative (e.g. a 410 Gone).
    pub async fn deactivate_webhook(
        &self,
        id: &str,
        reason: &str,
    ) -> Result<Option<Webhook>, StoreError> {
        let Some(previous) = self.webhook(id).await? else {
            return Ok(None);
        };
        let mut updated = previous.clone();
        updated.active = false;
        updated.disabled_reason = Some(reason.to_string());
        updated.updated_at = crate::event::now_rfc3339();
        self.put_webhook(&updated, Some(&previous)).await?;
        Ok(Some(updated))
    }

    /// Parks a delivery (see [`PARK`]); returns `parked`, `requeued` or `deleted`.
    pub async fn park(
        &self,
        delivery_id: &str,
        webhook_id: &str,
        entry_id: &str,
    ) -> Result<String, StoreError> {
        let outcome = PARK
            .key(keys::webhook(webhook_id))
            .key(keys::webhook_parked(webhook_id))
            .key(keys::QUEUE)
            .arg(delivery_id)
            .arg(now_ms())
            .arg(keys::GROUP)
            .arg(entry_id)
            .invoke_async(&mut self.con())
            .await?;
        Ok(outcome)
    }
}

impl Store {
    /// Deletes every key matching `pattern` (SCAN, so Redis is never blocked).
    async fn delete_matching(&self, pattern: &str) -> Result<(), StoreError> {
        let mut con = self.con();
        let mut cursor: u64 = 0;
        loop {
            let (next, found): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(pattern)
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut con)
                .await?;
            if !found.is_empty() {
                let _: () = redis::cmd("DEL").arg(&found).query_async(&mut con).await?;
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }
}

fn plugin_refs(w: &Webhook) -> impl Iterator<Item = &str> {
    w.plugins
        .filters
        .iter()
        .chain(&w.plugins.transforms)
        .map(|r| r.plugin.as_str())
}
