//! Webhooks, the trigger index fan-out reads (only active webhooks are in
//! it), and parking: deliveries for an inactive webhook wait in a
//! per-webhook set and are re-queued when it becomes active again. Every
//! change is announced on [`keys::CHANGES`] in the transaction that makes it
//! (from a script, so that on a cluster it runs in the webhook's slot).
//!
//! Secrets at rest: a webhook's signing secrets and receiver credentials
//! (basic password, bearer token, custom header value) are sealed with the
//! store's [`crate::secrets::Keyring`] before the JSON is written and opened
//! when it is read, with the webhook id as associated data; everything above
//! the store sees plain values. [`Store::reseal_webhooks`] re-seals every
//! webhook under the current master key.

use super::page::{self, Cursor};
use super::{decode, keys, now_ms, scripts, Store, StoreError};
use crate::model::{Auth, Webhook};

/// What [`Store::reseal_webhooks`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResealReport {
    /// Webhooks looked at.
    pub webhooks: u64,
    /// Webhooks written again with every secret under the current key.
    pub resealed: u64,
    /// Webhooks already entirely under the current key.
    pub current: u64,
    /// Compare-and-set retries (the webhook changed while being re-sealed).
    pub retries: u64,
}

/// The fields of a webhook that hold secrets.
fn secret_fields(w: &mut Webhook) -> Vec<&mut String> {
    let mut fields: Vec<&mut String> = w.secrets.iter_mut().map(|s| &mut s.value).collect();
    match &mut w.auth {
        Auth::None => {}
        Auth::Basic { password, .. } => fields.push(password),
        Auth::Bearer { token } => fields.push(token),
        Auth::Header { value, .. } => fields.push(value),
    }
    fields
}

impl Store {
    /// `webhook` as written to Redis: its secrets sealed under the current key.
    fn sealed(&self, webhook: &Webhook) -> Webhook {
        let mut sealed = webhook.clone();
        let aad = sealed.id.clone();
        for field in secret_fields(&mut sealed) {
            *field = self.keyring.seal(field, &aad);
        }
        sealed
    }

    /// A webhook as read from `key`, its secrets opened (plain ones, stored
    /// before encryption, are kept as they are).
    fn opened(&self, key: &str, json: &str) -> Result<Webhook, StoreError> {
        let mut webhook: Webhook = decode(key, json)?;
        let aad = webhook.id.clone();
        for field in secret_fields(&mut webhook) {
            *field = self
                .keyring
                .open(field, &aad)
                .map_err(|source| StoreError::Sealed {
                    key: key.to_string(),
                    source,
                })?;
        }
        Ok(webhook)
    }

    /// Reads a webhook of `org`.
    pub async fn webhook(&self, org: &str, id: &str) -> Result<Option<Webhook>, StoreError> {
        let key = self.keys.webhook(org, id);
        let json: Option<String> = redis::cmd("GET")
            .arg(&key)
            .query_async(&mut self.con())
            .await?;
        json.map(|j| self.opened(&key, &j)).transpose()
    }

    /// Re-seals every webhook's secrets under the current master key (and
    /// seals plain ones from before encryption), webhook by webhook, each
    /// with a compare-and-set so that a concurrent change is never lost:
    /// a webhook that changed meanwhile is read again. Every rewritten
    /// webhook is announced on the change feed. Running Heralds must hold
    /// both the old and the new key while this runs.
    pub async fn reseal_webhooks(&self) -> Result<ResealReport, StoreError> {
        let mut report = ResealReport::default();
        let mut con = self.con();
        let orgs: Vec<String> = redis::cmd("ZRANGE")
            .arg(self.keys.orgs())
            .arg(0)
            .arg(-1)
            .query_async(&mut con)
            .await?;
        for org in orgs {
            let ids: Vec<String> = redis::cmd("ZRANGE")
                .arg(self.keys.org_webhooks(&org))
                .arg(0)
                .arg(-1)
                .query_async(&mut con)
                .await?;
            for id in ids {
                report.webhooks += 1;
                let key = self.keys.webhook(&org, &id);
                loop {
                    let Some(json): Option<String> =
                        redis::cmd("GET").arg(&key).query_async(&mut con).await?
                    else {
                        break;
                    };
                    let mut stored: Webhook = decode(&key, &json)?;
                    if secret_fields(&mut stored)
                        .iter()
                        .all(|f| self.keyring.is_current(f))
                    {
                        report.current += 1;
                        break;
                    }
                    let fresh = self.sealed(&self.opened(&key, &json)?);
                    let text = serde_json::to_string(&fresh).unwrap_or_default();
                    let replaced: i64 = scripts::REPLACE_IF_SAME
                        .key(&key)
                        .arg(&json)
                        .arg(&text)
                        .arg(keys::CHANGES)
                        .arg(&id)
                        .invoke_async(&mut con)
                        .await?;
                    if replaced == 1 {
                        report.resealed += 1;
                        break;
                    }
                    report.retries += 1;
                }
            }
        }
        Ok(report)
    }

    /// One page of an org's webhooks, newest first, and the next cursor.
    pub async fn webhook_page(
        &self,
        org: &str,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<(Vec<Webhook>, Option<Cursor>), StoreError> {
        let (ids, next) = page::page(self, &self.keys.org_webhooks(org), after, limit).await?;
        if ids.is_empty() {
            return Ok((Vec::new(), next));
        }
        let mut pipe = redis::pipe();
        for id in &ids {
            pipe.cmd("GET").arg(self.keys.webhook(org, id));
        }
        let found: Vec<Option<String>> = pipe.query_async(&mut self.con()).await?;
        let mut hooks = Vec::with_capacity(found.len());
        for (id, json) in ids.iter().zip(found) {
            if let Some(json) = json {
                hooks.push(self.opened(&self.keys.webhook(org, id), &json)?);
            }
        }
        Ok((hooks, next))
    }

    /// Writes a webhook (create or update) and its trigger index entries:
    /// only an active webhook is indexed. When it becomes active, its parked
    /// deliveries are re-queued in the same transaction.
    pub async fn put_webhook(
        &self,
        webhook: &Webhook,
        previous: Option<&Webhook>,
    ) -> Result<(), StoreError> {
        let k = &self.keys;
        let (org, id) = (webhook.org.as_str(), webhook.id.as_str());
        let shard = k.shard_of(org);
        let json = serde_json::to_string(&self.sealed(webhook)).unwrap_or_default();
        let mut pipe = redis::pipe();
        pipe.atomic().set(k.webhook(org, id), json).ignore();
        pipe.cmd("ZADD")
            .arg(k.org_webhooks(org))
            .arg("NX")
            .arg(now_ms())
            .arg(id)
            .ignore();
        if let Some(prev) = previous {
            let member = prev.index_member();
            for t in prev.event_types() {
                pipe.srem(k.trigger_index(org, t), &member).ignore();
            }
            for r in plugin_refs(prev) {
                pipe.srem(k.plugin_users(shard, r), id).ignore();
            }
        }
        for r in plugin_refs(webhook) {
            pipe.sadd(k.plugin_users(shard, r), id).ignore();
        }
        if webhook.active {
            let member = webhook.index_member();
            for t in webhook.event_types() {
                pipe.sadd(k.trigger_index(org, t), &member).ignore();
            }
        }
        if webhook.active && !previous.is_some_and(|p| p.active) {
            pipe.invoke_script(
                scripts::UNPARK
                    .key(k.webhook_parked(org, id))
                    .key(k.queue(shard)),
            )
            .ignore();
        }
        announce(&mut pipe, &k.webhook(org, id), id);
        self.run_with_scripts(&pipe).await
    }

    /// Deletes a webhook with its index entries, parked deliveries, log,
    /// dead letters and counters (delivery records expire with retention).
    pub async fn delete_webhook(&self, webhook: &Webhook) -> Result<(), StoreError> {
        let k = &self.keys;
        let (org, id) = (webhook.org.as_str(), webhook.id.as_str());
        let shard = k.shard_of(org);
        let mut pipe = redis::pipe();
        pipe.atomic().del(k.webhook(org, id)).ignore();
        pipe.zrem(k.org_webhooks(org), id).ignore();
        let member = webhook.index_member();
        for t in webhook.event_types() {
            pipe.srem(k.trigger_index(org, t), &member).ignore();
        }
        for r in plugin_refs(webhook) {
            pipe.srem(k.plugin_users(shard, r), id).ignore();
        }
        pipe.del(k.webhook_parked(org, id))
            .ignore()
            .del(k.webhook_deliveries(org, id))
            .ignore()
            .del(k.webhook_dead(org, id))
            .ignore()
            .del(k.webhook_last(org, id))
            .ignore();
        let hour = now_ms() / 3_600_000;
        for h in 0..=super::webhook_stats::STATS_HOURS {
            pipe.del(k.webhook_stats(org, id, hour - h)).ignore();
        }
        announce(&mut pipe, &k.webhook(org, id), id);
        self.run_with_scripts(&pipe).await
    }

    /// Runs a transaction that calls [`scripts::UNPARK`] or
    /// [`scripts::ANNOUNCE`]; when Redis lost its script cache (a restart;
    /// nothing of the transaction ran), loads them and sends it again.
    pub(super) async fn run_with_scripts(&self, pipe: &redis::Pipeline) -> Result<(), StoreError> {
        let mut con = self.con();
        match pipe.query_async::<()>(&mut con).await {
            Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
                scripts::UNPARK.load_async(&mut con).await?;
                scripts::ANNOUNCE.load_async(&mut con).await?;
                pipe.query_async::<()>(&mut con).await?;
            }
            other => other?,
        }
        Ok(())
    }

    /// Deactivates a webhook on Herald's own initiative (e.g. a 410 Gone).
    pub async fn deactivate_webhook(
        &self,
        org: &str,
        id: &str,
        reason: &str,
    ) -> Result<Option<Webhook>, StoreError> {
        let Some(previous) = self.webhook(org, id).await? else {
            return Ok(None);
        };
        let mut updated = previous.clone();
        updated.active = false;
        updated.disabled_reason = Some(reason.to_string());
        updated.updated_at = crate::clock::now_rfc3339();
        self.put_webhook(&updated, Some(&previous)).await?;
        Ok(Some(updated))
    }

    /// Parks a delivery (see [`scripts::PARK`]); returns `parked`,
    /// `requeued` or `deleted`.
    pub async fn park(
        &self,
        org: &str,
        delivery_id: &str,
        webhook_id: &str,
        entry_id: &str,
    ) -> Result<String, StoreError> {
        let k = &self.keys;
        let outcome = scripts::PARK
            .key(k.webhook(org, webhook_id))
            .key(k.webhook_parked(org, webhook_id))
            .key(k.queue(k.shard_of(org)))
            .arg(delivery_id)
            .arg(now_ms())
            .arg(keys::GROUP)
            .arg(entry_id)
            .invoke_async(&mut self.con())
            .await?;
        Ok(outcome)
    }
}

fn plugin_refs(w: &Webhook) -> impl Iterator<Item = &str> {
    w.plugins
        .filters
        .iter()
        .chain(&w.plugins.transforms)
        .map(|r| r.plugin.as_str())
}

/// Adds to `pipe` the announcement of a change of webhook `id` (stored at
/// `key`) on [`keys::CHANGES`], placed in `key`'s slot ([`scripts::ANNOUNCE`]).
pub(super) fn announce(pipe: &mut redis::Pipeline, key: &str, id: &str) {
    pipe.invoke_script(scripts::ANNOUNCE.key(key).arg(keys::CHANGES).arg(id))
        .ignore();
}
