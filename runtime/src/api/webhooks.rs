//! Webhooks: create (validated: URL policy, triggers and filters, durations,
//! plugins registered, of the right world and accepting their config),
//! read (secret not included), partial update, delete, list.

use super::{orgs::require, ApiError, AppState, Body, Caller};
use crate::ingest::new_id;
use crate::model::{
    duration_str, Auth, FilterOp, PluginChain, PluginRef, RetryPolicy, Secret, SignatureScheme,
    Trigger, Webhook,
};
use crate::plugin::World;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Create body; `PATCH` takes any subset.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    name: Option<String>,
    url: Option<String>,
    active: Option<bool>,
    triggers: Option<Vec<Trigger>>,
    auth: Option<Auth>,
    headers: Option<BTreeMap<String, String>>,
    signature: Option<SignatureScheme>,
    retry: Option<RetryInput>,
    timeout: Option<String>,
    plugins: Option<PluginChain>,
    description: Option<String>,
    metadata: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetryInput {
    schedule: Vec<String>,
}

/// A webhook as the API shows it: everything but the secrets.
pub fn view(w: &Webhook) -> Value {
    let mut v = serde_json::to_value(w).unwrap_or_default();
    if let Some(obj) = v.as_object_mut() {
        obj.remove("secrets");
        if let Some(auth) = obj.get_mut("auth").and_then(Value::as_object_mut) {
            for secret in ["password", "token", "value"] {
                if auth.contains_key(secret) {
                    auth.insert(secret.into(), json!("***"));
                }
            }
        }
    }
    v
}

async fn apply(state: &AppState, w: &mut Webhook, input: WebhookInput) -> Result<(), ApiError> {
    if let Some(name) = input.name {
        if name.trim().is_empty() {
            return Err(ApiError::invalid("`name` must not be empty"));
        }
        w.name = name;
    }
    if let Some(url) = input.url {
        state
            .policy
            .check_url(&url)
            .map_err(|e| ApiError::invalid(format!("`url`: {e}")))?;
        w.url = url;
    }
    if let Some(active) = input.active {
        w.active = active;
    }
    if let Some(triggers) = input.triggers {
        check_triggers(&triggers)?;
        w.triggers = triggers;
    }
    if let Some(auth) = input.auth {
        w.auth = auth;
    }
    if let Some(headers) = input.headers {
        for (name, value) in &headers {
            if http::HeaderName::from_bytes(name.as_bytes()).is_err()
                || http::HeaderValue::from_str(value).is_err()
            {
                return Err(ApiError::invalid(format!(
                    "`headers`: {name:?} is not a valid header"
                )));
            }
        }
        w.headers = headers;
    }
    if let Some(signature) = input.signature {
        w.signature = signature;
    }
    if let Some(retry) = input.retry {
        let schedule = retry
            .schedule
            .iter()
            .map(|d| duration_str::parse(d))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ApiError::invalid(format!("`retry.schedule`: {e}")))?;
        if schedule.len() > 20 {
            return Err(ApiError::invalid(
                "`retry.schedule` may hold at most 20 delays",
            ));
        }
        w.retry = RetryPolicy { schedule };
    }
    if let Some(timeout) = input.timeout {
        let t = duration_str::parse(&timeout)
            .map_err(|e| ApiError::invalid(format!("`timeout`: {e}")))?;
        let max = state.settings.max_timeout;
        if t.is_zero() || t > max {
            return Err(ApiError::invalid(format!(
                "`timeout` must be between 1ms and {}",
                duration_str::format(&max)
            )));
        }
        w.timeout = t;
    }
    if let Some(plugins) = input.plugins {
        check_plugins(state, &plugins).await?;
        w.plugins = plugins;
    }
    if input.description.is_some() {
        w.description = input.description;
    }
    if input.metadata.is_some() {
        w.metadata = input.metadata;
    }
    Ok(())
}

fn check_triggers(triggers: &[Trigger]) -> Result<(), ApiError> {
    if triggers.is_empty() {
        return Err(ApiError::invalid(
            "`triggers` must name at least one event type",
        ));
    }
    for (i, t) in triggers.iter().enumerate() {
        if t.event.trim().is_empty() {
            return Err(ApiError::invalid(format!(
                "`triggers[{i}].event` must not be empty"
            )));
        }
        for (j, f) in t.filters.iter().enumerate() {
            if f.path.is_empty() || f.path.split('.').any(str::is_empty) {
                return Err(ApiError::invalid(format!(
                    "`triggers[{i}].filters[{j}].path` {:?} is not a dotted path",
                    f.path
                )));
            }
            if matches!(f.op, FilterOp::In | FilterOp::NotIn) && !f.value.is_array() {
                return Err(ApiError::invalid(format!(
                    "`triggers[{i}].filters[{j}]`: `in` and `not_in` take an array `value`"
                )));
            }
        }
    }
    Ok(())
}

async fn check_plugins(state: &AppState, chain: &PluginChain) -> Result<(), ApiError> {
    let lists: [(&[PluginRef], World, &str); 2] = [
        (&chain.filters, World::Filter, "filters"),
        (&chain.transforms, World::Transform, "transforms"),
    ];
    for (refs, world, field) in lists {
        for (i, r) in refs.iter().enumerate() {
            let plugin = state.plugins.get(&r.plugin).await.map_err(|e| match e {
                crate::cache::PluginLookupError::Store(s) => ApiError::from(s),
                other => ApiError::invalid(format!("`plugins.{field}[{i}]`: {other}")),
            })?;
            if plugin.world() != world {
                return Err(ApiError::invalid(format!(
                    "`plugins.{field}[{i}]`: {} is a {} plugin; it cannot be used in `{field}`",
                    r.plugin,
                    plugin.world()
                )));
            }
            let (host, reference, config) =
                (state.host.clone(), r.plugin.clone(), r.config.to_string());
            let (result, _) = tokio::task::spawn_blocking(move || {
                host.check_config(&plugin, &reference, &config)
            })
            .await
            .map_err(ApiError::internal)?;
            if let Err(e) = result {
                return Err(ApiError::invalid(format!(
                    "`plugins.{field}[{i}].config` rejected by {}: {e}",
                    r.plugin
                )));
            }
        }
    }
    Ok(())
}

/// Creates a webhook (inactive unless `active: true`); the answer includes its secret.
pub async fn create(
    state: AppState,
    _caller: Caller,
    Path(org): Path<String>,
    Body(input): Body<WebhookInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    require(&state, &org).await?;
    if input.name.is_none() || input.url.is_none() || input.triggers.is_none() {
        return Err(ApiError::invalid(
            "`name`, `url` and `triggers` are required",
        ));
    }
    let now = crate::event::now_rfc3339();
    let mut w = Webhook {
        id: new_id("wh"),
        org,
        name: String::new(),
        url: String::new(),
        active: false,
        triggers: Vec::new(),
        auth: Auth::None,
        headers: BTreeMap::new(),
        signature: SignatureScheme::Standard,
        secrets: vec![Secret {
            value: crate::sign::new_secret(),
            expires_at_ms: None,
        }],
        retry: RetryPolicy::default(),
        timeout: state.settings.default_timeout,
        plugins: PluginChain::default(),
        description: None,
        metadata: None,
        disabled_reason: None,
        created_at: now.clone(),
        updated_at: now,
    };
    apply(&state, &mut w, input).await?;
    state.store.put_webhook(&w, None).await?;
    let mut v = view(&w);
    v["secret"] = json!(w.secrets[0].value);
    Ok((StatusCode::CREATED, Json(v)))
}

async fn owned(state: &AppState, org: &str, id: &str) -> Result<Webhook, ApiError> {
    match state.store.webhook(id).await? {
        Some(w) if w.org == org => Ok(w),
        _ => Err(ApiError::not_found("webhook")),
    }
}

/// Reads a webhook.
pub async fn read(
    state: AppState,
    _caller: Caller,
    Path((org, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(view(&owned(&state, &org, &id).await?)))
}

/// Updates any subset of a webhook's fields.
pub async fn update(
    state: AppState,
    _caller: Caller,
    Path((org, id)): Path<(String, String)>,
    Body(input): Body<WebhookInput>,
) -> Result<Json<Value>, ApiError> {
    let previous = owned(&state, &org, &id).await?;
    let mut w = previous.clone();
    apply(&state, &mut w, input).await?;
    if w.active && !previous.active {
        w.disabled_reason = None;
    }
    w.updated_at = crate::event::now_rfc3339();
    state.store.put_webhook(&w, Some(&previous)).await?;
    state.webhooks.invalidate(&id);
    state.host.evict_webhook(&id);
    Ok(Json(view(&w)))
}

/// Deletes a webhook.
pub async fn delete(
    state: AppState,
    _caller: Caller,
    Path((org, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let w = owned(&state, &org, &id).await?;
    state.store.delete_webhook(&w).await?;
    state.webhooks.invalidate(&id);
    state.host.evict_webhook(&id);
    Ok(StatusCode::NO_CONTENT)
}

/// Lists an org's webhooks, newest first.
pub async fn list(
    state: AppState,
    _caller: Caller,
    Path(org): Path<String>,
) -> Result<Json<Value>, ApiError> {
    require(&state, &org).await?;
    let ids: Vec<String> = redis::cmd("ZREVRANGE")
        .arg(crate::store::keys::org_webhooks(&org))
        .arg(0)
        .arg(-1)
        .query_async(&mut state.store.con())
        .await
        .map_err(crate::store::StoreError::from)?;
    let mut items = Vec::new();
    for id in ids {
        if let Some(w) = state.store.webhook(&id).await? {
            items.push(view(&w));
        }
    }
    Ok(Json(json!({"items": items, "next_cursor": null})))
}
