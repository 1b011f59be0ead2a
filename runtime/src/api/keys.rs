//! An org's API keys: created with permissions (the key is shown once and
//! stored hashed), listed without secrets, revoked. A key holding
//! `keys:write` may manage its org's keys but never grant more than it has.

use super::access::{hash_key, Caller, KeysWrite, OrgAccess, Permission, StoredKey};
use super::audit::record as audit;
use super::orgs::require;
use super::page::{Page, PageQuery};
use super::{ApiError, AppState, Body, Path, Query};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Create body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// Display name.
    #[schema(example = "billing backend", min_length = 1, max_length = 200)]
    name: String,
    /// What the key may do (at least one).
    #[schema(min_items = 1)]
    permissions: Vec<Permission>,
}

/// A key as listed (no secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKey {
    /// The key id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// What it may do.
    pub permissions: Vec<Permission>,
    /// RFC 3339.
    pub created_at: String,
}

/// A key just created: the only time `key` is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKey {
    /// The key id.
    pub id: String,
    /// The key itself (`hk_…`), for `Authorization: Bearer`.
    pub key: String,
    /// Display name.
    pub name: String,
    /// What it may do.
    pub permissions: Vec<Permission>,
    /// RFC 3339.
    pub created_at: String,
}

impl From<StoredKey> for ApiKey {
    fn from(k: StoredKey) -> Self {
        ApiKey {
            id: k.id,
            name: k.name,
            permissions: k.permissions,
            created_at: k.created_at,
        }
    }
}

/// Creates a key.
#[utoipa::path(post, path = "/v1/orgs/{org}/api-keys", tag = "keys", params(("org" = String, Path)),
    request_body = NewKey, responses((status = 201, description = "Created; `key` is shown only now", body = CreatedKey)))]
pub async fn create(
    state: AppState,
    access: OrgAccess<KeysWrite>,
    Body(body): Body<NewKey>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    crate::model::rules::name(&body.name).map_err(ApiError::invalid)?;
    if body.permissions.is_empty() {
        return Err(ApiError::invalid("`permissions` must list at least one of webhooks:read, webhooks:write, events:write, logs:read, keys:write"));
    }
    if let Caller::Key { permissions, .. } = &access.caller {
        if let Some(p) = body.permissions.iter().find(|p| !permissions.contains(p)) {
            return Err(ApiError::forbidden(format!(
                "a key cannot grant `{}`, which it does not hold",
                p.as_str()
            )));
        }
    }
    require(&state, &access.org).await?;
    let id = crate::id::new_id("key").replace('_', "");
    let secret: [u8; 24] = rand::random();
    let key = format!("hk_{id}_{}", hex::encode(secret));
    let stored = StoredKey {
        id: id.clone(),
        org: access.org.clone(),
        name: body.name,
        permissions: body.permissions,
        sha256: hash_key(&key),
        created_at: crate::clock::now_rfc3339(),
    };
    state.store.put_api_key(&access.org, &id, &stored).await?;
    audit::change(&id, None, audit::shown(&ApiKey::from(stored.clone())));
    Ok((
        StatusCode::CREATED,
        Json(CreatedKey {
            id,
            key,
            name: stored.name,
            permissions: stored.permissions,
            created_at: stored.created_at,
        }),
    ))
}

/// Lists the org's keys (no secrets).
#[utoipa::path(get, path = "/v1/orgs/{org}/api-keys", tag = "keys", params(("org" = String, Path), PageQuery),
    responses((status = 200, description = "A page of keys", body = Page<ApiKey>)))]
pub async fn list(
    state: AppState,
    access: OrgAccess<KeysWrite>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Page<ApiKey>>, ApiError> {
    require(&state, &access.org).await?;
    let (keys, next) = state
        .store
        .api_key_page::<StoredKey>(&access.org, q.cursor()?.as_ref(), q.limit()?)
        .await?;
    Ok(Json(Page::new(
        keys.into_iter().map(ApiKey::from).collect(),
        next,
    )))
}

/// Revokes a key.
#[utoipa::path(delete, path = "/v1/orgs/{org}/api-keys/{id}", tag = "keys",
    params(("org" = String, Path), ("id" = String, Path)), responses((status = 204, description = "Revoked")))]
pub async fn revoke(
    state: AppState,
    access: OrgAccess<KeysWrite>,
    Path((_, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let key = match state.store.api_key::<StoredKey>(&id).await? {
        Some(k) if k.org == access.org => k,
        _ => return Err(ApiError::not_found("key")),
    };
    state.store.delete_api_key(&access.org, &id).await?;
    audit::change(&id, audit::shown(&ApiKey::from(key)), None);
    Ok(StatusCode::NO_CONTENT)
}
