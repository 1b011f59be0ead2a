//! The values a plugin receives and returns: the [`Event`], the outgoing
//! [`Request`], a filter's [`Verdict`] and a plugin's typed [`PluginError`].

use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt;

/// The event being delivered, as the webhook's plugins see it.
///
/// ```
/// use herald_sdk::Event;
/// let event = Event::example("order.created", r#"{"order":{"total":42}}"#);
/// assert_eq!(event.data_json().unwrap()["order"]["total"], 42);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The event's id (the producer's idempotency key, or one Herald assigned).
    pub id: String,
    /// The event type, e.g. `order.created`.
    pub event_type: String,
    /// When the event was accepted, RFC 3339 text.
    pub timestamp: String,
    /// The organization (tenant) that published the event.
    pub org: String,
    /// The environment the producer tagged the event with, if any.
    pub environment: Option<String>,
    /// The webhook this delivery belongs to.
    pub webhook_id: String,
    /// The payload, JSON text. Parse it with [`Event::data_json`] or [`Event::data_as`].
    pub data: String,
}

impl Event {
    /// An event with placeholder ids and timestamp, for plugin unit tests.
    ///
    /// ```
    /// let e = herald_sdk::Event::example("order.created", "{}");
    /// assert_eq!(e.event_type, "order.created");
    /// ```
    pub fn example(event_type: &str, data: &str) -> Self {
        Event {
            id: "evt_example".into(),
            event_type: event_type.into(),
            timestamp: "2026-01-01T00:00:00Z".into(),
            org: "org_example".into(),
            environment: None,
            webhook_id: "wh_example".into(),
            data: data.into(),
        }
    }

    /// The payload as a `serde_json::Value`; malformed JSON is an
    /// [`PluginError::InvalidEvent`].
    ///
    /// ```
    /// let e = herald_sdk::Event::example("t", r#"{"a":1}"#);
    /// assert_eq!(e.data_json().unwrap()["a"], 1);
    /// ```
    pub fn data_json(&self) -> Result<Value, PluginError> {
        serde_json::from_str(&self.data)
            .map_err(|e| PluginError::InvalidEvent(format!("event data is not valid JSON: {e}")))
    }

    /// The payload deserialized into your own type; a mismatch is an
    /// [`PluginError::InvalidEvent`] naming the field.
    ///
    /// ```
    /// #[derive(serde::Deserialize)]
    /// struct Order { total: f64 }
    /// let e = herald_sdk::Event::example("t", r#"{"total":9.5}"#);
    /// let order: Order = e.data_as().unwrap();
    /// assert_eq!(order.total, 9.5);
    /// ```
    pub fn data_as<T: DeserializeOwned>(&self) -> Result<T, PluginError> {
        serde_json::from_str(&self.data)
            .map_err(|e| PluginError::InvalidEvent(format!("event data does not fit: {e}")))
    }

    /// The event as the JSON envelope Herald sends by default:
    /// `{"id", "type", "timestamp", "environment"?, "data"}`. Dotted paths such
    /// as `data.order.total` (see [`crate::json::lookup`]) are relative to it,
    /// exactly like Herald's native trigger filters.
    ///
    /// ```
    /// let e = herald_sdk::Event::example("order.created", r#"{"total":3}"#);
    /// let env = e.envelope().unwrap();
    /// assert_eq!(env["type"], "order.created");
    /// assert_eq!(env["data"]["total"], 3);
    /// ```
    pub fn envelope(&self) -> Result<Value, PluginError> {
        let mut map = serde_json::Map::new();
        map.insert("id".into(), Value::String(self.id.clone()));
        map.insert("type".into(), Value::String(self.event_type.clone()));
        map.insert("timestamp".into(), Value::String(self.timestamp.clone()));
        if let Some(env) = &self.environment {
            map.insert("environment".into(), Value::String(env.clone()));
        }
        map.insert("data".into(), self.data_json()?);
        Ok(Value::Object(map))
    }
}

/// The outgoing HTTP request before Herald signs and sends it.
///
/// ```
/// use herald_sdk::Request;
/// let mut req = Request::json(&serde_json::json!({"a": 1}));
/// req.set_header("X-Partner", "acme");
/// assert_eq!(req.header("x-partner"), Some("acme"));
/// assert_eq!(req.json_body().unwrap()["a"], 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Request {
    /// Headers as (name, value) pairs; names compare case-insensitively.
    pub headers: Vec<(String, String)>,
    /// The exact body bytes Herald will sign and send.
    pub body: Vec<u8>,
}

impl Request {
    /// A request with a JSON body and `content-type: application/json`.
    ///
    /// ```
    /// let r = herald_sdk::Request::json(&serde_json::json!([1, 2]));
    /// assert_eq!(r.body, b"[1,2]");
    /// ```
    pub fn json(value: &Value) -> Self {
        let mut req = Request::default();
        req.set_json_body(value);
        req
    }

    /// The value of the first header named `name` (case-insensitive).
    ///
    /// ```
    /// let mut r = herald_sdk::Request::default();
    /// r.set_header("Content-Type", "text/plain");
    /// assert_eq!(r.header("content-type"), Some("text/plain"));
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Sets a header, replacing every existing header of that name.
    ///
    /// ```
    /// let mut r = herald_sdk::Request::default();
    /// r.set_header("x-a", "1");
    /// r.set_header("X-A", "2");
    /// assert_eq!(r.headers, vec![("X-A".to_string(), "2".to_string())]);
    /// ```
    pub fn set_header(&mut self, name: &str, value: &str) {
        self.remove_header(name);
        self.headers.push((name.to_string(), value.to_string()));
    }

    /// Removes every header named `name`; returns whether one was present.
    ///
    /// ```
    /// let mut r = herald_sdk::Request::default();
    /// r.set_header("x-a", "1");
    /// assert!(r.remove_header("X-A"));
    /// assert!(r.headers.is_empty());
    /// ```
    pub fn remove_header(&mut self, name: &str) -> bool {
        let before = self.headers.len();
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        before != self.headers.len()
    }

    /// The body parsed as JSON; malformed JSON is an [`PluginError::InvalidEvent`].
    ///
    /// ```
    /// let r = herald_sdk::Request { headers: vec![], body: b"{\"x\":true}".to_vec() };
    /// assert_eq!(r.json_body().unwrap()["x"], true);
    /// ```
    pub fn json_body(&self) -> Result<Value, PluginError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| PluginError::InvalidEvent(format!("request body is not valid JSON: {e}")))
    }

    /// Replaces the body with `value` serialized as JSON and sets
    /// `content-type: application/json`. Object keys come out sorted
    /// (serde_json's map); for a fixed order use [`Request::set_json`].
    ///
    /// ```
    /// let mut r = herald_sdk::Request::default();
    /// r.set_json_body(&serde_json::json!({"ok": 1}));
    /// assert_eq!(r.header("content-type"), Some("application/json"));
    /// ```
    pub fn set_json_body(&mut self, value: &Value) {
        // Serializing a `Value` cannot fail: its map keys are always strings.
        self.body = serde_json::to_vec(value).unwrap_or_default();
        self.set_header("content-type", "application/json");
    }

    /// Replaces the body with `value` serialized as JSON, keys in the order
    /// `value`'s type declares its fields (a `serde_json::Value` object sorts
    /// its keys; a struct keeps its field order), and sets
    /// `content-type: application/json`. Use it when a partner expects a
    /// fixed key order.
    ///
    /// ```
    /// #[derive(serde::Serialize)]
    /// struct Contact { last_name: &'static str, first_name: &'static str }
    /// let mut r = herald_sdk::Request::default();
    /// r.set_json(&Contact { last_name: "Lovelace", first_name: "Ada" }).unwrap();
    /// assert_eq!(r.body, br#"{"last_name":"Lovelace","first_name":"Ada"}"#);
    /// ```
    pub fn set_json<T: serde::Serialize>(&mut self, value: &T) -> Result<(), PluginError> {
        self.body = serde_json::to_vec(value)
            .map_err(|e| PluginError::failed(format!("cannot serialize the body: {e}")))?;
        self.set_header("content-type", "application/json");
        Ok(())
    }

    /// Replaces the body with `body` and sets its content type.
    ///
    /// ```
    /// let mut r = herald_sdk::Request::default();
    /// r.set_body("a=1", "application/x-www-form-urlencoded");
    /// assert_eq!(r.body, b"a=1");
    /// ```
    pub fn set_body(&mut self, body: impl Into<Vec<u8>>, content_type: &str) {
        self.body = body.into();
        self.set_header("content-type", content_type);
    }
}

/// What a filter decides.
///
/// ```
/// use herald_sdk::Verdict;
/// assert_eq!(Verdict::drop("too small"), Verdict::Drop("too small".into()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Deliver the event.
    Keep,
    /// Do not deliver; the reason lands in the delivery log as status `filtered`.
    Drop(String),
}

impl Verdict {
    /// A drop with a reason.
    ///
    /// ```
    /// let v = herald_sdk::Verdict::drop(format!("{} < {}", 1, 2));
    /// assert!(matches!(v, herald_sdk::Verdict::Drop(_)));
    /// ```
    pub fn drop(reason: impl Into<String>) -> Self {
        Verdict::Drop(reason.into())
    }
}

/// A plugin's own typed failure. Herald records it in the delivery log; a
/// failure at delivery time fails that attempt (and is retried on the
/// webhook's schedule, unless it is [`permanent`](PluginError::permanent)),
/// a failure in `check_config` rejects the webhook's save with the message.
///
/// ```
/// use herald_sdk::PluginError;
/// let e = PluginError::invalid_config("`min` must be positive");
/// assert_eq!(e.to_string(), "invalid config: `min` must be positive");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginError {
    /// The webhook's config for this plugin is not acceptable.
    InvalidConfig(String),
    /// The event cannot be handled by this plugin.
    InvalidEvent(String),
    /// Anything else went wrong.
    Failed(String),
    /// The error inside is permanent: trying the delivery again cannot
    /// help, so Herald records it as dead at once (contract 0.2.0). Made by
    /// [`PluginError::permanent`].
    Permanent(Box<PluginError>),
}

impl PluginError {
    /// An invalid-config error.
    ///
    /// ```
    /// let _ = herald_sdk::PluginError::invalid_config("missing `path`");
    /// ```
    pub fn invalid_config(message: impl Into<String>) -> Self {
        PluginError::InvalidConfig(message.into())
    }

    /// An invalid-event error.
    ///
    /// ```
    /// let _ = herald_sdk::PluginError::invalid_event("no `order` object");
    /// ```
    pub fn invalid_event(message: impl Into<String>) -> Self {
        PluginError::InvalidEvent(message.into())
    }

    /// A generic failure.
    ///
    /// ```
    /// let _ = herald_sdk::PluginError::failed("unexpected state");
    /// ```
    pub fn failed(message: impl Into<String>) -> Self {
        PluginError::Failed(message.into())
    }

    /// The same error, marked permanent: the delivery cannot succeed however
    /// often it is tried (the event lacks what the partner requires), so
    /// Herald records it as dead at once with this message instead of
    /// retrying it on the webhook's schedule. (It can still be retried by
    /// hand, after the plugin or its config is fixed.)
    ///
    /// ```
    /// use herald_sdk::PluginError;
    /// let e = PluginError::invalid_event("no `customer.id`").permanent();
    /// assert!(e.is_permanent());
    /// assert_eq!(e.message(), "no `customer.id`");
    /// assert_eq!(e.to_string(), "invalid event: no `customer.id` (permanent)");
    /// ```
    pub fn permanent(self) -> Self {
        match self {
            PluginError::Permanent(_) => self,
            other => PluginError::Permanent(Box::new(other)),
        }
    }

    /// Whether the error is [`permanent`](PluginError::permanent).
    pub fn is_permanent(&self) -> bool {
        matches!(self, PluginError::Permanent(_))
    }

    /// The error's message, without its kind.
    pub fn message(&self) -> &str {
        match self {
            PluginError::InvalidConfig(m)
            | PluginError::InvalidEvent(m)
            | PluginError::Failed(m) => m,
            PluginError::Permanent(inner) => inner.message(),
        }
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PluginError::InvalidConfig(m) => write!(f, "invalid config: {m}"),
            PluginError::InvalidEvent(m) => write!(f, "invalid event: {m}"),
            PluginError::Failed(m) => write!(f, "failed: {m}"),
            PluginError::Permanent(inner) => write!(f, "{inner} (permanent)"),
        }
    }
}

impl std::error::Error for PluginError {}
