//! The delivery log: a webhook's deliveries (newest first, by status, with
//! a cursor), one delivery with its payload and every attempt, retrying
//! one now, replaying a webhook's failed or dead deliveries, and stats.

use super::page::{after, Cursor, PageQuery};
use super::{webhooks::owned, ApiError, AppState, Body, Caller, Permission};
use crate::model::DeliveryStatus;
use crate::store::{keys, now_ms, StoreError};
use axum::extract::{Path, Query};
use axum::Json;
use redis::Script;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::LazyLock;

/// Re-queues a delivery now unless it is pending (queued or in flight).
/// KEYS: delivery, retries, dead set, queue. ARGV: id. Returns 1 if queued.
static REQUEUE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local status = redis.call('HGET', KEYS[1], 'status')
if not status or status == 'pending' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'pending', 'next_attempt_at', '')
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('XADD', KEYS[4], '*', 'd', ARGV[1])
return 1
",
    )
});

async fn requeue(state: &AppState, webhook_id: &str, id: &str) -> Result<bool, ApiError> {
    let queued: i64 = REQUEUE
        .key(keys::delivery(id))
        .key(keys::RETRIES)
        .key(keys::webhook_dead(webhook_id))
        .key(keys::QUEUE)
        .arg(id)
        .invoke_async(&mut state.store.con())
        .await
        .map_err(StoreError::from)?;
    Ok(queued == 1)
}

/// List query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    limit: Option<usize>,
    cursor: Option<String>,
}

/// A webhook's deliveries, newest first; `next_cursor` pages on.
pub async fn list(
    state: AppState,
    caller: Caller,
    Path((org, id)): Path<(String, String)>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.allow(&org, Permission::LogsRead)?;
    owned(&state, &org, &id).await?;
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(DeliveryStatus::parse(s).ok_or_else(|| {
            ApiError::invalid(format!(
                "`status` {s:?} is not one of pending, succeeded, failed, dead, filtered"
            ))
        })?),
    };
    let paging = PageQuery {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let limit = paging.limit()?;
    let mut scanned = paging.cursor.as_deref().map(Cursor::parse).transpose()?;
    let mut items = Vec::new();
    let mut last_returned: Option<Cursor> = None;
    let mut next_cursor = None;
    'scan: loop {
        let batch = after(
            &state.store,
            &keys::webhook_deliveries(&id),
            scanned.as_ref(),
            200,
        )
        .await?;
        if batch.is_empty() {
            break;
        }
        for (did, position) in batch {
            if let Some(d) = state.store.delivery(&did).await? {
                if status.is_none_or(|s| s == d.status) {
                    if items.len() == limit {
                        // There is more: resume after the last item returned.
                        next_cursor = last_returned.as_ref().map(Cursor::encode);
                        break 'scan;
                    }
                    items.push(serde_json::to_value(&d).unwrap_or_default());
                    last_returned = Some(position.clone());
                }
            }
            scanned = Some(position);
        }
    }
    Ok(Json(json!({"items": items, "next_cursor": next_cursor})))
}

/// One delivery with its payload and attempts.
pub async fn read(
    state: AppState,
    caller: Caller,
    Path((org, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    caller.allow(&org, Permission::LogsRead)?;
    let d = match state.store.delivery(&id).await? {
        Some(d) if d.org == org => d,
        _ => return Err(ApiError::not_found("delivery")),
    };
    let attempts = state.store.attempts(&id).await?;
    let event = state.store.event_json(&org, &d.event_id).await?;
    let payload = event
        .and_then(|j| serde_json::from_str::<crate::event::Event>(&j).ok())
        .and_then(|e| serde_json::from_slice::<Value>(&e.payload()).ok());
    let mut v = serde_json::to_value(&d).unwrap_or_default();
    v["payload"] = payload.unwrap_or(Value::Null);
    v["attempts"] = serde_json::to_value(attempts).unwrap_or_default();
    Ok(Json(v))
}

/// Attempts a delivery again now (409 while it is pending).
pub async fn retry(
    state: AppState,
    caller: Caller,
    Path((org, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    caller.allow(&org, Permission::WebhooksWrite)?;
    let d = match state.store.delivery(&id).await? {
        Some(d) if d.org == org => d,
        _ => return Err(ApiError::not_found("delivery")),
    };
    if !requeue(&state, &d.webhook_id, &id).await? {
        return Err(ApiError::conflict(
            "the delivery is pending (queued or in flight); it will be attempted anyway",
        ));
    }
    Ok(Json(json!({"id": id, "status": "pending"})))
}

/// Replay body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayInput {
    since: String,
    status: String,
}

/// Re-queues a webhook's `failed` or `dead` deliveries created since a time.
pub async fn replay(
    state: AppState,
    caller: Caller,
    Path((org, id)): Path<(String, String)>,
    Body(input): Body<ReplayInput>,
) -> Result<Json<Value>, ApiError> {
    caller.allow(&org, Permission::WebhooksWrite)?;
    owned(&state, &org, &id).await?;
    let status = match input.status.as_str() {
        "failed" => DeliveryStatus::Failed,
        "dead" => DeliveryStatus::Dead,
        other => {
            return Err(ApiError::invalid(format!(
                "`status` {other:?} must be \"failed\" or \"dead\""
            )))
        }
    };
    let since =
        time::OffsetDateTime::parse(&input.since, &time::format_description::well_known::Rfc3339)
            .map_err(|e| {
            ApiError::invalid(format!(
                "`since` {:?} is not an RFC 3339 time ({e})",
                input.since
            ))
        })?;
    let since_ms = (since.unix_timestamp_nanos() / 1_000_000) as i64;
    let ids: Vec<String> = redis::cmd("ZRANGEBYSCORE")
        .arg(keys::webhook_deliveries(&id))
        .arg(since_ms)
        .arg("+inf")
        .query_async(&mut state.store.con())
        .await
        .map_err(StoreError::from)?;
    let mut queued = 0;
    for did in ids {
        if state
            .store
            .delivery(&did)
            .await?
            .is_some_and(|d| d.status == status)
            && requeue(&state, &id, &did).await?
        {
            queued += 1;
        }
    }
    Ok(Json(json!({"queued": queued})))
}

/// Per-webhook stats over the last 24 hours and 7 days.
pub async fn stats(
    state: AppState,
    caller: Caller,
    Path((org, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    caller.allow(&org, Permission::LogsRead)?;
    owned(&state, &org, &id).await?;
    let hour = now_ms() / 3_600_000;
    let mut buckets = Vec::with_capacity(168);
    let mut pipe = redis::pipe();
    for h in 0..168 {
        pipe.hgetall(keys::webhook_stats(&id, hour - h));
    }
    let hours: Vec<HashMap<String, i64>> = pipe
        .query_async(&mut state.store.con())
        .await
        .map_err(StoreError::from)?;
    buckets.extend(hours);
    let mut out = serde_json::Map::new();
    for (name, n) in [("24h", 24usize), ("7d", 168usize)] {
        let since_ms = now_ms() - n as i64 * 3_600_000;
        let mut sum: HashMap<String, i64> = HashMap::new();
        for b in buckets.iter().take(n) {
            for (k, v) in b {
                *sum.entry(k.clone()).or_default() += v;
            }
        }
        let events: i64 = redis::cmd("ZCOUNT")
            .arg(keys::webhook_deliveries(&id))
            .arg(since_ms)
            .arg("+inf")
            .query_async(&mut state.store.con())
            .await
            .map_err(StoreError::from)?;
        let get = |k: &str| sum.get(k).copied().unwrap_or(0);
        let (ok, dead) = (get("succeeded"), get("dead"));
        let errors: serde_json::Map<String, Value> = sum
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("err:").map(|c| (c.to_string(), json!(v))))
            .collect();
        out.insert(
            name.into(),
            json!({
                "events": events,
                "succeeded": ok,
                "dead": dead,
                "filtered": get("filtered"),
                "attempts": get("attempts"),
                "retries": get("retries"),
                "success_rate": if ok + dead > 0 { Some(ok as f64 / (ok + dead) as f64) } else { None },
                "errors": errors,
            }),
        );
    }
    let last: HashMap<String, String> = redis::cmd("HGETALL")
        .arg(keys::webhook_last(&id))
        .query_async(&mut state.store.con())
        .await
        .map_err(StoreError::from)?;
    let last_attempt = (!last.is_empty()).then(|| {
        json!({"at": last.get("at"), "status": last.get("status"),
               "status_code": last.get("status_code").and_then(|c| c.parse::<u16>().ok())})
    });
    out.insert("last_attempt".into(), json!(last_attempt));
    Ok(Json(Value::Object(out)))
}
