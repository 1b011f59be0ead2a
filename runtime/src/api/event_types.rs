//! The event-type catalogue: what each event means, a sample payload, and
//! which paths filters may use. Once the catalogue has entries, webhooks may
//! only subscribe to catalogued types, and their filters may only use a
//! type's `filterable` paths (when it lists any).

use super::{ApiError, AppState, Body, Caller};
use crate::store::{keys, StoreError};
use axum::extract::Path;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;

/// A catalogue entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventType {
    /// The type, e.g. `order.created`.
    #[serde(rename = "type", default)]
    pub event_type: String,
    /// What it means.
    pub description: String,
    /// A sample `data` payload.
    #[serde(default)]
    pub example: Value,
    /// Dotted paths filters may use.
    #[serde(default)]
    pub filterable: Vec<String>,
}

/// `PUT` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventTypeInput {
    description: String,
    #[serde(default)]
    example: Value,
    #[serde(default)]
    filterable: Vec<String>,
}

/// Creates or replaces a catalogue entry (operator).
pub async fn put(
    state: AppState,
    caller: Caller,
    Path(event_type): Path<String>,
    Body(body): Body<EventTypeInput>,
) -> Result<(StatusCode, Json<EventType>), ApiError> {
    caller.operator()?;
    if event_type.is_empty() || event_type.len() > 200 {
        return Err(ApiError::invalid("the type must be 1 to 200 characters"));
    }
    if let Some(p) = body
        .filterable
        .iter()
        .find(|p| p.is_empty() || p.split('.').any(str::is_empty))
    {
        return Err(ApiError::invalid(format!(
            "`filterable`: {p:?} is not a dotted path like data.order.status"
        )));
    }
    let entry = EventType {
        event_type: event_type.clone(),
        description: body.description,
        example: body.example,
        filterable: body.filterable,
    };
    let _: () = redis::cmd("HSET")
        .arg(keys::EVENT_TYPES)
        .arg(&event_type)
        .arg(serde_json::to_string(&entry).unwrap_or_default())
        .query_async(&mut state.store.con())
        .await
        .map_err(StoreError::from)?;
    Ok((StatusCode::OK, Json(entry)))
}

/// The catalogue, by type.
pub async fn catalogue(state: &AppState) -> Result<HashMap<String, EventType>, ApiError> {
    let all: HashMap<String, String> = redis::cmd("HGETALL")
        .arg(keys::EVENT_TYPES)
        .query_async(&mut state.store.con())
        .await
        .map_err(StoreError::from)?;
    Ok(all
        .into_iter()
        .filter_map(|(k, v)| serde_json::from_str(&v).ok().map(|e| (k, e)))
        .collect())
}

/// Lists the catalogue (any key).
pub async fn list(state: AppState, _caller: Caller) -> Result<Json<Value>, ApiError> {
    let mut items: Vec<EventType> = catalogue(&state).await?.into_values().collect();
    items.sort_by(|a, b| a.event_type.cmp(&b.event_type));
    Ok(Json(json!({"items": items, "next_cursor": null})))
}
