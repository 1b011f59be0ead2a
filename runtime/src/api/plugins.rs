//! Registering plugins: `PUT /v1/plugins/{name}/{version}` with the `.wasm`
//! as body: validated, compiled and cached → 201. A `name@version` is
//! immutable: the same bytes again is a 200, other bytes are a 409. Each
//! plugin's limits (CPU deadline, memory cap) are chosen at registration,
//! from its language's defaults or the query, and recorded with it.

use super::access::{AnyCaller, Operator};
use super::audit::record as audit;
use super::page::Page;
use super::{ApiError, AppState, Path, Query};
use crate::plugin::language::{MAX_PLUGIN_DEADLINE, MAX_PLUGIN_MEMORY};
pub use crate::plugin::limits::PluginLimitsRecord;
use crate::store::plugins::Registered;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

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
    /// The WIT world it implements: `filter-plugin` or `transform-plugin`.
    #[schema(example = "filter-plugin")]
    pub world: String,
    /// The version of the WIT package `herald:plugin` it was built against:
    /// `0.2.0` (errors may be permanent) or `0.1.0` (absent for plugins
    /// registered before versions were recorded: 0.1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "0.2.0")]
    pub contract: Option<String>,
    /// Hex SHA-256 of the `.wasm`.
    pub sha256: String,
    /// The toolchain that built it, as its bytes tell: `rust`, `python`,
    /// `javascript` or `other` (absent for plugins registered before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "python")]
    pub language: Option<String>,
    /// The limits its calls run under, chosen at registration (absent for
    /// plugins registered before: the server's defaults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<PluginLimitsRecord>,
    /// The webhooks that use it (`org/webhook`), in lists only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_by: Option<Vec<String>>,
}

/// Registration query: limits other than the language's defaults.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegisterQuery {
    /// CPU deadline per call in ms, 1 to 10000 (default: the language's:
    /// the server's `plugin_deadline` for Rust, 250 for Python and JavaScript).
    #[param(minimum = 1, maximum = 10000)]
    deadline_ms: Option<u64>,
    /// Memory cap per instance in MiB, 1 to 512 (default: the language's:
    /// the server's `plugin_memory_bytes` for Rust, 64 for Python and JavaScript).
    #[param(minimum = 1, maximum = 512)]
    memory_mib: Option<u64>,
}

fn valid_part(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Registers a plugin.
#[utoipa::path(put, path = "/v1/plugins/{name}/{version}", tag = "plugins",
    params(RegisterQuery, ("name" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$"), ("version" = String, Path, description = "A semantic version, MAJOR.MINOR.PATCH with an optional pre-release (1.0.0, 2.1.0-beta)", pattern = "^(0|[1-9][0-9]{0,8})\\.(0|[1-9][0-9]{0,8})\\.(0|[1-9][0-9]{0,8})(-[A-Za-z][A-Za-z0-9]*(\\.[A-Za-z][A-Za-z0-9]*)*)?$")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The component (the `.wasm` file's bytes, any content type), at most 32 MiB"),
    responses((status = 201, description = "Registered", body = Plugin),
              (status = 200, description = "Already registered with these bytes", body = Plugin),
              (status = 409, description = "Already registered with other bytes", body = super::ErrorBody)))]
pub async fn register(
    state: AppState,
    _: Operator,
    Path((name, version)): Path<(String, String)>,
    Query(query): Query<RegisterQuery>,
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
    // (Checked once the body is read: a client sending a large body
    // gets the answer, not a reset connection.)
    if query
        .deadline_ms
        .is_some_and(|d| d == 0 || d > MAX_PLUGIN_DEADLINE.as_millis() as u64)
    {
        return Err(ApiError::invalid(format!(
            "deadline_ms: give 1 to {} (milliseconds of CPU per call)",
            MAX_PLUGIN_DEADLINE.as_millis()
        )));
    }
    if query
        .memory_mib
        .is_some_and(|m| m == 0 || m > (MAX_PLUGIN_MEMORY >> 20) as u64)
    {
        return Err(ApiError::invalid(format!(
            "memory_mib: give 1 to {} (MiB of linear memory per instance)",
            MAX_PLUGIN_MEMORY >> 20
        )));
    }
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
    let own = plugin.limits();
    let limits = PluginLimitsRecord {
        deadline_ms: query.deadline_ms.unwrap_or(own.deadline.as_millis() as u64),
        memory_mib: query.memory_mib.unwrap_or((own.memory_bytes >> 20) as u64),
    };
    let plugin = limits.apply(&plugin);
    let meta = Plugin {
        name,
        version,
        world: plugin.world().wit_name().to_string(),
        contract: Some(plugin.contract().to_string()),
        sha256: plugin.sha256().to_string(),
        language: Some(plugin.language().name().to_string()),
        limits: Some(limits),
        used_by: None,
    };
    match state
        .store
        .register_plugin(&reference, &body, &meta)
        .await?
    {
        Registered::Created => {
            state.plugins.insert(&reference, plugin);
            audit::change(&reference, None, audit::shown(&meta));
            Ok((StatusCode::CREATED, Json(meta)))
        }
        Registered::Existed => {
            let existing: Option<Plugin> = state.store.plugin_meta(&reference).await?;
            if let Some(existing) = existing.filter(|e| e.sha256 == meta.sha256) {
                Ok((StatusCode::OK, Json(existing)))
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

/// Deletes a plugin; refused (409) while a webhook uses it or the
/// catalogue names it as an event version's `downgrade`.
#[utoipa::path(delete, path = "/v1/plugins/{name}/{version}", tag = "plugins",
    params(("name" = String, Path), ("version" = String, Path)),
    responses((status = 204, description = "Deleted"),
              (status = 409, description = "Still used by webhooks or by the event-type catalogue", body = super::ErrorBody)))]
pub async fn delete(
    state: AppState,
    _: Operator,
    Path((name, version)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let reference = format!("{name}@{version}");
    let Some(meta) = state.store.plugin_meta::<Plugin>(&reference).await? else {
        return Err(ApiError::not_found("plugin"));
    };
    let users = state.store.plugin_users(&reference).await?;
    if !users.is_empty() {
        return Err(ApiError::conflict(format!(
            "{reference} is used by {} webhook(s) ({}); remove it from them first",
            users.len(),
            users.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
        )));
    }
    let catalogue: std::collections::HashMap<String, crate::model::EventType> =
        state.store.event_types().await?;
    let mut types: Vec<&str> = catalogue
        .iter()
        .filter(|(_, t)| t.plugins().any(|p| p == reference))
        .map(|(name, _)| name.as_str())
        .collect();
    if !types.is_empty() {
        types.sort_unstable();
        return Err(ApiError::conflict(format!(
            "{reference} converts event versions of {} in the event-type catalogue; replace those entries first",
            types.join(", ")
        )));
    }
    state.store.delete_plugin(&reference).await?;
    state.plugins.remove(&reference);
    audit::change(&reference, audit::shown(&meta), None);
    Ok(StatusCode::NO_CONTENT)
}

/// Checks a use of a plugin in a configuration (at `field`, e.g.
/// `plugins.filters[0]`): registered, of `world`, and accepting the config
/// its `check-config` export is given.
pub(super) async fn check_use(
    state: &AppState,
    r: &crate::model::PluginRef,
    world: crate::plugin::World,
    field: &str,
) -> Result<(), ApiError> {
    let plugin = state.plugins.get(&r.plugin).await.map_err(|e| match e {
        crate::cache::PluginLookupError::Store(s) => ApiError::from(s),
        other => ApiError::invalid(format!("`{field}`: {other}")),
    })?;
    if plugin.world() != world {
        return Err(ApiError::invalid(format!(
            "`{field}`: {} is a {} plugin; a {world} plugin is needed here",
            r.plugin,
            plugin.world()
        )));
    }
    let (host, reference, config) = (state.host.clone(), r.plugin.clone(), r.config.to_string());
    let (result, _) =
        tokio::task::spawn_blocking(move || host.check_config(&plugin, &reference, &config))
            .await
            .map_err(ApiError::internal)?;
    result.map_err(|e| ApiError::invalid(format!("`{field}.config` rejected by {}: {e}", r.plugin)))
}
