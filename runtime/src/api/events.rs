//! Publishing events: `POST /v1/orgs/{org}/events` → 202 `{"id", "deliveries"}`;
//! the same `id` again answers the same and enqueues nothing.
//! `POST /v1/orgs/{org}/events/batch` `{"events": [...]}` publishes up to
//! 1,000 in one request → 202 `{"events": [{"id", "deliveries"}, ...]}`, in order.
//! Both apply [`NewEvent::parse`], the rules the ingest stream applies too.

use super::access::{EventsWrite, OrgAccess};
use super::traced::Traced;
use super::{ApiError, AppState, Body};
use crate::event::NewEvent;
use crate::store::events::MAX_BATCH;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tracing::Instrument as _;
use utoipa::ToSchema;

/// An event to publish.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// Your id for it: publishing the same id again is a no-op (1 to 200
    /// characters, no spaces). Generated when absent.
    #[schema(
        example = "order-1042-created",
        min_length = 1,
        max_length = 200,
        pattern = "^\\S+$"
    )]
    id: Option<String>,
    /// The event type, 1 to 200 characters.
    #[serde(rename = "type")]
    #[schema(example = "order.created", min_length = 1, max_length = 200)]
    event_type: String,
    /// The payload: a JSON object.
    #[schema(value_type = Object, example = json!({"order_id": 1042, "total": 99.5}))]
    data: Box<RawValue>,
    /// An environment tag, e.g. `production`.
    #[schema(min_length = 1, max_length = 200)]
    environment: Option<String>,
}

impl EventInput {
    /// The event, checked by [`NewEvent::parse`].
    pub fn parse(self) -> Result<NewEvent, String> {
        NewEvent::parse(self.id, self.event_type, self.data, self.environment)
    }
}

/// An accepted event.
#[derive(Debug, Serialize, ToSchema)]
pub struct Published {
    /// The event id.
    pub id: String,
    /// Deliveries enqueued (by the first publish of this id).
    pub deliveries: u64,
}

/// `POST /v1/orgs/{org}/events/batch` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchInput {
    /// 1 to 1,000 events.
    #[schema(min_items = 1, max_items = 1000)]
    events: Vec<EventInput>,
}

/// The answer to a batch: one entry per event, in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublishedBatch {
    /// One per event, in order.
    pub events: Vec<Published>,
}

/// Publishes an event (idempotent by `id`).
#[utoipa::path(post, path = "/v1/orgs/{org}/events", tag = "events", params(("org" = String, Path)),
    request_body = EventInput,
    responses((status = 202, description = "Stored durably and fanned out", body = Published)))]
pub async fn publish(
    state: AppState,
    traced: Traced,
    access: OrgAccess<EventsWrite>,
    Body(input): Body<EventInput>,
) -> Result<(StatusCode, Json<Published>), ApiError> {
    let span = traced.0.clone();
    let answer = publish_one(state, &traced, access, input)
        .instrument(span)
        .await;
    answered(&traced, &answer);
    answer
}

/// Records the answer on the request's span.
fn answered<T>(traced: &Traced, answer: &Result<(StatusCode, T), ApiError>) {
    match answer {
        Ok((status, _)) => traced.answered(status.as_u16(), None),
        Err(e) => traced.answered(e.status().as_u16(), Some(&e.to_string())),
    }
}

async fn publish_one(
    state: AppState,
    traced: &Traced,
    access: OrgAccess<EventsWrite>,
    input: EventInput,
) -> Result<(StatusCode, Json<Published>), ApiError> {
    let mut event = input.parse().map_err(ApiError::invalid)?;
    event.traceparent = traced.traceparent();
    let span = &traced.0;
    span.record("herald.org", access.org.as_str());
    span.record("herald.event.type", event.event_type.as_str());
    let published = state
        .store
        .publish(&access.org, event)
        .await?
        .ok_or_else(|| ApiError::not_found("org"))?;
    if published.created {
        state.metrics.events_ingested.inc();
    }
    span.record("herald.event.id", published.id.as_str());
    span.record("herald.deliveries", published.deliveries);
    Ok((
        StatusCode::ACCEPTED,
        Json(Published {
            id: published.id,
            deliveries: published.deliveries,
        }),
    ))
}

/// Publishes up to 1,000 events in one request: every event is validated
/// before any is stored (an error names the first bad one by index), then
/// all are stored in one round trip, each atomically and idempotently.
#[utoipa::path(post, path = "/v1/orgs/{org}/events/batch", tag = "events", params(("org" = String, Path)),
    request_body = BatchInput,
    responses((status = 202, description = "Every event stored and fanned out", body = PublishedBatch)))]
pub async fn publish_batch(
    state: AppState,
    traced: Traced,
    access: OrgAccess<EventsWrite>,
    Body(input): Body<BatchInput>,
) -> Result<(StatusCode, Json<PublishedBatch>), ApiError> {
    let span = traced.0.clone();
    let answer = publish_many(state, &traced, access, input)
        .instrument(span)
        .await;
    answered(&traced, &answer);
    answer
}

async fn publish_many(
    state: AppState,
    traced: &Traced,
    access: OrgAccess<EventsWrite>,
    input: BatchInput,
) -> Result<(StatusCode, Json<PublishedBatch>), ApiError> {
    if input.events.is_empty() || input.events.len() > MAX_BATCH {
        return Err(ApiError::invalid(format!(
            "`events` must hold 1 to {MAX_BATCH} events (it holds {}); split larger batches",
            input.events.len()
        )));
    }
    let traceparent = traced.traceparent();
    let events = input
        .events
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let mut event = e
                .parse()
                .map_err(|m| ApiError::invalid(format!("events[{i}]: {m}")))?;
            event.traceparent.clone_from(&traceparent);
            Ok(event)
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    traced.0.record("herald.org", access.org.as_str());
    traced.0.record("herald.events", events.len());
    let published = state
        .store
        .publish_batch(&access.org, events)
        .await?
        .ok_or_else(|| ApiError::not_found("org"))?;
    let created = published.iter().filter(|p| p.created).count();
    state.metrics.events_ingested.inc_by(created as u64);
    let events = published
        .into_iter()
        .map(|p| Published {
            id: p.id,
            deliveries: p.deliveries,
        })
        .collect();
    Ok((StatusCode::ACCEPTED, Json(PublishedBatch { events })))
}
