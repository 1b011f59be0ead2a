//! An audit log entry: one management change made through the API or the
//! dashboard (or a read of a signing secret), with who made it, from which
//! address, and the configuration before and after (secrets never included).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// One recorded change.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct AuditEntry {
    /// The entry's id (lists are newest first).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[schema(example = "1767225600000-0")]
    pub id: String,
    /// When, RFC 3339.
    pub at: String,
    /// The org changed (`null` for the operator's global resources:
    /// plugins, the event-type catalogue).
    pub org: Option<String>,
    /// Who.
    pub actor: Actor,
    /// What, as `resource.verb`.
    #[schema(example = "webhook.update")]
    pub action: String,
    /// The request's method.
    #[schema(example = "PATCH")]
    pub method: String,
    /// The request's path.
    #[schema(example = "/v1/orgs/org_1/webhooks/wh_1")]
    pub path: String,
    /// The resource changed (its id, type or `name@version`), when there is one.
    pub target: Option<String>,
    /// The HTTP status answered (always a 2xx: refused requests change nothing).
    pub status: u16,
    /// The address the request came from (the TCP peer).
    pub address: Option<String>,
    /// The request's `X-Forwarded-For`, as sent (not verified by Herald).
    pub forwarded_for: Option<String>,
    /// The resource before the change, as the API shows it (secrets left out).
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    /// The resource after the change, as the API shows it (secrets left out).
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
}

/// Who made a change.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct Actor {
    /// `operator` (the operator key), `key` (an org's API key), `session`
    /// (a dashboard session: signed in with a key, or opened from a portal
    /// link) or `anonymous` (a request without a key that changed something:
    /// signing in, redeeming a portal link).
    #[serde(rename = "type")]
    pub kind: ActorKind,
    /// The key's or session's id (`null` for the operator and anonymous).
    pub id: Option<String>,
}

/// The kinds of actors.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ActorKind {
    /// The operator key.
    Operator,
    /// An org's API key.
    Key,
    /// A dashboard session.
    Session,
    /// No key.
    Anonymous,
}

impl ActorKind {
    /// The name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Operator => "operator",
            ActorKind::Key => "key",
            ActorKind::Session => "session",
            ActorKind::Anonymous => "anonymous",
        }
    }
}
