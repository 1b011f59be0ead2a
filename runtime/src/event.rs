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
    /// The W3C `traceparent` of the span that published it, when tracing
    /// is on: its attempts continue that trace. Never sent to receivers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
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
    crate::clock::now_rfc3339()
}

/// Longest event type, id and environment accepted.
pub const MAX_NAME: usize = 200;

/// The prefix of Herald's own event types ([`crate::operational`]), which
/// producers may not use.
pub const OWN_PREFIX: &str = "herald.";

/// An event as a producer publishes it, checked by [`NewEvent::parse`]:
/// the one set of input rules for the API and the ingest stream alike.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The producer's id (idempotency key), if given.
    pub id: Option<String>,
    /// The event type.
    pub event_type: String,
    /// The JSON payload (an object).
    pub data: Box<RawValue>,
    /// The environment tag.
    pub environment: Option<String>,
    /// The publishing span's W3C `traceparent`, when tracing is on (set by
    /// Herald, never by the producer's fields).
    pub traceparent: Option<String>,
}

impl NewEvent {
    /// Checks a producer's fields; the error says what to fix.
    pub fn parse(
        id: Option<String>,
        event_type: String,
        data: Box<RawValue>,
        environment: Option<String>,
    ) -> Result<NewEvent, String> {
        if event_type.trim().is_empty()
            || event_type.len() > MAX_NAME
            || event_type.chars().any(char::is_control)
        {
            return Err(format!(
                "`type` must be 1 to {MAX_NAME} printable characters, e.g. \"order.created\""
            ));
        }
        if event_type.starts_with(OWN_PREFIX) {
            return Err(format!(
                "`type` {event_type:?}: types starting with `herald.` are Herald's own operational events; choose another prefix"
            ));
        }
        if let Some(id) = &id {
            if id.is_empty()
                || id.len() > MAX_NAME
                || id.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(format!(
                    "`id` must be 1 to {MAX_NAME} characters without spaces"
                ));
            }
        }
        if let Some(env) = &environment {
            if env.trim().is_empty() || env.len() > MAX_NAME || env.chars().any(char::is_control) {
                return Err(format!(
                    "`environment` must be 1 to {MAX_NAME} printable characters, e.g. \"production\""
                ));
            }
        }
        if !data.get().trim_start().starts_with('{') {
            return Err("`data` must be a JSON object, e.g. {\"order_id\": 42}".into());
        }
        Ok(NewEvent {
            id,
            event_type,
            data,
            environment,
            traceparent: None,
        })
    }

    /// Parses `data` from JSON text first (the ingest stream carries text).
    pub fn parse_text(
        id: Option<String>,
        event_type: String,
        data: String,
        environment: Option<String>,
    ) -> Result<NewEvent, String> {
        let data =
            RawValue::from_string(data).map_err(|e| format!("`data` is not valid JSON ({e})"))?;
        NewEvent::parse(id, event_type, data, environment)
    }
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

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_string()).expect("json")
    }

    #[test]
    fn input_rules_say_what_to_fix() {
        let ok = |t: &str, d: &str| NewEvent::parse(None, t.into(), raw(d), None);
        assert!(ok("order.created", r#"{"a":1}"#).is_ok());
        assert!(ok("", "{}").expect_err("refused").contains("`type`"));
        assert!(ok(&"x".repeat(201), "{}")
            .expect_err("refused")
            .contains("`type`"));
        assert!(ok("t", "[1]")
            .expect_err("refused")
            .contains("`data` must be a JSON object"));
        assert!(ok("t", "3").is_err());
        let bad_id = NewEvent::parse(Some("a b".into()), "t".into(), raw("{}"), None);
        assert!(bad_id.expect_err("refused").contains("`id`"));
        let bad_env = NewEvent::parse(None, "t".into(), raw("{}"), Some(String::new()));
        assert!(bad_env.expect_err("refused").contains("`environment`"));
        let text = NewEvent::parse_text(None, "t".into(), "{oops".into(), None);
        assert!(text.expect_err("refused").contains("not valid JSON"));
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
