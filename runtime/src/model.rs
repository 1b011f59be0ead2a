//! The resources Herald stores: organizations, webhooks (with triggers,
//! filters, auth, signing, retry policy and plugins) and deliveries with
//! their attempts. Shared by the API, the store and the workers.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// Durations as `"5s"`, `"10m"`, `"2h"` strings.
pub mod duration_str {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    /// Formats like `"5m"`.
    pub fn format(d: &Duration) -> String {
        humantime::format_duration(*d).to_string().replace(' ', "")
    }

    /// Parses `"5s"`, `"1h30m"`, …; a zero duration is refused where `positive`.
    pub fn parse(text: &str) -> Result<Duration, String> {
        humantime::parse_duration(text.trim())
            .map_err(|e| format!("{text:?} is not a duration like \"30s\", \"5m\" or \"2h\" ({e})"))
    }

    /// serde serialize.
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(d))
    }

    /// serde deserialize.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }

    /// A list of durations.
    pub mod list {
        use super::*;

        /// serde serialize.
        pub fn serialize<S: Serializer>(v: &[Duration], s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(v.iter().map(format))
        }

        /// serde deserialize.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Duration>, D::Error> {
            Vec::<String>::deserialize(d)?
                .iter()
                .map(|t| parse(t).map_err(serde::de::Error::custom))
                .collect()
        }
    }
}

/// An organization (tenant).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Org {
    /// `org_…`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// RFC 3339.
    pub created_at: String,
}

/// Comparison of a native trigger filter.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
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
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FilterRule {
    /// Dotted path into the event envelope, e.g. `data.order.status`.
    pub path: String,
    /// The comparison.
    pub op: FilterOp,
    /// The operand (an array for `in` / `not_in`).
    pub value: Value,
}

/// An event type a webhook subscribes to, with optional filters.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// The event type, e.g. `order.created`.
    pub event: String,
    /// Filters that must all match.
    #[serde(default)]
    pub filters: Vec<FilterRule>,
}

/// How Herald authenticates to the receiver.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
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
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum SignatureScheme {
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`.
    #[default]
    Standard,
    /// Hex HMAC-SHA256 of the body in `X-Webhook-Signature`.
    Hex,
}

/// A signing secret; during rotation the previous one keeps signing until it expires.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Secret {
    /// `whsec_<base64>`.
    pub value: String,
    /// Unix ms after which it no longer signs; `None` for the current secret.
    pub expires_at_ms: Option<i64>,
}

/// A plugin in a webhook's chain.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PluginRef {
    /// `name@version`.
    pub plugin: String,
    /// The webhook's config for it.
    #[serde(default = "empty_object")]
    pub config: Value,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

/// A webhook's plugins: filters run first, in order, then transforms.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
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
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RetryPolicy {
    /// Delay before each retry; attempts = schedule length + 1.
    #[serde(with = "duration_str::list")]
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

/// A webhook, as stored (secrets included).
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
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Queued, not yet attempted (or waiting for an inactive webhook).
    Pending,
    /// A 2xx was received.
    Succeeded,
    /// The last attempt failed; a retry is scheduled.
    Failed,
    /// Every attempt failed (or the receiver said 410 Gone); in the dead-letter set.
    Dead,
    /// A filter dropped it.
    Filtered,
}

impl DeliveryStatus {
    /// The stored / API name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Succeeded => "succeeded",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Dead => "dead",
            DeliveryStatus::Filtered => "filtered",
        }
    }

    /// Parses a stored / API name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => DeliveryStatus::Pending,
            "succeeded" => DeliveryStatus::Succeeded,
            "failed" => DeliveryStatus::Failed,
            "dead" => DeliveryStatus::Dead,
            "filtered" => DeliveryStatus::Filtered,
            _ => return None,
        })
    }

    /// No further attempt will happen on its own.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            DeliveryStatus::Succeeded | DeliveryStatus::Dead | DeliveryStatus::Filtered
        )
    }
}

/// Class of a failed attempt.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum ErrorClass {
    /// The attempt ran past the webhook's timeout.
    Timeout,
    /// TCP connection failed.
    Connect,
    /// Name resolution failed.
    Dns,
    /// TLS handshake or certificate failure.
    Tls,
    /// A non-2xx response.
    Status,
    /// A plugin failed.
    Plugin,
    /// Refused by policy (http URL, private address).
    Blocked,
}

impl ErrorClass {
    /// The stored / API name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Timeout => "timeout",
            ErrorClass::Connect => "connect",
            ErrorClass::Dns => "dns",
            ErrorClass::Tls => "tls",
            ErrorClass::Status => "status",
            ErrorClass::Plugin => "plugin",
            ErrorClass::Blocked => "blocked",
        }
    }
}

/// An attempt's error.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AttemptError {
    /// The class.
    pub class: ErrorClass,
    /// What happened.
    pub message: String,
}

/// Where an attempt's time went, in milliseconds (`None`: not applicable,
/// e.g. a reused connection has no DNS, connect or TLS time).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Timings {
    /// Name resolution.
    pub dns_ms: Option<f64>,
    /// TCP connect.
    pub connect_ms: Option<f64>,
    /// TLS handshake.
    pub tls_ms: Option<f64>,
    /// From sending the request to the response head.
    pub first_byte_ms: Option<f64>,
    /// The whole attempt, plugins included.
    pub total_ms: f64,
    /// Plugins (filters and transforms).
    pub plugins_ms: Option<f64>,
    /// Whether a pooled connection was reused.
    pub reused_connection: bool,
}

/// One attempt of a delivery.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Attempt {
    /// 1-based.
    pub number: u32,
    /// RFC 3339 start time.
    pub at: String,
    /// Duration in milliseconds.
    pub duration_ms: f64,
    /// Request headers as sent, secrets masked.
    pub request_headers: BTreeMap<String, String>,
    /// Response status, if one came.
    pub status_code: Option<u16>,
    /// Response headers.
    pub response_headers: BTreeMap<String, String>,
    /// Response body, up to 64 KiB, lossy UTF-8.
    pub response_body: Option<String>,
    /// Whether the body was cut.
    pub response_body_truncated: bool,
    /// The failure, if it failed.
    pub error: Option<AttemptError>,
    /// Where the time went.
    pub timings: Timings,
}
