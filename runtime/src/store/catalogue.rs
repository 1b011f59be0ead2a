//! The event-type catalogue, in the global slot: one hash, type → JSON;
//! every change is announced on the change feed ([`keys::CATALOGUE_CHANGED`]).

use super::{decode, keys, Store, StoreError};
use serde::{de::DeserializeOwned, Serialize};
use std::collections::HashMap;

impl Store {
    /// Creates or replaces the entry for `event_type`.
    pub async fn put_event_type<T: Serialize>(
        &self,
        event_type: &str,
        entry: &T,
    ) -> Result<(), StoreError> {
        let key = self.keys.event_types();
        let mut pipe = redis::pipe();
        pipe.atomic()
            .hset(
                &key,
                event_type,
                serde_json::to_string(entry).unwrap_or_default(),
            )
            .ignore();
        super::webhooks::announce(&mut pipe, &key, keys::CATALOGUE_CHANGED);
        self.run_with_scripts(&pipe).await
    }

    /// The whole catalogue, by type.
    pub async fn event_types<T: DeserializeOwned>(&self) -> Result<HashMap<String, T>, StoreError> {
        let key = self.keys.event_types();
        let all: HashMap<String, String> = redis::cmd("HGETALL")
            .arg(&key)
            .query_async(&mut self.con())
            .await?;
        all.into_iter()
            .map(|(t, json)| Ok((t, decode(&key, &json)?)))
            .collect()
    }
}
