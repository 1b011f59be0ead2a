//! Dry runs: `POST /v1/orgs/{org}/webhooks/{id}/dry-run` runs events
//! through a webhook exactly as a delivery would (trigger filters, filter
//! plugins, transforms, headers and signature) and answers, per event,
//! whether it would be sent and what: the headers (credentials masked) and
//! the exact body, with the plugins' log lines and time. It sends nothing
//! and writes nothing: the way to check a new transform before turning a
//! webhook on.

use super::super::access::{OrgAccess, WebhooksWrite};
use super::super::events::EventInput;
use super::super::{ApiError, AppState, Body, Path};
use super::owned;
use crate::attempt::{self, Filters, Stage};
use crate::event::Event;
use crate::model::{DeliveryStatus, PluginLogLine};
use crate::store::deliveries::LogRange;
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Most events one dry run takes.
pub const MAX_EVENTS: usize = 100;

/// Dry-run body: `events`, or `recent` (one of the two).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DryRunInput {
    /// Events to run through the webhook (1 to 100), as they would be published.
    #[schema(max_items = 100)]
    events: Option<Vec<EventInput>>,
    /// Or: the webhook's last N events that are still stored (1 to 100).
    #[schema(minimum = 1, maximum = 100)]
    recent: Option<usize>,
}

/// What a delivery of one event would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DryRunOutcome {
    /// It would be sent (see `request`).
    Send,
    /// A trigger filter or a filter plugin would drop it (see `reason`).
    Filtered,
    /// A plugin would fail (see `reason`): the delivery would be retried.
    Failed,
}

/// The request a delivery would send.
#[derive(Debug, Serialize, ToSchema)]
pub struct DryRunRequest {
    /// The receiver URL.
    pub url: String,
    /// Every header, credentials masked.
    pub headers: BTreeMap<String, String>,
    /// The exact body (lossy UTF-8).
    pub body: String,
}

/// One event's dry run.
#[derive(Debug, Serialize, ToSchema)]
pub struct DryRunItem {
    /// The event id.
    pub event_id: String,
    /// The event type.
    pub event_type: String,
    /// What a delivery would do.
    pub result: DryRunOutcome,
    /// Why it would be dropped or fail.
    pub reason: Option<String>,
    /// What would be sent (`result` = `send`).
    pub request: Option<DryRunRequest>,
    /// Lines the plugins logged.
    pub plugin_logs: Vec<PluginLogLine>,
    /// Time in plugins, when the webhook has any.
    pub plugins_ms: Option<f64>,
}

/// A dry run's answer, one item per event, in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct DryRun {
    /// The events' results.
    pub items: Vec<DryRunItem>,
}

/// Runs events through a webhook as a delivery would, sending nothing.
#[utoipa::path(post, path = "/v1/orgs/{org}/webhooks/{id}/dry-run", tag = "webhooks",
    params(("org" = String, Path), ("id" = String, Path)),
    request_body = DryRunInput,
    responses((status = 200, description = "What each event's delivery would do", body = DryRun)))]
pub async fn dry_run(
    state: AppState,
    access: OrgAccess<WebhooksWrite>,
    Path((_, id)): Path<(String, String)>,
    Body(input): Body<DryRunInput>,
) -> Result<Json<DryRun>, ApiError> {
    let w = owned(&state, &access.org, &id).await?;
    let events = match (input.events, input.recent) {
        (Some(events), None) if (1..=MAX_EVENTS).contains(&events.len()) => {
            let mut out = Vec::with_capacity(events.len());
            for (i, e) in events.into_iter().enumerate() {
                let e = e
                    .parse()
                    .map_err(|m| ApiError::invalid(format!("`events[{i}]`: {m}")))?;
                out.push(Event {
                    id: e.id.unwrap_or_else(|| crate::id::new_id("evt_dry")),
                    event_type: e.event_type,
                    timestamp: crate::clock::now_rfc3339(),
                    org: access.org.clone(),
                    environment: e.environment,
                    data: e.data,
                    traceparent: None,
                });
            }
            out
        }
        (None, Some(n)) if (1..=MAX_EVENTS).contains(&n) => recent(&state, &access.org, &id, n).await?,
        _ => {
            return Err(ApiError::invalid(format!(
                "send either `events` (1 to {MAX_EVENTS} events) or `recent` (1 to {MAX_EVENTS}), not both"
            )))
        }
    };
    let mut items = Vec::with_capacity(events.len());
    for event in &events {
        let stage = attempt::prepare(&state, &w, event, "msg_dry_run", 1, Filters::Apply).await;
        let (result, reason, request, plugin_logs, plugins_ms) = match stage {
            Stage::Filtered(reason) => (
                DryRunOutcome::Filtered,
                Some(reason),
                None,
                Vec::new(),
                None,
            ),
            Stage::PluginFailed {
                message,
                logs,
                plugins_ms,
                ..
            } => (
                DryRunOutcome::Failed,
                Some(message),
                None,
                logs,
                Some(plugins_ms),
            ),
            Stage::Ready(ready) => (
                DryRunOutcome::Send,
                None,
                Some(DryRunRequest {
                    url: w.url.clone(),
                    headers: attempt::masked_headers(&ready.headers, &w),
                    body: String::from_utf8_lossy(&ready.body).into_owned(),
                }),
                ready.logs,
                ready.plugins_ms,
            ),
        };
        items.push(DryRunItem {
            event_id: event.id.clone(),
            event_type: event.event_type.clone(),
            result,
            reason,
            request,
            plugin_logs,
            plugins_ms,
        });
    }
    Ok(Json(DryRun { items }))
}

/// The webhook's last `n` events still stored, newest first (from its log).
async fn recent(
    state: &AppState,
    org: &str,
    webhook: &str,
    n: usize,
) -> Result<Vec<Event>, ApiError> {
    let (deliveries, _) = state
        .store
        .delivery_page(
            org,
            webhook,
            None::<DeliveryStatus>,
            LogRange::default(),
            None,
            n,
        )
        .await?;
    let mut events = Vec::with_capacity(deliveries.len());
    for d in deliveries {
        if let Some(json) = state.store.event_json(org, &d.event_id).await? {
            if let Ok(event) = serde_json::from_str::<Event>(&json) {
                events.push(event);
            }
        }
    }
    Ok(events)
}
