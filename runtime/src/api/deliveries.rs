//! The delivery log: a webhook's deliveries (newest first, by status) and
//! one delivery's detail with every attempt.

use super::{ApiError, AppState, Caller};
use crate::model::DeliveryStatus;
use crate::store::keys;
use axum::extract::{Path, Query};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

/// List query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    limit: Option<usize>,
}

/// A webhook's deliveries, newest first.
pub async fn list(
    state: AppState,
    _caller: Caller,
    Path((org, id)): Path<(String, String)>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    match state.store.webhook(&id).await? {
        Some(w) if w.org == org => {}
        _ => return Err(ApiError::not_found("webhook")),
    }
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(DeliveryStatus::parse(s).ok_or_else(|| {
            ApiError::invalid(format!(
                "`status` {s:?} is not one of pending, succeeded, failed, dead, filtered"
            ))
        })?),
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let ids: Vec<String> = redis::cmd("ZREVRANGE")
        .arg(keys::webhook_deliveries(&id))
        .arg(0)
        .arg(-1)
        .query_async(&mut state.store.con())
        .await
        .map_err(crate::store::StoreError::from)?;
    let mut items = Vec::new();
    for did in ids {
        if items.len() >= limit {
            break;
        }
        if let Some(d) = state.store.delivery(&did).await? {
            if status.is_none_or(|s| s == d.status) {
                items.push(serde_json::to_value(&d).unwrap_or_default());
            }
        }
    }
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

/// One delivery with its payload and attempts.
pub async fn read(
    state: AppState,
    _caller: Caller,
    Path((org, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let d = match state.store.delivery(&id).await? {
        Some(d) if d.org == org => d,
        _ => return Err(ApiError::not_found("delivery")),
    };
    let attempts = state.store.attempts(&id).await?;
    let event: Option<String> = redis::cmd("HGET")
        .arg(keys::event(&org, &d.event_id))
        .arg("json")
        .query_async(&mut state.store.con())
        .await
        .map_err(crate::store::StoreError::from)?;
    let payload = event
        .and_then(|j| serde_json::from_str::<crate::event::Event>(&j).ok())
        .and_then(|e| serde_json::from_slice::<Value>(&e.payload()).ok());
    let mut v = serde_json::to_value(&d).unwrap_or_default();
    v["payload"] = payload.unwrap_or(Value::Null);
    v["attempts"] = serde_json::to_value(attempts).unwrap_or_default();
    Ok(Json(v))
}
