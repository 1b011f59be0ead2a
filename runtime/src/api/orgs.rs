//! Organizations (tenants): created and read by the operator.

use super::{ApiError, AppState, Body, Caller};
use crate::ingest::new_id;
use crate::model::Org;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

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
    _caller: Caller,
    Body(body): Body<NewOrg>,
) -> Result<(StatusCode, Json<Org>), ApiError> {
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

/// Reads an org.
pub async fn read(
    state: AppState,
    _caller: Caller,
    Path(org): Path<String>,
) -> Result<Json<Org>, ApiError> {
    state
        .store
        .org(&org)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("org"))
}

/// The org, or 404.
pub async fn require(state: &AppState, org: &str) -> Result<Org, ApiError> {
    state
        .store
        .org(org)
        .await?
        .ok_or_else(|| ApiError::not_found("org"))
}
