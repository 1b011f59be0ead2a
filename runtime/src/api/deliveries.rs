//! The delivery log: a webhook's deliveries (newest first, by status, with
//! a cursor), one delivery with its payload and every attempt, retrying
//! one now, and replaying a webhook's failed or dead deliveries.

use super::access::{LogsRead, OrgAccess, WebhooksWrite};
use super::page::{Page, PageQuery};
use super::webhooks::owned;
use super::{ApiError, AppState, Body, Path, Query};
use crate::clock::parse_rfc3339_ms;
use crate::model::{Attempt, Delivery, DeliveryStatus};
use crate::store::deliveries::LogRange;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

/// List query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only deliveries with this status.
    status: Option<DeliveryStatus>,
    /// Only deliveries created at or after this time (RFC 3339).
    #[param(example = "2026-01-31T00:00:00Z")]
    since: Option<String>,
    /// Only deliveries created at or before this time (RFC 3339).
    #[param(example = "2026-01-31T23:59:59Z")]
    until: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^-?[0-9]{1,18}:.+$")]
    cursor: Option<String>,
}

/// A delivery with its payload and every attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryDetail {
    /// The delivery.
    #[serde(flatten)]
    pub delivery: Delivery,
    /// The body Herald sends by default (`null` once the event expired).
    #[schema(value_type = Option<Object>)]
    pub payload: Option<Value>,
    /// Every attempt, oldest first.
    pub attempts: Vec<Attempt>,
}

/// A delivery queued again.
#[derive(Debug, Serialize, ToSchema)]
pub struct Requeued {
    /// The delivery.
    pub id: String,
    /// Always `pending`.
    pub status: DeliveryStatus,
}

/// Which deliveries to replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReplayStatus {
    /// Failed, with a retry scheduled.
    Failed,
    /// Dead (every attempt failed).
    Dead,
}

/// Replay body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayInput {
    /// Deliveries created at or after this time (RFC 3339).
    #[schema(example = "2026-01-31T00:00:00Z")]
    since: String,
    /// Which ones.
    status: ReplayStatus,
}

/// How many were queued.
#[derive(Debug, Serialize, ToSchema)]
pub struct Replayed {
    /// Deliveries queued again.
    pub queued: usize,
}

/// A webhook's deliveries, newest first.
#[utoipa::path(get, path = "/v1/orgs/{org}/webhooks/{id}/deliveries", tag = "deliveries",
    params(("org" = String, Path), ("id" = String, Path, description = "The webhook"), ListQuery),
    responses((status = 200, description = "A page of deliveries", body = Page<Delivery>)))]
pub async fn list(
    state: AppState,
    access: OrgAccess<LogsRead>,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Page<Delivery>>, ApiError> {
    let paging = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    let (limit, cursor) = (paging.limit()?, paging.cursor()?);
    let time = |name: &str, t: &Option<String>| {
        t.as_deref()
            .map(|t| parse_rfc3339_ms(t).map_err(|e| ApiError::invalid(format!("`{name}`: {e}"))))
            .transpose()
    };
    let range = LogRange {
        since_ms: time("since", &q.since)?,
        until_ms: time("until", &q.until)?,
    };
    owned(&state, &access.org, &id).await?;
    let (items, next) = state
        .store
        .delivery_page(&access.org, &id, q.status, range, cursor, limit)
        .await?;
    Ok(Json(Page::new(items, next)))
}

async fn delivery(state: &AppState, org: &str, id: &str) -> Result<Delivery, ApiError> {
    state
        .store
        .delivery(org, id)
        .await?
        .filter(|d| d.org == org)
        .ok_or_else(|| ApiError::not_found("delivery"))
}

/// One delivery with its payload and attempts.
#[utoipa::path(get, path = "/v1/orgs/{org}/deliveries/{id}", tag = "deliveries",
    params(("org" = String, Path), ("id" = String, Path)),
    responses((status = 200, description = "The delivery", body = DeliveryDetail)))]
pub async fn read(
    state: AppState,
    access: OrgAccess<LogsRead>,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<DeliveryDetail>, ApiError> {
    let d = delivery(&state, &access.org, &id).await?;
    let attempts = state.store.attempts(&access.org, &id).await?;
    let event = state.store.event_json(&access.org, &d.event_id).await?;
    let payload = event
        .and_then(|j| serde_json::from_str::<crate::event::Event>(&j).ok())
        .and_then(|e| serde_json::from_slice::<Value>(&e.payload()).ok());
    Ok(Json(DeliveryDetail {
        delivery: d,
        payload,
        attempts,
    }))
}

/// Attempts a delivery again now (409 while it is pending).
#[utoipa::path(post, path = "/v1/orgs/{org}/deliveries/{id}/retry", tag = "deliveries",
    params(("org" = String, Path), ("id" = String, Path)),
    responses((status = 200, description = "Queued", body = Requeued),
              (status = 409, description = "It is pending already", body = super::ErrorBody)))]
pub async fn retry(
    state: AppState,
    access: OrgAccess<WebhooksWrite>,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<Requeued>, ApiError> {
    let d = delivery(&state, &access.org, &id).await?;
    if !state.store.requeue(&access.org, &d.webhook_id, &id).await? {
        return Err(ApiError::conflict(
            "the delivery is pending (queued or in flight); it will be attempted anyway",
        ));
    }
    Ok(Json(Requeued {
        id,
        status: DeliveryStatus::Pending,
    }))
}

/// Re-queues a webhook's `failed` or `dead` deliveries created since a time.
#[utoipa::path(post, path = "/v1/orgs/{org}/webhooks/{id}/replay", tag = "deliveries",
    params(("org" = String, Path), ("id" = String, Path, description = "The webhook")),
    request_body = ReplayInput, responses((status = 200, description = "Queued", body = Replayed)))]
pub async fn replay(
    state: AppState,
    access: OrgAccess<WebhooksWrite>,
    Path((_, id)): Path<(String, String)>,
    Body(input): Body<ReplayInput>,
) -> Result<Json<Replayed>, ApiError> {
    owned(&state, &access.org, &id).await?;
    let since_ms = crate::clock::parse_rfc3339_ms(&input.since)
        .map_err(|e| ApiError::invalid(format!("`since`: {e}")))?;
    let status = match input.status {
        ReplayStatus::Failed => DeliveryStatus::Failed,
        ReplayStatus::Dead => DeliveryStatus::Dead,
    };
    let queued = state
        .store
        .replay(&access.org, &id, since_ms, status)
        .await?;
    Ok(Json(Replayed { queued }))
}
