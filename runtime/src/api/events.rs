//! Publishing events: `POST /v1/orgs/{org}/events` → 202 `{"id", "deliveries"}`;
//! the same `id` again answers the same and enqueues nothing.
//! `POST /v1/orgs/{org}/events/batch` `{"events": [...]}` publishes up to
//! 1,000 in one request → 202 `{"events": [{"id", "deliveries"}, ...]}`, in order.

use super::{ApiError, AppState, Body, Caller, Permission};
use crate::ingest::{
    publish as store_publish, publish_batch as store_publish_batch, NewEvent, MAX_BATCH,
};
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
    let event = input.validate().map_err(ApiError::invalid)?;
    let published = store_publish(&state.store, &org, event)
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

/// `POST /v1/orgs/{org}/events/batch`: up to [`MAX_BATCH`] events in one request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchInput {
    events: Vec<EventInput>,
}

/// Publishes a batch: every event is validated before any is stored (an
/// error names the first bad one by index), then all are stored in one
/// round trip, each atomically and idempotently on its own.
pub async fn publish_batch(
    state: AppState,
    caller: Caller,
    Path(org): Path<String>,
    Body(input): Body<BatchInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.allow(&org, Permission::EventsWrite)?;
    if input.events.is_empty() || input.events.len() > MAX_BATCH {
        return Err(ApiError::invalid(format!(
            "`events` must hold 1 to {MAX_BATCH} events (it holds {}); split larger batches",
            input.events.len()
        )));
    }
    let events = input
        .events
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            e.validate()
                .map_err(|m| ApiError::invalid(format!("events[{i}]: {m}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let published = store_publish_batch(&state.store, &org, events)
        .await?
        .ok_or_else(|| ApiError::not_found("org"))?;
    let created = published.iter().filter(|p| p.created).count();
    state.metrics.events_ingested.inc_by(created as u64);
    let events: Vec<Value> = published
        .iter()
        .map(|p| json!({"id": p.id, "deliveries": p.deliveries}))
        .collect();
    Ok((StatusCode::ACCEPTED, Json(json!({ "events": events }))))
}

impl EventInput {
    /// Checks the fields; the message says what to fix.
    fn validate(self) -> Result<NewEvent, String> {
        if self.event_type.trim().is_empty() || self.event_type.len() > 200 {
            return Err("`type` must be 1 to 200 characters, e.g. \"order.created\"".into());
        }
        if let Some(id) = &self.id {
            if id.is_empty() || id.len() > 200 || id.contains(char::is_whitespace) {
                return Err("`id` must be 1 to 200 characters without spaces".into());
            }
        }
        if !self.data.get().trim_start().starts_with('{') {
            return Err("`data` must be a JSON object".into());
        }
        Ok(NewEvent {
            id: self.id,
            event_type: self.event_type,
            data: self.data,
            environment: self.environment,
        })
    }
}
