//! Test sends: an event delivered to one webhook now, outside the queue
//! (also to an inactive webhook), answering the attempt. Transforms run;
//! trigger filters and filter plugins run only with `apply_filters`, and
//! the answer says whether they did.

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
    /// Run the webhook's trigger filters and filter plugins too, as a real
    /// delivery would (default `false`: a test send checks the receiver, so
    /// only transforms run and the event is sent even where a filter would
    /// drop it).
    apply_filters: Option<bool>,
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
    /// Whether trigger filters and filter plugins ran (`apply_filters`);
    /// transforms always run.
    pub filters_applied: bool,
    /// Why it was not sent, when a filter or transform dropped it.
    pub filtered_reason: Option<String>,
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
        traceparent: None,
    };
    let msg_id = crate::id::new_id("msg_test");
    let filters_applied = input.apply_filters.unwrap_or(false);
    let filters = if filters_applied {
        Filters::Apply
    } else {
        Filters::Skip
    };
    let (attempt, result) = attempt::run(&state, &w, &event, &msg_id, 1, filters).await;
    let (result, filtered_reason) = match result {
        attempt::Ending::Delivered => (TestOutcome::Delivered, None),
        attempt::Ending::Filtered(reason) => (TestOutcome::Filtered, Some(reason)),
        attempt::Ending::Failed { .. } => (TestOutcome::Failed, None),
    };
    Ok(axum::Json(TestResult {
        result,
        event_id: event.id,
        webhook_id_header: msg_id,
        filters_applied,
        filtered_reason,
        attempt,
    }))
}
