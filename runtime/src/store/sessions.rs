//! Dashboard sessions and one-time portal links: one key each in the global
//! slot, named by the SHA-256 of the secret the browser holds (a dump of
//! Redis does not yield a usable session), holding JSON, ended by Redis'
//! own expiry.

use super::{decode, Store, StoreError};
use serde::{de::DeserializeOwned, Serialize};

impl Store {
    /// Stores `value` as the `kind` record `hash`, for `ttl_ms`.
    pub async fn put_ui_session<T: Serialize>(
        &self,
        kind: &str,
        hash: &str,
        value: &T,
        ttl_ms: i64,
    ) -> Result<(), StoreError> {
        redis::cmd("SET")
            .arg(self.keys.ui_session(kind, hash))
            .arg(serde_json::to_string(value).unwrap_or_default())
            .arg("PX")
            .arg(ttl_ms.max(1))
            .query_async::<()>(&mut self.con())
            .await?;
        Ok(())
    }

    /// The `kind` record `hash`, if it exists and has not expired.
    pub async fn ui_session<T: DeserializeOwned>(
        &self,
        kind: &str,
        hash: &str,
    ) -> Result<Option<T>, StoreError> {
        let key = self.keys.ui_session(kind, hash);
        let json: Option<String> = redis::cmd("GET")
            .arg(&key)
            .query_async(&mut self.con())
            .await?;
        json.map(|j| decode(&key, &j)).transpose()
    }

    /// Reads and deletes the `kind` record `hash` in one step (`GETDEL`):
    /// of two requests with the same one-time link, one gets it.
    pub async fn take_ui_session<T: DeserializeOwned>(
        &self,
        kind: &str,
        hash: &str,
    ) -> Result<Option<T>, StoreError> {
        let key = self.keys.ui_session(kind, hash);
        let json: Option<String> = redis::cmd("GETDEL")
            .arg(&key)
            .query_async(&mut self.con())
            .await?;
        json.map(|j| decode(&key, &j)).transpose()
    }

    /// Deletes the `kind` record `hash`.
    pub async fn delete_ui_session(&self, kind: &str, hash: &str) -> Result<(), StoreError> {
        redis::cmd("DEL")
            .arg(self.keys.ui_session(kind, hash))
            .query_async::<()>(&mut self.con())
            .await?;
        Ok(())
    }
}
