//! Webhooks as stored: triggers with native filters, receiver auth,
//! signing scheme and secrets, retry policy, plugins.

use super::duration as duration_str;
use serde::{Deserialize, Serialize};
#[allow(unused_imports)]
use serde_json::json;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;
use utoipa::ToSchema;

/// Comparison of a native trigger filter.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FilterOp {
    /// The value at the path equals `value`.
    Equals,
    /// It does not (or the path is absent).
    NotEquals,
    /// It equals one of `value` (an array).
    In,
    /// It equals none of `value` (an array), or is absent.
    NotIn,
}

/// A native filter on a trigger: all of a trigger's filters must match.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilterRule {
    /// Dotted path into the event envelope, e.g. `data.order.status`.
    #[schema(example = "data.order.status", pattern = "^[^.]+(\\.[^.]+)*$")]
    pub path: String,
    /// The comparison.
    pub op: FilterOp,
    /// The operand (an array for `in` / `not_in`).
    #[schema(value_type = Object, example = json!(["paid", "shipped"]))]
    pub value: Value,
}

/// An event type a webhook subscribes to, with optional filters.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// The event type, e.g. `order.created`.
    #[schema(example = "order.created", min_length = 1, max_length = 200)]
    pub event: String,
    /// Filters that must all match.
    #[serde(default)]
    pub filters: Vec<FilterRule>,
    /// The catalogue version of the type's `data` this webhook receives
    /// (converted from the newest by the type's `downgrade` plugins); the
    /// newest when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "v1")]
    pub version: Option<String>,
}

/// How Herald authenticates to the receiver.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum Auth {
    /// No credentials.
    #[default]
    None,
    /// HTTP basic auth.
    Basic {
        /// User name.
        username: String,
        /// Password (never logged, masked in attempt logs).
        password: String,
    },
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// The token (never logged, masked in attempt logs).
        token: String,
    },
    /// A custom header carrying a secret.
    Header {
        /// Header name.
        name: String,
        /// Header value (never logged, masked in attempt logs).
        value: String,
    },
}

/// How deliveries are signed.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SignatureScheme {
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`.
    #[default]
    Standard,
    /// Hex HMAC-SHA256 of the body in `X-Webhook-Signature`.
    Hex,
    /// Standard Webhooks asymmetric: `webhook-signature: v1a,<base64 ed25519>`
    /// with a `whsk_` signing key; receivers verify with its `whpk_` public key.
    Ed25519,
}

impl SignatureScheme {
    /// A new secret of the kind this scheme signs with: `whsk_…` for
    /// ed25519, `whsec_…` otherwise.
    pub fn new_secret(self) -> String {
        match self {
            SignatureScheme::Ed25519 => crate::sign::new_signing_key(),
            SignatureScheme::Standard | SignatureScheme::Hex => crate::sign::new_secret(),
        }
    }

    /// Whether secrets of this scheme also sign for `other` (both HMAC).
    pub fn shares_secrets_with(self, other: SignatureScheme) -> bool {
        (self == SignatureScheme::Ed25519) == (other == SignatureScheme::Ed25519)
    }
}

/// A signing secret; during rotation the previous one keeps signing until it expires.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Secret {
    /// `whsec_<base64>` (HMAC schemes) or `whsk_<base64>` (ed25519).
    pub value: String,
    /// Unix ms after which it no longer signs; `None` for the current secret.
    pub expires_at_ms: Option<i64>,
}

/// A plugin in a webhook's chain.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PluginRef {
    /// `name@version`.
    #[schema(example = "threshold-filter@1.0.0")]
    pub plugin: String,
    /// The webhook's config for it (checked by the plugin's `check-config`).
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub config: Value,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

/// A webhook's plugins: filters run first, in order, then transforms.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PluginChain {
    /// Filter plugins.
    #[serde(default)]
    pub filters: Vec<PluginRef>,
    /// Transform plugins.
    #[serde(default)]
    pub transforms: Vec<PluginRef>,
    /// A fresh instance per event (strict isolation) instead of reusing one.
    #[serde(default)]
    pub fresh_instance: bool,
}

/// Retry policy.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryPolicy {
    /// Delay before each retry; attempts = schedule length + 1.
    #[serde(with = "duration_str::list")]
    #[schema(value_type = Vec<String>, example = json!(["5s", "5m", "30m"]))]
    pub schedule: Vec<Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        let s = |secs: u64| Duration::from_secs(secs);
        RetryPolicy {
            schedule: vec![s(5), s(300), s(1800), s(7200), s(18000), s(36000), s(36000)],
        }
    }
}

/// A per-webhook rate limit, enforced across every worker process (a GCRA
/// in Redis). Deliveries over it wait: they are neither dropped nor
/// counted as attempts.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Requests per second at most, sustained: 1 to 10,000.
    #[schema(minimum = 1, maximum = 10000, example = 20)]
    pub per_second: u32,
    /// Requests that may go at once, after a quiet spell, before the
    /// sustained rate applies: 1 to 10,000 (default 1: every request at
    /// least `1/per_second` after the one before).
    #[serde(default = "RateLimit::one")]
    #[schema(minimum = 1, maximum = 10000, example = 1, default = 1)]
    pub burst: u32,
}

impl RateLimit {
    fn one() -> u32 {
        1
    }

    /// The time between two requests at the sustained rate.
    pub fn interval(&self) -> Duration {
        Duration::from_micros(1_000_000 / u64::from(self.per_second.max(1)))
    }
}

/// Ordered delivery: deliveries whose events share a key go one at a time,
/// in publish order (a line per key, across every worker process).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Ordering {
    /// `webhook` (one line for all its deliveries), or a dotted path into
    /// the event envelope whose value is the key, e.g. `data.order_id`
    /// (events without it share one line).
    #[schema(example = "data.order_id")]
    pub key: String,
}

impl Ordering {
    /// The key that makes one line of all a webhook's deliveries.
    pub const WEBHOOK: &'static str = "webhook";

    /// The path the key is read from (`None`: one line for the webhook).
    pub fn path(&self) -> Option<&str> {
        (self.key != Self::WEBHOOK).then_some(self.key.as_str())
    }
}

/// A webhook, as stored (secrets included; the API shows
/// [`crate::api::webhooks::WebhookView`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Webhook {
    /// `wh_…`.
    pub id: String,
    /// Owning org.
    pub org: String,
    /// Display name.
    pub name: String,
    /// Receiver URL.
    pub url: String,
    /// Inactive webhooks receive nothing; queued deliveries wait.
    pub active: bool,
    /// What it subscribes to.
    pub triggers: Vec<Trigger>,
    /// Receiver auth.
    pub auth: Auth,
    /// Static headers added to every request.
    pub headers: BTreeMap<String, String>,
    /// Signing scheme.
    pub signature: SignatureScheme,
    /// Signing secrets, current first.
    pub secrets: Vec<Secret>,
    /// Retry schedule.
    pub retry: RetryPolicy,
    /// Per-attempt timeout.
    #[serde(with = "duration_str")]
    pub timeout: Duration,
    /// Plugins.
    pub plugins: PluginChain,
    /// Requests per second at most, across all processes (none: unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    /// When it is deactivated for failing (none: its org's rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_disable: Option<super::AutoDisable>,
    /// Delivery in publish order per key (none: unordered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordering: Option<Ordering>,
    /// Send the trace context (`traceparent`) to the receiver while traces
    /// are exported.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forward_trace_context: bool,
    /// Free text.
    pub description: Option<String>,
    /// Free JSON for the platform's own use.
    pub metadata: Option<Value>,
    /// Why it was deactivated by Herald (e.g. a 410), if it was.
    #[serde(default)]
    pub disabled_reason: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl Webhook {
    /// The event types it subscribes to.
    pub fn event_types(&self) -> impl Iterator<Item = &str> {
        self.triggers.iter().map(|t| t.event.as_str())
    }

    /// Its member in the trigger index: its id, and for an ordered webhook
    /// `|` and the key's path (empty for one line per webhook), so that
    /// publishing learns the ordering with the subscribers, at no cost to
    /// unordered ones.
    pub fn index_member(&self) -> String {
        match &self.ordering {
            None => self.id.clone(),
            Some(o) => format!("{}|{}", self.id, o.path().unwrap_or_default()),
        }
    }
}
