//! Registering plugins: `PUT /v1/plugins/{name}/{version}` with the `.wasm`
//! as body: validated, compiled and cached → 201 `{"name", "version", "world", "sha256"}`.
//! A `name@version` is immutable: the same bytes again is a no-op, other
//! bytes are a 409.

use super::{ApiError, AppState, Caller};
use crate::store::keys;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

/// Largest `.wasm` accepted.
const MAX_PLUGIN_BYTES: usize = 32 << 20;

fn valid_part(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Registers a plugin.
pub async fn register(
    state: AppState,
    caller: Caller,
    Path((name, version)): Path<(String, String)>,
    request: axum::extract::Request,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.operator()?;
    // Components are larger than API bodies: this route has its own limit.
    let body: Bytes = axum::body::to_bytes(request.into_body(), MAX_PLUGIN_BYTES)
        .await
        .map_err(|_| {
            ApiError::too_large(format!(
                "a plugin may be at most {} MiB",
                MAX_PLUGIN_BYTES >> 20
            ))
        })?;
    if !valid_part(&name) || !valid_part(&version) {
        return Err(ApiError::invalid(
            "name and version: 1 to 64 of letters, digits, `-`, `_`, `.`",
        ));
    }
    let reference = format!("{name}@{version}");
    let loader = state.plugins.loader().clone();
    let bytes = body.to_vec();
    let plugin = tokio::task::spawn_blocking(move || loader.load(&bytes))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::invalid(format!("not a usable Herald plugin: {e}")))?;
    let stored: bool = redis::cmd("SET")
        .arg(keys::plugin_wasm(&reference))
        .arg(body.as_ref())
        .arg("NX")
        .query_async::<Option<String>>(&mut state.store.con())
        .await
        .map_err(crate::store::StoreError::from)?
        .is_some();
    let meta = json!({"name": name, "version": version, "world": plugin.world().wit_name(), "sha256": plugin.sha256()});
    if !stored {
        let existing: Option<String> = redis::cmd("HGET")
            .arg(keys::PLUGINS)
            .arg(&reference)
            .query_async(&mut state.store.con())
            .await
            .map_err(crate::store::StoreError::from)?;
        let same = existing
            .and_then(|e| serde_json::from_str::<Value>(&e).ok())
            .is_some_and(|e| e["sha256"] == meta["sha256"]);
        if !same {
            return Err(ApiError::conflict(format!(
                "{reference} is already registered with other content; publish a new version"
            )));
        }
        return Ok((StatusCode::OK, Json(meta)));
    }
    let _: () = redis::cmd("HSET")
        .arg(keys::PLUGINS)
        .arg(&reference)
        .arg(meta.to_string())
        .query_async(&mut state.store.con())
        .await
        .map_err(crate::store::StoreError::from)?;
    state.plugins.insert(&reference, plugin);
    Ok((StatusCode::CREATED, Json(meta)))
}

/// Lists registered plugins (any key).
pub async fn list(state: AppState, _caller: Caller) -> Result<Json<Value>, ApiError> {
    let all: std::collections::HashMap<String, String> = redis::cmd("HGETALL")
        .arg(keys::PLUGINS)
        .query_async(&mut state.store.con())
        .await
        .map_err(crate::store::StoreError::from)?;
    let mut items: Vec<Value> = all
        .values()
        .filter_map(|v| serde_json::from_str(v).ok())
        .collect();
    items.sort_by_key(|v| format!("{}@{}", v["name"], v["version"]));
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

/// Deletes a plugin; refused (409) while a webhook uses it.
pub async fn delete(
    state: AppState,
    caller: Caller,
    Path((name, version)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.operator()?;
    let reference = format!("{name}@{version}");
    let mut con = state.store.con();
    let exists: bool = redis::cmd("HEXISTS")
        .arg(keys::PLUGINS)
        .arg(&reference)
        .query_async(&mut con)
        .await
        .map_err(crate::store::StoreError::from)?;
    if !exists {
        return Err(ApiError::not_found("plugin"));
    }
    let users: Vec<String> = redis::cmd("SMEMBERS")
        .arg(keys::plugin_users(&reference))
        .query_async(&mut con)
        .await
        .map_err(crate::store::StoreError::from)?;
    if !users.is_empty() {
        return Err(ApiError::conflict(format!(
            "{reference} is used by {} webhook(s) ({}); remove it from them first",
            users.len(),
            users.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
        )));
    }
    redis::pipe()
        .atomic()
        .hdel(keys::PLUGINS, &reference)
        .ignore()
        .del(keys::plugin_wasm(&reference))
        .ignore()
        .query_async::<()>(&mut con)
        .await
        .map_err(crate::store::StoreError::from)?;
    state.plugins.remove(&reference);
    Ok(StatusCode::NO_CONTENT)
}
