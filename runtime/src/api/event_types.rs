//! The event-type catalogue: what each event means, a sample payload, and
//! which paths filters may use. Once the catalogue has entries, webhooks may
//! only subscribe to catalogued types, and their filters may only use a
//! type's `filterable` paths (when it lists any). A type may declare
//! versions ([`EventVersion`]), which webhooks pin in their triggers.

use super::access::{AnyCaller, Operator};
use super::audit::record as audit;
use super::page::Page;
use super::{ApiError, AppState, Body, Path};
pub use crate::model::{EventType, EventVersion};
use axum::Json;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use utoipa::ToSchema;

/// `PUT` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventTypeInput {
    /// What it means.
    #[schema(max_length = 4096)]
    description: String,
    /// A sample `data` payload, a JSON object (shown to webhook owners, used
    /// by test sends); `{}` when left out.
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    example: Value,
    /// Dotted paths filters may use (empty: any).
    #[serde(default)]
    #[schema(example = json!(["data.order.status"]))]
    filterable: Vec<String>,
    /// The versions of its `data`, oldest first (events are published in
    /// the last); each but the first names the transform plugin that
    /// converts it to the one before. Left out or empty: not versioned.
    #[serde(default)]
    versions: Vec<EventVersion>,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

/// Creates or replaces a catalogue entry.
#[utoipa::path(put, path = "/v1/event-types/{type}", tag = "event-types",
    params(("type" = String, Path, description = "The event type, e.g. order.created")),
    request_body = EventTypeInput, responses((status = 200, description = "The entry", body = EventType)))]
pub async fn put(
    state: AppState,
    _: Operator,
    Path(event_type): Path<String>,
    Body(body): Body<EventTypeInput>,
) -> Result<Json<EventType>, ApiError> {
    if event_type.trim().is_empty()
        || event_type.len() > crate::event::MAX_NAME
        || event_type.chars().any(char::is_control)
    {
        return Err(ApiError::invalid(
            "the type must be 1 to 200 printable characters, e.g. order.created",
        ));
    }
    if crate::operational::is_own(&event_type) {
        return Err(ApiError::invalid(
            "types starting with `herald.` are Herald's own operational events, always in the catalogue",
        ));
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
    crate::model::rules::description(&body.description).map_err(ApiError::invalid)?;
    if !body.example.is_object() {
        return Err(ApiError::invalid(
            "`example` must be a JSON object (a sample `data`)",
        ));
    }
    crate::model::event_type::versions(&body.versions).map_err(ApiError::invalid)?;
    for (i, v) in body.versions.iter().enumerate() {
        if let Some(downgrade) = &v.downgrade {
            let field = format!("versions[{i}].downgrade");
            super::plugins::check_use(&state, downgrade, crate::plugin::World::Transform, &field)
                .await?;
        }
    }
    // A versioned type's sample is its newest version's, unless given.
    let example = match body.versions.last() {
        Some(newest) if body.example.as_object().is_some_and(|o| o.is_empty()) => {
            newest.example.clone()
        }
        _ => body.example,
    };
    let entry = EventType {
        event_type: event_type.clone(),
        description: body.description,
        example,
        filterable: body.filterable,
        versions: body.versions,
        builtin: false,
    };
    let before: Option<EventType> = state
        .store
        .event_types::<EventType>()
        .await?
        .remove(&event_type);
    state.store.put_event_type(&event_type, &entry).await?;
    audit::change(
        &event_type,
        before.as_ref().and_then(audit::shown),
        audit::shown(&entry),
    );
    Ok(Json(entry))
}

/// The operator's catalogue, by type (Herald's own types are not in it:
/// see [`builtins`]).
pub async fn catalogue(state: &AppState) -> Result<HashMap<String, EventType>, ApiError> {
    Ok(state.store.event_types().await?)
}

/// Herald's own operational types, as catalogue entries.
pub fn builtins() -> impl Iterator<Item = EventType> {
    crate::operational::catalogue()
        .into_iter()
        .map(|(event_type, description, example)| EventType {
            event_type: event_type.to_string(),
            description: description.to_string(),
            example,
            filterable: Vec::new(),
            versions: Vec::new(),
            builtin: true,
        })
}

/// Lists the catalogue (any key): the operator's entries by type, then
/// Herald's own operational types (`builtin`).
#[utoipa::path(get, path = "/v1/event-types", tag = "event-types",
    responses((status = 200, description = "The operator's entries by type, then Herald's own operational types (`builtin`)", body = Page<EventType>)))]
pub async fn list(state: AppState, _: AnyCaller) -> Result<Json<Page<EventType>>, ApiError> {
    let mut items: Vec<EventType> = catalogue(&state).await?.into_values().collect();
    items.sort_by(|a, b| a.event_type.cmp(&b.event_type));
    let mut own: Vec<EventType> = builtins().collect();
    own.sort_by(|a, b| a.event_type.cmp(&b.event_type));
    items.extend(own);
    Ok(Json(Page::all(items)))
}
