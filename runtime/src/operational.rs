//! Operational events: Herald's own event types, published into an org
//! like any producer's event (stored, fanned out to the org's webhooks that
//! subscribe, signed, delivered and logged the same way), so an org can
//! watch its webhooks with a normal webhook; the operator's
//! `operational_org` also gets every org's. Producers cannot publish these
//! types. Nothing is ever emitted about the delivery of an operational
//! event: a webhook that fails to receive them can never set off more of
//! them.

use crate::app::App;
use crate::event::NewEvent;
use crate::store::Store;
use serde_json::Value;

/// A webhook was deactivated by Herald (auto-disable, or a 410 Gone).
pub const WEBHOOK_DISABLED: &str = "herald.webhook.disabled";
/// A webhook's attempts keep failing ([`FAILING_AFTER`] in a row).
pub const WEBHOOK_FAILING: &str = "herald.webhook.failing";
/// A webhook that was failing delivered again.
pub const WEBHOOK_RECOVERED: &str = "herald.webhook.recovered";
/// A delivery ended dead.
pub const DELIVERY_DEAD: &str = "herald.delivery.dead";

/// Failed attempts in a row, with no success between them, that make a
/// webhook `failing` (a success rate of 0 over that run).
pub const FAILING_AFTER: u64 = 5;

/// Whether `event_type` has the prefix of Herald's own types
/// ([`crate::event::OWN_PREFIX`], which producers may not use).
pub fn is_own(event_type: &str) -> bool {
    event_type.starts_with(crate::event::OWN_PREFIX)
}

/// Each operational type: its description and an example `data`, for the
/// event-type catalogue.
pub fn catalogue() -> [(&'static str, &'static str, Value); 4] {
    let webhook = || serde_json::json!({"webhook_id": "wh_01h…", "name": "Order sync", "url": "https://example.com/hooks"});
    let with = |mut v: Value, extra: Value| {
        if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        v
    };
    [
        (
            WEBHOOK_DISABLED,
            "Herald deactivated one of the org's webhooks (its auto-disable rule, or the receiver answered 410 Gone); its queued deliveries wait until it is activated again.",
            with(webhook(), serde_json::json!({"reason": "auto-disabled: 1000 deliveries in a row ended dead (auto_disable.consecutive_dead = 1000)"})),
        ),
        (
            WEBHOOK_FAILING,
            "A webhook's last 5 attempts failed with no success between them (a success rate of 0 over that run); sent once per run of failures.",
            with(webhook(), serde_json::json!({"failed_attempts": 5, "failing_since": "2026-01-01T00:00:00.000Z", "last_error": "status: receiver answered 500 Internal Server Error"})),
        ),
        (
            WEBHOOK_RECOVERED,
            "A webhook that was failing delivered successfully again.",
            webhook(),
        ),
        (
            DELIVERY_DEAD,
            "A delivery ended dead: every attempt failed, the receiver answered 410 Gone, or a plugin said its error was permanent. It is in the webhook's dead-letter list.",
            with(webhook(), serde_json::json!({"delivery_id": "msg_01h…", "event_id": "evt_01h…", "event_type": "order.created", "attempts": 8, "last_error": "status: receiver answered 503 Service Unavailable"})),
        ),
    ]
}

/// Publishes operational event `event_type` with `data` into `org`, under
/// the id `id` (the same id twice is one event: emitting is idempotent),
/// and a copy into the operator's `operational_org` setting (when set and
/// another org), with `org` added to its data. A failure is logged, not
/// returned: it must not fail the delivery path.
pub async fn emit(app: &App, org: &str, event_type: &str, id: String, data: Value) {
    let store = &app.store;
    if let Some(operator) = app
        .settings
        .operational_org
        .as_deref()
        .filter(|o| *o != org)
    {
        let mut copy = data.clone();
        if let Some(fields) = copy.as_object_mut() {
            fields.insert("org".into(), Value::String(org.to_string()));
        }
        publish(store, operator, event_type, id.clone(), copy).await;
    }
    publish(store, org, event_type, id, data).await;
}

async fn publish(store: &Store, org: &str, event_type: &str, id: String, data: Value) {
    let data = match serde_json::value::to_raw_value(&data) {
        Ok(data) => data,
        Err(e) => {
            tracing::warn!(org, event_type, "cannot encode an operational event: {e}");
            return;
        }
    };
    let event = NewEvent {
        id: Some(id),
        event_type: event_type.to_string(),
        data,
        environment: None,
        traceparent: None,
    };
    match store.publish(org, event).await {
        Ok(Some(_)) => {}
        Ok(None) => tracing::warn!(org, event_type, "no such org for an operational event"),
        Err(e) => tracing::warn!(
            org,
            event_type,
            "publishing an operational event failed: {e}"
        ),
    }
}
