//! API keys, in the global slot: each key's record (looked up by id on
//! every request) and each org's index of its keys.

use super::page::{self, Cursor};
use super::{decode, now_ms, Store, StoreError};
use serde::{de::DeserializeOwned, Serialize};

impl Store {
    /// Stores a key record `json` under `id` for `org`.
    pub async fn put_api_key<T: Serialize>(
        &self,
        org: &str,
        id: &str,
        key: &T,
    ) -> Result<(), StoreError> {
        redis::pipe()
            .atomic()
            .hset(
                self.keys.api_key(id),
                "json",
                serde_json::to_string(key).unwrap_or_default(),
            )
            .ignore()
            .zadd(self.keys.org_keys(org), id, now_ms())
            .ignore()
            .query_async::<()>(&mut self.con())
            .await?;
        Ok(())
    }

    /// A key record by id.
    pub async fn api_key<T: DeserializeOwned>(&self, id: &str) -> Result<Option<T>, StoreError> {
        let key = self.keys.api_key(id);
        let json: Option<String> = redis::cmd("HGET")
            .arg(&key)
            .arg("json")
            .query_async(&mut self.con())
            .await?;
        json.map(|j| decode(&key, &j)).transpose()
    }

    /// One page of an org's key records, newest first, and the next cursor.
    pub async fn api_key_page<T: DeserializeOwned>(
        &self,
        org: &str,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<(Vec<T>, Option<Cursor>), StoreError> {
        let (ids, next) = page::page(self, &self.keys.org_keys(org), after, limit).await?;
        if ids.is_empty() {
            return Ok((Vec::new(), next));
        }
        let mut pipe = redis::pipe();
        for id in &ids {
            pipe.cmd("HGET").arg(self.keys.api_key(id)).arg("json");
        }
        let found: Vec<Option<String>> = pipe.query_async(&mut self.con()).await?;
        let mut keys = Vec::with_capacity(found.len());
        for (id, json) in ids.iter().zip(found) {
            if let Some(json) = json {
                keys.push(decode(&self.keys.api_key(id), &json)?);
            }
        }
        Ok((keys, next))
    }

    /// Deletes a key.
    pub async fn delete_api_key(&self, org: &str, id: &str) -> Result<(), StoreError> {
        redis::pipe()
            .atomic()
            .del(self.keys.api_key(id))
            .ignore()
            .zrem(self.keys.org_keys(org), id)
            .ignore()
            .query_async::<()>(&mut self.con())
            .await?;
        Ok(())
    }
}
