//! The plugin registry, in the global slot: each `name@version`'s `.wasm`
//! (immutable once stored) and its metadata. Which webhooks use a plugin is
//! kept per shard (written with the webhook), so deleting a plugin asks
//! every shard.

use super::{decode, Store, StoreError};
use serde::{de::DeserializeOwned, Serialize};
use std::collections::HashMap;

/// What storing a plugin did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    /// Stored now.
    Created,
    /// The same `name@version` was stored before (with these or other bytes).
    Existed,
}

impl Store {
    /// Stores a plugin's bytes and metadata unless `reference` exists.
    pub async fn register_plugin<T: Serialize>(
        &self,
        reference: &str,
        wasm: &[u8],
        meta: &T,
    ) -> Result<Registered, StoreError> {
        let stored: Option<String> = redis::cmd("SET")
            .arg(self.keys.plugin_wasm(reference))
            .arg(wasm)
            .arg("NX")
            .query_async(&mut self.con())
            .await?;
        if stored.is_none() {
            return Ok(Registered::Existed);
        }
        let _: () = redis::cmd("HSET")
            .arg(self.keys.plugins())
            .arg(reference)
            .arg(serde_json::to_string(meta).unwrap_or_default())
            .query_async(&mut self.con())
            .await?;
        Ok(Registered::Created)
    }

    /// A plugin's metadata.
    pub async fn plugin_meta<T: DeserializeOwned>(
        &self,
        reference: &str,
    ) -> Result<Option<T>, StoreError> {
        let key = self.keys.plugins();
        let json: Option<String> = redis::cmd("HGET")
            .arg(&key)
            .arg(reference)
            .query_async(&mut self.con())
            .await?;
        json.map(|j| decode(&key, &j)).transpose()
    }

    /// Every plugin's metadata, by `name@version`.
    pub async fn plugin_metas<T: DeserializeOwned>(
        &self,
    ) -> Result<HashMap<String, T>, StoreError> {
        let key = self.keys.plugins();
        let all: HashMap<String, String> = redis::cmd("HGETALL")
            .arg(&key)
            .query_async(&mut self.con())
            .await?;
        all.into_iter()
            .map(|(r, json)| Ok((r, decode(&key, &json)?)))
            .collect()
    }

    /// A plugin's `.wasm` bytes.
    pub async fn plugin_wasm(&self, reference: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(redis::cmd("GET")
            .arg(self.keys.plugin_wasm(reference))
            .query_async(&mut self.con())
            .await?)
    }

    /// The webhooks (of any org) that use a plugin.
    pub async fn plugin_users(&self, reference: &str) -> Result<Vec<String>, StoreError> {
        let reads = self
            .keys
            .shards()
            .map(|shard| {
                let key = self.keys.plugin_users(shard, reference);
                (key.clone(), redis::cmd("SMEMBERS").arg(key).clone())
            })
            .collect();
        let sets: Vec<Vec<String>> = self.con().pipeline_by_slot(reads).await?;
        let mut users: Vec<String> = sets.into_iter().flatten().collect();
        users.sort();
        Ok(users)
    }

    /// Deletes a plugin's bytes and metadata.
    pub async fn delete_plugin(&self, reference: &str) -> Result<(), StoreError> {
        redis::pipe()
            .atomic()
            .hdel(self.keys.plugins(), reference)
            .ignore()
            .del(self.keys.plugin_wasm(reference))
            .ignore()
            .query_async::<()>(&mut self.con())
            .await?;
        Ok(())
    }
}
