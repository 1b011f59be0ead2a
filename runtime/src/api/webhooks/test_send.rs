//! Test sends: an event delivered to one webhook now, outside the queue
//! (also to an inactive webhook; native and plugin filters do not apply,
//! transforms do), answering the attempt.

use super::super::access::{OrgAccess, WebhooksWrite};
use super::super::{ApiError, AppState, OptionalBody, Path};
use super::owned;
use crate::attempt::{self, Filters};
use crate::model::Attempt;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

/// Test body (optional).
#[derive(Debug, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestInput {
    /// The event type (default: the webhook's first trigger).
    #[serde(rename = "type")]
    event_type: Option<String>,
    /// The payload (default: the catalogue's example, or `{"test": true}`).
    #[schema(value_type = Option<Object>)]
    data: Option<Value>,
}

/// How a test send ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TestOutcome {
    /// The receiver answered 2xx.
    Delivered,
    /// A transform plugin dropped it.
    Filtered,
    /// The attempt failed (see `attempt.error`).
    Failed,
}

/// The result of a test send.
#[derive(Debug, Serialize, ToSchema)]
pub struct TestResult {
    /// How it ended.
    pub result: TestOutcome,
    /// The test event's id.
    pub event_id: String,
    /// The `webhook-id` header it carried.
    pub webhook_id_header: String,
    /// The attempt (`null` when nothing was sent).
    pub attempt: Option<Attempt>,
}

/// Sends a test event now.
#[utoipa::path(post, path = "/v1/orgs/{org}/webhooks/{id}/test", tag = "webhooks",
    params(("org" = String, Path), ("id" = String, Path)),
    request_body(content = Option<TestInput>, description = "Optional"),
    responses((status = 200, description = "The attempt", body = TestResult)))]
pub async fn test(
    state: AppState,
    access: OrgAccess<WebhooksWrite>,
    Path((_, id)): Path<(String, String)>,
    OptionalBody(input): OptionalBody<TestInput>,
) -> Result<axum::Json<TestResult>, ApiError> {
    let input = input.unwrap_or_default();
    let w = owned(&state, &access.org, &id).await?;
    if let Some(t) = &input.event_type {
        if t.trim().is_empty() || t.len() > crate::event::MAX_NAME {
            return Err(ApiError::invalid("`type` must be 1 to 200 characters"));
        }
    }
    let event_type = input
        .event_type
        .or_else(|| w.triggers.first().map(|t| t.event.clone()))
        .unwrap_or_else(|| "herald.test".into());
    let data = match input.data {
        Some(d) if d.is_object() => d,
        Some(_) => return Err(ApiError::invalid("`data` must be a JSON object")),
        None => super::super::event_types::catalogue(&state)
            .await?
            .get(&event_type)
            .map(|e| e.example.clone())
            .filter(Value::is_object)
            .unwrap_or_else(|| json!({"test": true})),
    };
    let event = crate::event::Event {
        id: crate::id::new_id("evt_test"),
        event_type,
        timestamp: crate::clock::now_rfc3339(),
        org: access.org.clone(),
        environment: None,
        data: serde_json::value::to_raw_value(&data).map_err(ApiError::internal)?,
    };
    let msg_id = crate::id::new_id("msg_test");
    let (attempt, result) = attempt::run(&state, &w, &event, &msg_id, 1, Filters::Skip).await;
    let result = match result {
        attempt::Ending::Delivered => TestOutcome::Delivered,
        attempt::Ending::Filtered(_) => TestOutcome::Filtered,
        attempt::Ending::Failed { .. } => TestOutcome::Failed,
    };
    Ok(axum::Json(TestResult {
        result,
        event_id: event.id,
        webhook_id_header: msg_id,
        attempt,
    }))
}
