//! Deliveries (one per event and webhook) and their attempts.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash, ToSchema)]
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
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash, ToSchema)]
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
    /// The answer was not valid HTTP (a malformed status line, headers or
    /// chunked body).
    Protocol,
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
            ErrorClass::Protocol => "protocol",
            ErrorClass::Plugin => "plugin",
            ErrorClass::Blocked => "blocked",
        }
    }
}

/// An attempt's error.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct AttemptError {
    /// The class.
    pub class: ErrorClass,
    /// What happened.
    pub message: String,
}

/// Where an attempt's time went, in milliseconds (`None`: not applicable,
/// e.g. a reused connection has no DNS, connect or TLS time).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, ToSchema)]
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
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
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
    /// The body as sent, when transform plugins produced it (up to 64 KiB,
    /// lossy UTF-8); without transforms the body is the delivery's payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_body: Option<String>,
    /// Whether `request_body` was cut.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub request_body_truncated: bool,
    /// Lines the plugins logged during the attempt (at most
    /// [`MAX_PLUGIN_LOG_LINES`], each at most 1 KiB).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plugin_logs: Vec<PluginLogLine>,
}

/// Plugin log lines kept per attempt.
pub const MAX_PLUGIN_LOG_LINES: usize = 20;

/// A line a plugin logged during an attempt.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct PluginLogLine {
    /// The plugin, `name@version`.
    pub plugin: String,
    /// `trace`, `debug`, `info`, `warn` or `error`.
    pub level: String,
    /// The text.
    pub message: String,
}

/// A delivery: one event to one webhook, with where it stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Delivery {
    /// `dlv_…`; also the `webhook-id` header on every attempt.
    pub id: String,
    /// Owning org.
    pub org: String,
    /// The webhook.
    pub webhook_id: String,
    /// The event.
    pub event_id: String,
    /// The event type.
    pub event_type: String,
    /// The URL of the last attempt.
    pub url: Option<String>,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: u32,
    /// Status code of the last response.
    pub last_status_code: Option<u16>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// Unix ms of creation (latency metrics).
    #[serde(skip)]
    pub created_ms: i64,
    /// When the next attempt is due, if one is scheduled.
    pub next_attempt_at: Option<String>,
    /// The last error or filter reason.
    pub last_error: Option<String>,
    /// For an ordered webhook keyed by a path: the event's key (its line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordering_key: Option<String>,
    /// For a dead delivery of an ordered webhook: the delivery of the same
    /// line sent next, because this one died.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_in_line: Option<String>,
    /// The line it is in (an ordered webhook's), as stored.
    #[serde(skip)]
    pub line: Option<String>,
}
