//! Organizations (tenants): the operator creates, lists, reads, changes
//! (name, auto-disable rule) and deletes them; deleting one deletes its
//! webhooks, keys, events and logs.

use super::access::{Member, Operator, OrgAccess};
use super::audit::record as audit;
use super::page::{Page, PageQuery};
use super::{ApiError, AppState, Body, Query};
use crate::model::{AutoDisable, Org};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

/// `POST /v1/orgs` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrg {
    /// Display name, 1 to 200 characters.
    #[schema(example = "Acme", min_length = 1, max_length = 200)]
    pub name: String,
}

/// Creates an org.
#[utoipa::path(post, path = "/v1/orgs", tag = "orgs", request_body = NewOrg,
    responses((status = 201, description = "Created", body = Org)))]
pub async fn create(
    state: AppState,
    _: Operator,
    Body(body): Body<NewOrg>,
) -> Result<(StatusCode, Json<Org>), ApiError> {
    crate::model::rules::name(&body.name).map_err(ApiError::invalid)?;
    let org = Org {
        id: crate::id::new_id("org"),
        name: body.name.trim().to_string(),
        auto_disable: None,
        created_at: crate::clock::now_rfc3339(),
    };
    state.store.create_org(&org).await?;
    audit::org(&org.id);
    audit::change(&org.id, None, audit::shown(&org));
    Ok((StatusCode::CREATED, Json(org)))
}

/// Lists orgs, newest first.
#[utoipa::path(get, path = "/v1/orgs", tag = "orgs", params(PageQuery),
    responses((status = 200, description = "A page of orgs", body = Page<Org>)))]
pub async fn list(
    state: AppState,
    _: Operator,
    Query(q): Query<PageQuery>,
) -> Result<Json<Page<Org>>, ApiError> {
    let (orgs, next) = state
        .store
        .org_page(q.cursor()?.as_ref(), q.limit()?)
        .await?;
    Ok(Json(Page::new(orgs, next)))
}

/// Reads an org (the operator, or any key of that org).
#[utoipa::path(get, path = "/v1/orgs/{org}", tag = "orgs", params(("org" = String, Path)),
    responses((status = 200, description = "The org", body = Org)))]
pub async fn read(state: AppState, access: OrgAccess<Member>) -> Result<Json<Org>, ApiError> {
    require(&state, &access.org).await.map(Json)
}

/// `PATCH /v1/orgs/{org}` body: any subset.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgInput {
    /// Display name, 1 to 200 characters.
    #[schema(example = "Acme", min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// When its webhooks are deactivated for failing, unless a webhook sets
    /// its own; `null` goes back to the defaults (1000 dead deliveries in a
    /// row, or no success for 5 days with at least 20 failed attempts).
    #[serde(default, deserialize_with = "super::webhooks::input::present")]
    #[schema(value_type = Option<AutoDisable>, nullable)]
    pub auto_disable: Option<Option<AutoDisable>>,
}

/// Changes an org's name or auto-disable rule (the operator).
#[utoipa::path(patch, path = "/v1/orgs/{org}", tag = "orgs", params(("org" = String, Path)),
    request_body = OrgInput,
    responses((status = 200, description = "The org as changed", body = Org)))]
pub async fn update(
    state: AppState,
    _: Operator,
    access: OrgAccess<Member>,
    Body(body): Body<OrgInput>,
) -> Result<Json<Org>, ApiError> {
    let mut org = require(&state, &access.org).await?;
    let before = audit::shown(&org);
    if let Some(name) = body.name {
        crate::model::rules::name(&name).map_err(ApiError::invalid)?;
        org.name = name.trim().to_string();
    }
    if let Some(rule) = body.auto_disable {
        if let Some(rule) = &rule {
            rule.check().map_err(ApiError::invalid)?;
        }
        org.auto_disable = rule;
    }
    state.store.put_org(&org).await?;
    audit::change(&org.id, before, audit::shown(&org));
    Ok(Json(org))
}

/// Deletes an org with its webhooks, keys, events and logs.
#[utoipa::path(delete, path = "/v1/orgs/{org}", tag = "orgs", params(("org" = String, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(
    state: AppState,
    _: Operator,
    access: OrgAccess<Member>,
) -> Result<StatusCode, ApiError> {
    let org = require(&state, &access.org).await?;
    state.store.delete_org(&access.org).await?;
    audit::change(&org.id, audit::shown(&org), None);
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
