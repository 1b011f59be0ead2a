//! Orgs (tenants). The org record lives in its shard's slot (publishing
//! checks it in the same script); the list of all orgs in the global slot.
//! Creating writes the record first, deleting removes the list entry first,
//! so a listed org always exists.

use super::page::{self, Cursor};
use super::{decode, delete_matching, now_ms, Store, StoreError};
use crate::model::Org;

impl Store {
    /// Creates an org.
    pub async fn create_org(&self, org: &Org) -> Result<(), StoreError> {
        let json = serde_json::to_string(org).unwrap_or_default();
        let mut con = self.con();
        let _: () = redis::cmd("HSET")
            .arg(self.keys.org(&org.id))
            .arg("json")
            .arg(json)
            .query_async(&mut con)
            .await?;
        let _: () = redis::cmd("ZADD")
            .arg(self.keys.orgs())
            .arg(now_ms())
            .arg(&org.id)
            .query_async(&mut con)
            .await?;
        Ok(())
    }

    /// Writes a changed org record (it must exist: see `create_org`).
    pub async fn put_org(&self, org: &Org) -> Result<(), StoreError> {
        let json = serde_json::to_string(org).unwrap_or_default();
        let _: () = redis::cmd("HSET")
            .arg(self.keys.org(&org.id))
            .arg("json")
            .arg(json)
            .query_async(&mut self.con())
            .await?;
        Ok(())
    }

    /// Reads an org.
    pub async fn org(&self, id: &str) -> Result<Option<Org>, StoreError> {
        let key = self.keys.org(id);
        let json: Option<String> = redis::cmd("HGET")
            .arg(&key)
            .arg("json")
            .query_async(&mut self.con())
            .await?;
        json.map(|j| decode(&key, &j)).transpose()
    }

    /// One page of orgs, newest first, and the next cursor.
    pub async fn org_page(
        &self,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<(Vec<Org>, Option<Cursor>), StoreError> {
        let (ids, next) = page::page(self, &self.keys.orgs(), after, limit).await?;
        if ids.is_empty() {
            return Ok((Vec::new(), next));
        }
        let reads = ids
            .iter()
            .map(|id| {
                let key = self.keys.org(id);
                (key.clone(), redis::cmd("HGET").arg(key).arg("json").clone())
            })
            .collect();
        let found: Vec<Option<String>> = self.con().pipeline_by_slot(reads).await?;
        let mut orgs = Vec::with_capacity(found.len());
        for (id, json) in ids.iter().zip(found) {
            if let Some(json) = json {
                orgs.push(decode(&self.keys.org(id), &json)?);
            }
        }
        Ok((orgs, next))
    }

    /// Deletes an org: its webhooks (with their logs), keys and events.
    pub async fn delete_org(&self, org: &str) -> Result<(), StoreError> {
        let k = &self.keys;
        let mut con = self.con();
        let _: () = redis::cmd("ZREM")
            .arg(k.orgs())
            .arg(org)
            .query_async(&mut con)
            .await?;
        let hooks: Vec<String> = redis::cmd("ZRANGE")
            .arg(k.org_webhooks(org))
            .arg(0)
            .arg(-1)
            .query_async(&mut con)
            .await?;
        for id in hooks {
            if let Some(w) = self.webhook(org, &id).await? {
                self.delete_webhook(&w).await?;
            }
        }
        let key_ids: Vec<String> = redis::cmd("ZRANGE")
            .arg(k.org_keys(org))
            .arg(0)
            .arg(-1)
            .query_async(&mut con)
            .await?;
        let mut pipe = redis::pipe();
        pipe.atomic();
        for id in key_ids {
            pipe.del(k.api_key(&id)).ignore();
        }
        pipe.del(k.org_keys(org)).ignore();
        pipe.query_async::<()>(&mut con).await?;
        redis::pipe()
            .atomic()
            .del(k.org_webhooks(org))
            .ignore()
            .del(k.org(org))
            .ignore()
            // Its own audit log goes with it; the operator's log keeps the entries.
            .del(k.org_audit(org))
            .ignore()
            .query_async::<()>(&mut con)
            .await?;
        delete_matching(self, &k.events_pattern(org)).await
    }
}
