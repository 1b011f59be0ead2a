//! Publishing events: `POST /v1/orgs/{org}/events` → 202 `{"id", "deliveries"}`;
//! the same `id` again answers the same and enqueues nothing.

use super::{ApiError, AppState, Body, Caller, Permission};
use crate::ingest::{publish as store_publish, NewEvent};
use axum::extract::Path;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

/// The body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    id: Option<String>,
    #[serde(rename = "type")]
    event_type: String,
    data: Box<RawValue>,
    environment: Option<String>,
}

/// Publishes an event.
pub async fn publish(
    state: AppState,
    caller: Caller,
    Path(org): Path<String>,
    Body(input): Body<EventInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.allow(&org, Permission::EventsWrite)?;
    if input.event_type.trim().is_empty() || input.event_type.len() > 200 {
        return Err(ApiError::invalid(
            "`type` must be 1 to 200 characters, e.g. \"order.created\"",
        ));
    }
    if let Some(id) = &input.id {
        if id.is_empty() || id.len() > 200 || id.contains(char::is_whitespace) {
            return Err(ApiError::invalid(
                "`id` must be 1 to 200 characters without spaces",
            ));
        }
    }
    if !input.data.get().trim_start().starts_with('{') {
        return Err(ApiError::invalid("`data` must be a JSON object"));
    }
    let published = store_publish(
        &state.store,
        &org,
        NewEvent {
            id: input.id,
            event_type: input.event_type,
            data: input.data,
            environment: input.environment,
        },
    )
    .await?
    .ok_or_else(|| ApiError::not_found("org"))?;
    if published.created {
        state.metrics.events_ingested.inc();
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"id": published.id, "deliveries": published.deliveries})),
    ))
}
