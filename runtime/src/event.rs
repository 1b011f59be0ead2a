//! The event model: what a producer publishes, and the default payload
//! Herald sends for it (`{"id", "type", "timestamp", "environment"?, "data"}`).

use crate::plugin::WitEvent;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// One published event. `data` is kept as raw JSON text: it is never
/// re-parsed on the delivery path unless a native filter needs a field.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    /// The event id (the producer's idempotency key, or generated).
    pub id: String,
    /// The event type, e.g. `order.created`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// When Herald accepted it, RFC 3339.
    pub timestamp: String,
    /// The publishing organization.
    pub org: String,
    /// The producer's environment tag, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The JSON payload.
    pub data: Box<RawValue>,
}

#[derive(Serialize)]
struct Payload<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    event_type: &'a str,
    timestamp: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    environment: Option<&'a str>,
    data: &'a RawValue,
}

impl Event {
    /// The body Herald sends when no transform changes it.
    pub fn payload(&self) -> Vec<u8> {
        let payload = Payload {
            id: &self.id,
            event_type: &self.event_type,
            timestamp: &self.timestamp,
            environment: self.environment.as_deref(),
            data: &self.data,
        };
        // Cannot fail: every field is a string or already-valid JSON.
        serde_json::to_vec(&payload).unwrap_or_default()
    }

    /// The event as a plugin sees it, for one webhook.
    pub fn to_plugin_event(&self, webhook_id: &str) -> WitEvent {
        WitEvent {
            id: self.id.clone(),
            event_type: self.event_type.clone(),
            timestamp: self.timestamp.clone(),
            org: self.org.clone(),
            environment: self.environment.clone(),
            webhook_id: webhook_id.to_string(),
            data: self.data.get().to_string(),
        }
    }
}

/// The current time as RFC 3339 (UTC, millisecond precision).
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now
        .replace_nanosecond(now.millisecond() as u32 * 1_000_000)
        .unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_has_the_documented_shape_and_keeps_data_bytes() {
        let event: Event = serde_json::from_str(
            r#"{"id":"e1","type":"order.created","timestamp":"2026-01-01T00:00:00Z","org":"o1","data":{"b":1, "a":[2]}}"#,
        )
        .expect("valid event");
        let body = String::from_utf8(event.payload()).expect("utf-8");
        assert_eq!(
            body,
            r#"{"id":"e1","type":"order.created","timestamp":"2026-01-01T00:00:00Z","data":{"b":1, "a":[2]}}"#
        );
        let with_env = Event {
            environment: Some("prod".into()),
            ..event
        };
        assert!(String::from_utf8(with_env.payload())
            .expect("utf-8")
            .contains(r#""environment":"prod""#));
    }

    #[test]
    fn now_is_rfc3339() {
        let now = now_rfc3339();
        assert!(
            time::OffsetDateTime::parse(&now, &time::format_description::well_known::Rfc3339)
                .is_ok(),
            "{now}"
        );
    }
}
