//! Who is calling: the operator (`HERALD_ADMIN_TOKEN`) or an org's API key
//! with permissions. Keys are `hk_<id>_<secret>`, stored as a SHA-256 of the
//! whole key and shown once. A key never reaches another org's data: such a
//! request is answered 404, exactly like an absent resource.

use super::ApiError;
use crate::app::App;
use crate::store::keys;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    /// Read webhooks.
    #[serde(rename = "webhooks:read")]
    WebhooksRead,
    /// Create, change, delete webhooks; test, retry, replay, rotate secrets.
    #[serde(rename = "webhooks:write")]
    WebhooksWrite,
    /// Publish events.
    #[serde(rename = "events:write")]
    EventsWrite,
    /// Read delivery logs and stats.
    #[serde(rename = "logs:read")]
    LogsRead,
    /// Create, list and revoke the org's keys.
    #[serde(rename = "keys:write")]
    KeysWrite,
}

impl Permission {
    /// The name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::WebhooksRead => "webhooks:read",
            Permission::WebhooksWrite => "webhooks:write",
            Permission::EventsWrite => "events:write",
            Permission::LogsRead => "logs:read",
            Permission::KeysWrite => "keys:write",
        }
    }
}

/// The caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The operator: everything.
    Operator,
    /// An org's key.
    Key {
        /// The key's org.
        org: String,
        /// The key id.
        id: String,
        /// What it may do.
        permissions: Vec<Permission>,
    },
}

impl Caller {
    /// Allows the operator only.
    pub fn operator(&self) -> Result<(), ApiError> {
        match self {
            Caller::Operator => Ok(()),
            Caller::Key { .. } => Err(ApiError::forbidden("this route needs the operator key")),
        }
    }

    /// Allows the operator, or a key of `org` holding `permission`. A key of
    /// another org gets a 404, as if `org` did not exist.
    pub fn allow(&self, org: &str, permission: Permission) -> Result<(), ApiError> {
        match self {
            Caller::Operator => Ok(()),
            Caller::Key { org: own, .. } if own != org => Err(ApiError::not_found("org")),
            Caller::Key { permissions, .. } if permissions.contains(&permission) => Ok(()),
            Caller::Key { .. } => Err(ApiError::forbidden(format!(
                "this key lacks the `{}` permission",
                permission.as_str()
            ))),
        }
    }
}

/// The stored form of a key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredKey {
    /// `key_…`.
    pub id: String,
    /// The org.
    pub org: String,
    /// Display name.
    pub name: String,
    /// Permissions.
    pub permissions: Vec<Permission>,
    /// Hex SHA-256 of the full key.
    pub sha256: String,
    /// RFC 3339.
    pub created_at: String,
}

/// Hex SHA-256 of a key.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl FromRequestParts<Arc<App>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let Some(key) = header
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
        else {
            return Err(ApiError::unauthorized("send `Authorization: Bearer <key>`"));
        };
        if let Some(token) = app.settings.admin_token.as_deref() {
            if constant_time_eq(token.as_bytes(), key.as_bytes()) {
                return Ok(Caller::Operator);
            }
        }
        let unknown = || ApiError::unauthorized("unknown or revoked key");
        let id = key
            .strip_prefix("hk_")
            .and_then(|rest| rest.split_once('_'))
            .map(|(id, _)| id)
            .ok_or_else(unknown)?;
        let stored: HashMap<String, String> = redis::cmd("HGETALL")
            .arg(keys::api_key(id))
            .query_async(&mut app.store.con())
            .await
            .map_err(crate::store::StoreError::from)?;
        let stored: StoredKey = stored
            .get("json")
            .and_then(|j| serde_json::from_str(j).ok())
            .ok_or_else(unknown)?;
        if !constant_time_eq(stored.sha256.as_bytes(), hash_key(key).as_bytes()) {
            return Err(unknown());
        }
        Ok(Caller::Key {
            org: stored.org,
            id: stored.id,
            permissions: stored.permissions,
        })
    }
}
