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

fn valid_part(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Registers a plugin.
pub async fn register(
    state: AppState,
    _caller: Caller,
    Path((name, version)): Path<(String, String)>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
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
