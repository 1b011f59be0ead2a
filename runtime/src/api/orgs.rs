//! Organizations (tenants): the operator creates, lists, reads and deletes
//! them; deleting one deletes its webhooks, keys, events and logs.

use super::page::{page, PageQuery};
use super::{ApiError, AppState, Body, Caller};
use crate::ingest::new_id;
use crate::model::Org;
use crate::store::keys;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

/// `POST /v1/orgs` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrg {
    /// Display name.
    pub name: String,
}

/// Creates an org.
pub async fn create(
    state: AppState,
    caller: Caller,
    Body(body): Body<NewOrg>,
) -> Result<(StatusCode, Json<Org>), ApiError> {
    caller.operator()?;
    let name = body.name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(ApiError::invalid("`name` must be 1 to 200 characters"));
    }
    let org = Org {
        id: new_id("org"),
        name: name.to_string(),
        created_at: crate::event::now_rfc3339(),
    };
    state.store.create_org(&org).await?;
    Ok((StatusCode::CREATED, Json(org)))
}

/// Lists orgs, newest first.
pub async fn list(
    state: AppState,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.operator()?;
    let (ids, next_cursor) = page(&state.store, keys::ORGS, &q).await?;
    let mut items = Vec::new();
    for id in ids {
        if let Some(org) = state.store.org(&id).await? {
            items.push(org);
        }
    }
    Ok(Json(json!({"items": items, "next_cursor": next_cursor})))
}

/// Reads an org (the operator, or a key of that org).
pub async fn read(
    state: AppState,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<Json<Org>, ApiError> {
    if let Caller::Key { org: own, .. } = &caller {
        if own != &org {
            return Err(ApiError::not_found("org"));
        }
    }
    state
        .store
        .org(&org)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("org"))
}

/// Deletes an org with its webhooks, keys, events and logs.
pub async fn delete(
    state: AppState,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.operator()?;
    require(&state, &org).await?;
    state.store.delete_org(&org).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The org, or 404.
pub async fn require(state: &AppState, org: &str) -> Result<Org, ApiError> {
    state
        .store
        .org(org)
        .await?
        .ok_or_else(|| ApiError::not_found("org"))
}
