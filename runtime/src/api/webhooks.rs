//! Webhooks: create (validated: URL policy, triggers and filters, durations,
//! plugins registered, of the right world and accepting their config),
//! read (secret not included), partial update, delete, list.

use super::page::{page, PageQuery};
use super::{orgs::require, ApiError, AppState, Body, Caller, Permission};
use crate::ingest::new_id;
use crate::model::{
    duration_str, Auth, FilterOp, PluginChain, PluginRef, RetryPolicy, Secret, SignatureScheme,
    Trigger, Webhook,
};
use crate::plugin::World;
use axum::extract::{Path, Query};
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
        check_catalogue(state, &triggers).await?;
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

async fn check_catalogue(state: &AppState, triggers: &[Trigger]) -> Result<(), ApiError> {
    let catalogue = super::event_types::catalogue(state).await?;
    if catalogue.is_empty() {
        return Ok(());
    }
    for (i, t) in triggers.iter().enumerate() {
        let Some(entry) = catalogue.get(&t.event) else {
            let mut known: Vec<&String> = catalogue.keys().collect();
            known.sort();
            return Err(ApiError::invalid(format!(
                "`triggers[{i}].event`: {:?} is not in the event-type catalogue (known: {})",
                t.event,
                known
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        if entry.filterable.is_empty() {
            continue;
        }
        for (j, f) in t.filters.iter().enumerate() {
            if !entry.filterable.contains(&f.path) {
                return Err(ApiError::invalid(format!(
                    "`triggers[{i}].filters[{j}].path`: {:?} is not filterable for {} (filterable: {})",
                    f.path,
                    t.event,
                    entry.filterable.join(", ")
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
    caller: Caller,
    Path(org): Path<String>,
    Body(input): Body<WebhookInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.allow(&org, Permission::WebhooksWrite)?;
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

pub(super) async fn owned(state: &AppState, org: &str, id: &str) -> Result<Webhook, ApiError> {
    match state.store.webhook(id).await? {
        Some(w) if w.org == org => Ok(w),
        _ => Err(ApiError::not_found("webhook")),
    }
}

/// Reads a webhook.
pub async fn read(
    state: AppState,
    caller: Caller,
    Path((org, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    caller.allow(&org, Permission::WebhooksRead)?;
    Ok(Json(view(&owned(&state, &org, &id).await?)))
}

/// Updates any subset of a webhook's fields.
pub async fn update(
    state: AppState,
    caller: Caller,
    Path((org, id)): Path<(String, String)>,
    Body(input): Body<WebhookInput>,
) -> Result<Json<Value>, ApiError> {
    caller.allow(&org, Permission::WebhooksWrite)?;
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
    caller: Caller,
    Path((org, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.allow(&org, Permission::WebhooksWrite)?;
    let w = owned(&state, &org, &id).await?;
    state.store.delete_webhook(&w).await?;
    state.webhooks.invalidate(&id);
    state.host.evict_webhook(&id);
    Ok(StatusCode::NO_CONTENT)
}

/// Lists an org's webhooks, newest first.
pub async fn list(
    state: AppState,
    caller: Caller,
    Path(org): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.allow(&org, Permission::WebhooksRead)?;
    require(&state, &org).await?;
    let (ids, next_cursor) =
        page(&state.store, &crate::store::keys::org_webhooks(&org), &q).await?;
    let mut items = Vec::new();
    for id in ids {
        if let Some(w) = state.store.webhook(&id).await? {
            items.push(view(&w));
        }
    }
    Ok(Json(json!({"items": items, "next_cursor": next_cursor})))
}

/// Reads the current secret (and any previous one still signing).
pub async fn secret(
    state: AppState,
    caller: Caller,
    Path((org, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    caller.allow(&org, Permission::WebhooksWrite)?;
    let w = owned(&state, &org, &id).await?;
    let now = crate::store::now_ms();
    let previous: Vec<Value> = w
        .secrets
        .iter()
        .skip(1)
        .filter(|s| s.expires_at_ms.is_some_and(|e| e > now))
        .map(|s| json!({"secret": s.value, "expires_at": crate::store::rfc3339_ms(s.expires_at_ms.unwrap_or_default())}))
        .collect();
    Ok(Json(
        json!({"secret": w.secrets.first().map(|s| s.value.clone()), "previous": previous}),
    ))
}

/// How long a rotated-out secret keeps signing.
const ROTATION_GRACE_MS: i64 = 24 * 3600 * 1000;

/// Rotates the secret: the new one signs at once, the old one keeps signing for 24 h.
pub async fn rotate(
    state: AppState,
    caller: Caller,
    Path((org, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    caller.allow(&org, Permission::WebhooksWrite)?;
    let previous = owned(&state, &org, &id).await?;
    let now = crate::store::now_ms();
    let mut w = previous.clone();
    let mut old: Vec<Secret> = w
        .secrets
        .drain(..)
        .filter(|s| s.expires_at_ms.is_none_or(|e| e > now))
        .collect();
    for s in &mut old {
        s.expires_at_ms.get_or_insert(now + ROTATION_GRACE_MS);
    }
    let fresh = crate::sign::new_secret();
    w.secrets = std::iter::once(Secret {
        value: fresh.clone(),
        expires_at_ms: None,
    })
    .chain(old)
    .collect();
    w.updated_at = crate::event::now_rfc3339();
    state.store.put_webhook(&w, Some(&previous)).await?;
    state.webhooks.invalidate(&id);
    Ok(Json(
        json!({"secret": fresh, "previous_expires_at": crate::store::rfc3339_ms(now + ROTATION_GRACE_MS)}),
    ))
}

/// Test body.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TestInput {
    #[serde(rename = "type")]
    event_type: Option<String>,
    data: Option<Value>,
}

/// Sends a test event now (also to an inactive webhook; filters do not
/// apply, transforms do) → the attempt's result.
pub async fn test(
    state: AppState,
    caller: Caller,
    Path((org, id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.allow(&org, Permission::WebhooksWrite)?;
    let w = owned(&state, &org, &id).await?;
    // The body is optional: none means a default test event.
    let input: TestInput = if body.iter().all(u8::is_ascii_whitespace) {
        TestInput::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::invalid(format!("invalid test body: {e}")))?
    };
    let event_type = input
        .event_type
        .or_else(|| w.triggers.first().map(|t| t.event.clone()))
        .unwrap_or_else(|| "herald.test".into());
    let data = match input.data {
        Some(d) if d.is_object() => d,
        Some(_) => return Err(ApiError::invalid("`data` must be a JSON object")),
        None => super::event_types::catalogue(&state)
            .await?
            .get(&event_type)
            .map(|e| e.example.clone())
            .filter(Value::is_object)
            .unwrap_or_else(|| json!({"test": true})),
    };
    let event = crate::event::Event {
        id: new_id("evt_test"),
        event_type,
        timestamp: crate::event::now_rfc3339(),
        org: org.clone(),
        environment: None,
        data: serde_json::value::to_raw_value(&data).map_err(ApiError::internal)?,
    };
    let msg_id = new_id("msg_test");
    let (attempt, result) = crate::attempt::run(
        &state,
        &w,
        &event,
        &msg_id,
        1,
        crate::attempt::Filters::Skip,
    )
    .await;
    let outcome = match result {
        crate::attempt::Result::Delivered => "delivered",
        crate::attempt::Result::Filtered(_) => "filtered",
        crate::attempt::Result::Failed { .. } => "failed",
    };
    Ok(Json(
        json!({"result": outcome, "event_id": event.id, "webhook_id_header": msg_id, "attempt": attempt}),
    ))
}
