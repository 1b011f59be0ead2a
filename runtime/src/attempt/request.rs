//! The request of one attempt: Herald's headers, the webhook's custom
//! headers and those a transform set (never overriding Herald's own), the
//! signature over the exact body, receiver auth; and the headers as logged,
//! credentials masked.

use crate::event::Event;
use crate::model::{Auth, SignatureScheme, Webhook};
use crate::plugin::WitRequest;
use crate::sign;
use http::{HeaderMap, HeaderName, HeaderValue};
use std::collections::BTreeMap;
use std::time::SystemTime;

/// Headers Herald owns: a transform may not set them.
const RESERVED: &[&str] = &[
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "x-webhook-signature",
    "host",
    "content-length",
    "authorization",
    "user-agent",
    "herald-event-type",
    "herald-attempt",
    "herald-event-version",
];

pub(super) fn build_headers(
    webhook: &Webhook,
    event: &Event,
    version: Option<&str>,
    msg_id: &str,
    number: u32,
    request: &WitRequest,
) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let mut put = |name: &str, value: &str| {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(n, v);
        }
    };
    for (name, value) in &webhook.headers {
        if !RESERVED.contains(&name.to_ascii_lowercase().as_str()) {
            put(name, value);
        }
    }
    for (name, value) in &request.headers {
        if !RESERVED.contains(&name.to_ascii_lowercase().as_str()) {
            put(name, value);
        }
    }
    if !request
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        put("content-type", "application/json");
    }
    put(
        "user-agent",
        concat!("Herald/", env!("CARGO_PKG_VERSION"), " (+webhooks)"),
    );
    put("herald-event-type", &event.event_type);
    put("herald-attempt", &number.to_string());
    if let Some(version) = version {
        put("herald-event-version", version);
    }
    let timestamp = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let now_ms = crate::clock::now_ms();
    let live = webhook
        .secrets
        .iter()
        .filter(|s| s.expires_at_ms.is_none_or(|exp| exp > now_ms));
    match webhook.signature {
        SignatureScheme::Standard => {
            put("webhook-id", msg_id);
            put("webhook-timestamp", &timestamp.to_string());
            put(
                "webhook-signature",
                &sign::standard_signature(
                    live.map(|s| s.value.as_str()),
                    msg_id,
                    timestamp,
                    &request.body,
                ),
            );
        }
        SignatureScheme::Ed25519 => {
            put("webhook-id", msg_id);
            put("webhook-timestamp", &timestamp.to_string());
            put(
                "webhook-signature",
                &sign::ed25519_signature(
                    live.map(|s| s.value.as_str()),
                    msg_id,
                    timestamp,
                    &request.body,
                ),
            );
        }
        SignatureScheme::Hex => {
            put("webhook-id", msg_id);
            let live: Vec<&str> = live.map(|s| s.value.as_str()).collect();
            if let Some((signature, new)) = sign::hex_signatures(&live, &request.body) {
                put(sign::HEX_HEADER, &signature);
                if let Some(new) = new {
                    put(sign::HEX_NEW_HEADER, &new);
                }
            }
        }
    }
    match &webhook.auth {
        Auth::None => {}
        Auth::Basic { username, password } => {
            use base64::Engine as _;
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
            put("authorization", &format!("Basic {token}"));
        }
        Auth::Bearer { token } => put("authorization", &format!("Bearer {token}")),
        Auth::Header { name, value } => put(name, value),
    }
    headers
}

/// The request headers as logged: credentials masked.
pub(super) fn mask(headers: &HeaderMap, auth: &Auth) -> BTreeMap<String, String> {
    let secret_header = match auth {
        Auth::Header { name, .. } => Some(name.to_ascii_lowercase()),
        _ => None,
    };
    headers
        .iter()
        .map(|(n, v)| {
            let name = n.as_str().to_string();
            let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
            let value = if name == "authorization" {
                format!("{} ***", value.split(' ').next().unwrap_or_default())
            } else if secret_header.as_deref() == Some(name.as_str()) {
                "***".to_string()
            } else {
                value
            };
            (name, value)
        })
        .collect()
}
