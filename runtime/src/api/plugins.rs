//! Registering plugins: `PUT /v1/plugins/{name}/{version}` with the `.wasm`
//! as body: validated, compiled and cached → 201. A `name@version` is
//! immutable: the same bytes again is a 200, other bytes are a 409.

use super::access::{AnyCaller, Operator};
use super::page::Page;
use super::{ApiError, AppState, Path};
use crate::store::plugins::Registered;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Largest `.wasm` accepted.
pub const MAX_PLUGIN_BYTES: usize = 32 << 20;

/// A registered plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Plugin {
    /// Name.
    #[schema(example = "threshold-filter")]
    pub name: String,
    /// Version.
    #[schema(example = "1.0.0")]
    pub version: String,
    /// The WIT world it implements.
    #[schema(example = "herald:plugin/filter-plugin@0.1.0")]
    pub world: String,
    /// Hex SHA-256 of the `.wasm`.
    pub sha256: String,
    /// The webhooks that use it (`org/webhook`), in lists only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_by: Option<Vec<String>>,
}

fn valid_part(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Registers a plugin.
#[utoipa::path(put, path = "/v1/plugins/{name}/{version}", tag = "plugins",
    params(("name" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$"), ("version" = String, Path, description = "A semantic version, MAJOR.MINOR.PATCH with an optional pre-release (1.0.0, 2.1.0-beta)", pattern = "^(0|[1-9][0-9]{0,8})\\.(0|[1-9][0-9]{0,8})\\.(0|[1-9][0-9]{0,8})(-[A-Za-z][A-Za-z0-9]*(\\.[A-Za-z][A-Za-z0-9]*)*)?$")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The component (the `.wasm` file's bytes, any content type), at most 32 MiB"),
    responses((status = 201, description = "Registered", body = Plugin),
              (status = 200, description = "Already registered with these bytes", body = Plugin),
              (status = 409, description = "Already registered with other bytes", body = super::ErrorBody)))]
pub async fn register(
    state: AppState,
    _: Operator,
    Path((name, version)): Path<(String, String)>,
    request: axum::extract::Request,
) -> Result<(StatusCode, Json<Plugin>), ApiError> {
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
    if semver::Version::parse(&version).is_err() {
        return Err(ApiError::invalid(format!(
            "version {version:?} is not a semantic version: write MAJOR.MINOR.PATCH, like 1.0.0 \
             (a version names fixed bytes, so `latest` cannot be one)"
        )));
    }
    let reference = format!("{name}@{version}");
    let loader = state.plugins.loader().clone();
    let bytes = body.to_vec();
    let plugin = tokio::task::spawn_blocking(move || loader.load(&bytes))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::invalid(format!("not a usable Herald plugin: {e}")))?;
    let meta = Plugin {
        name,
        version,
        world: plugin.world().wit_name().to_string(),
        sha256: plugin.sha256().to_string(),
        used_by: None,
    };
    match state
        .store
        .register_plugin(&reference, &body, &meta)
        .await?
    {
        Registered::Created => {
            state.plugins.insert(&reference, plugin);
            Ok((StatusCode::CREATED, Json(meta)))
        }
        Registered::Existed => {
            let existing: Option<Plugin> = state.store.plugin_meta(&reference).await?;
            if existing.is_some_and(|e| e.sha256 == meta.sha256) {
                Ok((StatusCode::OK, Json(meta)))
            } else {
                Err(ApiError::conflict(format!(
                    "{reference} is already registered with other content; publish a new version"
                )))
            }
        }
    }
}

/// Lists registered plugins (any key), by name and version; for the
/// operator, each with the webhooks that use it.
#[utoipa::path(get, path = "/v1/plugins", tag = "plugins",
    responses((status = 200, description = "Every plugin", body = Page<Plugin>)))]
pub async fn list(state: AppState, caller: AnyCaller) -> Result<Json<Page<Plugin>>, ApiError> {
    let mut items: Vec<Plugin> = state.store.plugin_metas().await?.into_values().collect();
    items.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    for item in &mut items {
        item.used_by = None;
        if caller.0 == crate::api::Caller::Operator {
            let reference = format!("{}@{}", item.name, item.version);
            item.used_by = Some(state.store.plugin_users(&reference).await?);
        }
    }
    Ok(Json(Page::all(items)))
}

/// Deletes a plugin; refused (409) while a webhook uses it.
#[utoipa::path(delete, path = "/v1/plugins/{name}/{version}", tag = "plugins",
    params(("name" = String, Path), ("version" = String, Path)),
    responses((status = 204, description = "Deleted"),
              (status = 409, description = "Still used by webhooks", body = super::ErrorBody)))]
pub async fn delete(
    state: AppState,
    _: Operator,
    Path((name, version)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let reference = format!("{name}@{version}");
    if state
        .store
        .plugin_meta::<Plugin>(&reference)
        .await?
        .is_none()
    {
        return Err(ApiError::not_found("plugin"));
    }
    let users = state.store.plugin_users(&reference).await?;
    if !users.is_empty() {
        return Err(ApiError::conflict(format!(
            "{reference} is used by {} webhook(s) ({}); remove it from them first",
            users.len(),
            users.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
        )));
    }
    state.store.delete_plugin(&reference).await?;
    state.plugins.remove(&reference);
    Ok(StatusCode::NO_CONTENT)
}
