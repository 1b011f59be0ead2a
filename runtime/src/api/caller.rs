//! The callers of the API and what they may hold: the operator, or an org's
//! API key with its permissions, and a key's stored form (a SHA-256 of the
//! key, never the key). [`super::access`] decides who is calling;
//! [`super::session`] stands for a key or an org in the dashboard.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
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

/// The stored form of a key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredKey {
    /// `key…`.
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
