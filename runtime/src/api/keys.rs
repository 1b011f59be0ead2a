//! An org's API keys: created with permissions (the key is shown once and
//! stored hashed), listed without secrets, revoked. A key holding
//! `keys:write` may manage its org's keys but never grant more than it has.

use super::auth::{hash_key, Permission, StoredKey};
use super::page::{page, PageQuery};
use super::{orgs::require, ApiError, AppState, Body, Caller};
use crate::ingest::new_id;
use crate::store::{keys, now_ms, StoreError};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

/// Create body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    name: String,
    permissions: Vec<Permission>,
}

/// Creates a key → 201 `{"id", "key", "name", "permissions"}`.
pub async fn create(
    state: AppState,
    caller: Caller,
    Path(org): Path<String>,
    Body(body): Body<NewKey>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.allow(&org, Permission::KeysWrite)?;
    require(&state, &org).await?;
    if body.name.trim().is_empty() {
        return Err(ApiError::invalid("`name` must not be empty"));
    }
    if body.permissions.is_empty() {
        return Err(ApiError::invalid("`permissions` must list at least one of webhooks:read, webhooks:write, events:write, logs:read, keys:write"));
    }
    if let Caller::Key { permissions, .. } = &caller {
        if let Some(p) = body.permissions.iter().find(|p| !permissions.contains(p)) {
            return Err(ApiError::forbidden(format!(
                "a key cannot grant `{}`, which it does not hold",
                p.as_str()
            )));
        }
    }
    let id = new_id("key").replace('_', "");
    let secret: [u8; 24] = rand::random();
    let key = format!("hk_{id}_{}", hex::encode(secret));
    let stored = StoredKey {
        id: id.clone(),
        org: org.clone(),
        name: body.name,
        permissions: body.permissions,
        sha256: hash_key(&key),
        created_at: crate::event::now_rfc3339(),
    };
    redis::pipe()
        .atomic()
        .hset(
            keys::api_key(&id),
            "json",
            serde_json::to_string(&stored).unwrap_or_default(),
        )
        .ignore()
        .zadd(keys::org_keys(&org), &id, now_ms())
        .ignore()
        .query_async::<()>(&mut state.store.con())
        .await
        .map_err(StoreError::from)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "key": key, "name": stored.name, "permissions": stored.permissions})),
    ))
}

fn public(k: &StoredKey) -> Value {
    json!({"id": k.id, "name": k.name, "permissions": k.permissions, "created_at": k.created_at})
}

/// Lists the org's keys (no secrets).
pub async fn list(
    state: AppState,
    caller: Caller,
    Path(org): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.allow(&org, Permission::KeysWrite)?;
    require(&state, &org).await?;
    let (ids, next_cursor) = page(&state.store, &keys::org_keys(&org), &q).await?;
    let mut items = Vec::new();
    for id in ids {
        if let Some(k) = load(&state, &id).await? {
            items.push(public(&k));
        }
    }
    Ok(Json(json!({"items": items, "next_cursor": next_cursor})))
}

async fn load(state: &AppState, id: &str) -> Result<Option<StoredKey>, ApiError> {
    let json: Option<String> = redis::cmd("HGET")
        .arg(keys::api_key(id))
        .arg("json")
        .query_async(&mut state.store.con())
        .await
        .map_err(StoreError::from)?;
    Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
}

/// Revokes a key.
pub async fn revoke(
    state: AppState,
    caller: Caller,
    Path((org, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.allow(&org, Permission::KeysWrite)?;
    match load(&state, &id).await? {
        Some(k) if k.org == org => {}
        _ => return Err(ApiError::not_found("key")),
    }
    redis::pipe()
        .atomic()
        .del(keys::api_key(&id))
        .ignore()
        .zrem(keys::org_keys(&org), &id)
        .ignore()
        .query_async::<()>(&mut state.store.con())
        .await
        .map_err(StoreError::from)?;
    Ok(StatusCode::NO_CONTENT)
}
