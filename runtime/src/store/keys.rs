//! Every Redis key Herald uses, in one place.
//!
//! Keys are computed inside Lua scripts too (the publish and retry scripts
//! mirror these names); with Redis Cluster all of Herald's keys would need
//! one hash slot, which this single-Redis layout does not arrange.

/// The delivery work stream (consumer group [`GROUP`]).
pub const QUEUE: &str = "herald:q";
/// The consumer group shared by all Herald processes.
pub const GROUP: &str = "herald-workers";
/// Due retries: sorted set, score = due time in Unix ms, member = delivery id.
pub const RETRIES: &str = "herald:retry";
/// The documented ingest stream producers may `XADD` to.
pub const INGEST: &str = "herald:ingest";
/// The ingest stream's consumer group.
pub const INGEST_GROUP: &str = "herald-ingest";
/// All orgs: sorted set by creation time.
pub const ORGS: &str = "herald:orgs";
/// Pub/sub channel: the id of every webhook created, changed or deleted
/// (each Herald process drops its cached copy).
pub const CHANGES: &str = "herald:changes";
/// Registered plugins: hash `name@version` → JSON metadata.
pub const PLUGINS: &str = "herald:plugins";

/// An org: hash.
pub fn org(org: &str) -> String {
    format!("herald:org:{org}")
}

/// An org's webhooks: sorted set by creation time.
pub fn org_webhooks(org: &str) -> String {
    format!("herald:org:{org}:webhooks")
}

/// The active webhooks of an org subscribed to an event type: set.
pub fn trigger_index(org: &str, event_type: &str) -> String {
    format!("herald:idx:{org}:{event_type}")
}

/// A webhook: JSON string.
pub fn webhook(id: &str) -> String {
    format!("herald:wh:{id}")
}

/// A webhook's delivery log: sorted set by creation time (ms).
pub fn webhook_deliveries(id: &str) -> String {
    format!("herald:wh:{id}:dlv")
}

/// A webhook's dead letters: sorted set by time of death (ms).
pub fn webhook_dead(id: &str) -> String {
    format!("herald:wh:{id}:dead")
}

/// Deliveries waiting for an inactive webhook: sorted set by time parked.
pub fn webhook_parked(id: &str) -> String {
    format!("herald:wh:{id}:parked")
}

/// A webhook's stats for one hour: hash of counters.
pub fn webhook_stats(id: &str, hour: i64) -> String {
    format!("herald:wh:{id}:stats:{hour}")
}

/// An event: hash {json, deliveries}.
pub fn event(org: &str, id: &str) -> String {
    format!("herald:evt:{org}:{id}")
}

/// A delivery: hash.
pub fn delivery(id: &str) -> String {
    format!("herald:dlv:{id}")
}

/// A delivery's attempts: list of JSON.
pub fn attempts(id: &str) -> String {
    format!("herald:dlv:{id}:attempts")
}

/// A registered plugin's `.wasm` bytes.
pub fn plugin_wasm(reference: &str) -> String {
    format!("herald:plugin:{reference}")
}

/// An API key: hash {json}.
pub fn api_key(id: &str) -> String {
    format!("herald:key:{id}")
}

/// An org's API keys: sorted set by creation time.
pub fn org_keys(org: &str) -> String {
    format!("herald:org:{org}:keys")
}

/// The event-type catalogue: hash type → JSON.
pub const EVENT_TYPES: &str = "herald:event-types";

/// Webhooks using a plugin: set.
pub fn plugin_users(reference: &str) -> String {
    format!("herald:plugin-users:{reference}")
}

/// A webhook's last attempt: hash {at, status, status_code}.
pub fn webhook_last(id: &str) -> String {
    format!("herald:wh:{id}:last")
}
