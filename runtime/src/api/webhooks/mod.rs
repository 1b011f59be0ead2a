//! Webhooks: create, read (secrets never shown), partial update, delete,
//! list; secrets ([`secrets`]), test sends ([`test_send`]) and dry runs
//! ([`dry_run`]). Input rules are in [`input`].

pub mod dry_run;
pub mod input;
pub mod secrets;
pub mod test_send;

use super::access::{OrgAccess, WebhooksRead, WebhooksWrite};
use super::audit::record as audit;
use super::orgs::require;
use super::page::{Page, PageQuery};
use super::{ApiError, AppState, Body, Path, Query};
use crate::model::{
    Auth, AutoDisable, Ordering, PluginChain, RateLimit, RetryPolicy, Secret, SignatureScheme,
    Trigger, Webhook,
};
use axum::http::StatusCode;
use axum::Json;
use input::WebhookInput;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A webhook as the API shows it: everything but the signing secrets, and
/// receiver credentials masked as `***`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    /// `wh_…`.
    pub id: String,
    /// Owning org.
    pub org: String,
    /// Display name.
    pub name: String,
    /// Receiver URL.
    pub url: String,
    /// Inactive webhooks receive nothing; queued deliveries wait.
    pub active: bool,
    /// What it subscribes to.
    pub triggers: Vec<Trigger>,
    /// Receiver auth (credentials masked).
    pub auth: Auth,
    /// Static headers added to every request.
    pub headers: BTreeMap<String, String>,
    /// Signing scheme.
    pub signature: SignatureScheme,
    /// With `signature: "ed25519"`, the public key receivers verify with
    /// (`whpk_…`, of the current signing key); `null` otherwise.
    pub public_key: Option<String>,
    /// Retry schedule.
    pub retry: RetryPolicy,
    /// Per-attempt timeout.
    #[schema(example = "30s")]
    pub timeout: String,
    /// Plugins.
    pub plugins: PluginChain,
    /// Requests per second at most, across all processes (`null`: unlimited).
    pub rate_limit: Option<RateLimit>,
    /// When Herald deactivates it for failing (`null`: its org's rule).
    pub auto_disable: Option<AutoDisable>,
    /// Delivery in publish order per key (`null`: unordered).
    pub ordering: Option<Ordering>,
    /// Whether the receiver gets the trace context (`traceparent`) while
    /// Herald exports traces.
    pub forward_trace_context: bool,
    /// Free text.
    pub description: Option<String>,
    /// Free JSON for the platform's own use.
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
    /// Why Herald deactivated it (e.g. a 410 Gone), if it did.
    pub disabled_reason: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<&Webhook> for WebhookView {
    fn from(w: &Webhook) -> Self {
        let masked = "***".to_string();
        let auth = match &w.auth {
            Auth::None => Auth::None,
            Auth::Basic { username, .. } => Auth::Basic {
                username: username.clone(),
                password: masked,
            },
            Auth::Bearer { .. } => Auth::Bearer { token: masked },
            Auth::Header { name, .. } => Auth::Header {
                name: name.clone(),
                value: masked,
            },
        };
        WebhookView {
            id: w.id.clone(),
            org: w.org.clone(),
            name: w.name.clone(),
            url: w.url.clone(),
            active: w.active,
            triggers: w.triggers.clone(),
            auth,
            headers: w.headers.clone(),
            signature: w.signature,
            public_key: w
                .secrets
                .first()
                .and_then(|s| crate::sign::public_key(&s.value)),
            retry: w.retry.clone(),
            timeout: crate::model::duration::format(&w.timeout),
            plugins: w.plugins.clone(),
            rate_limit: w.rate_limit,
            auto_disable: w.auto_disable,
            ordering: w.ordering.clone(),
            forward_trace_context: w.forward_trace_context,
            description: w.description.clone(),
            metadata: w.metadata.clone(),
            disabled_reason: w.disabled_reason.clone(),
            created_at: w.created_at.clone(),
            updated_at: w.updated_at.clone(),
        }
    }
}

/// A webhook just created, with its signing secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    /// The webhook.
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// The signing secret (`whsec_…`, or the `whsk_…` signing key with
    /// ed25519); also readable later with `webhooks:write`.
    pub secret: String,
}

/// Creates a webhook (inactive unless `active: true`); the answer includes its secret.
#[utoipa::path(post, path = "/v1/orgs/{org}/webhooks", tag = "webhooks", params(("org" = String, Path)),
    request_body = WebhookInput,
    responses((status = 201, description = "Created", body = CreatedWebhook)))]
pub async fn create(
    state: AppState,
    access: OrgAccess<WebhooksWrite>,
    Body(body): Body<WebhookInput>,
) -> Result<(StatusCode, Json<CreatedWebhook>), ApiError> {
    if body.name.is_none() || body.url.is_none() || body.triggers.is_none() {
        return Err(ApiError::invalid(
            "`name`, `url` and `triggers` are required",
        ));
    }
    require(&state, &access.org).await?;
    let now = crate::clock::now_rfc3339();
    let mut w = Webhook {
        id: crate::id::new_id("wh"),
        org: access.org,
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
        rate_limit: None,
        auto_disable: None,
        ordering: None,
        forward_trace_context: false,
        description: None,
        metadata: None,
        disabled_reason: None,
        created_at: now.clone(),
        updated_at: now,
    };
    input::apply(&state, &mut w, body).await?;
    state.store.put_webhook(&w, None).await?;
    audit::change(&w.id, None, audit::shown(&WebhookView::from(&w)));
    let secret = w.secrets[0].value.clone();
    Ok((
        StatusCode::CREATED,
        Json(CreatedWebhook {
            webhook: WebhookView::from(&w),
            secret,
        }),
    ))
}

/// The webhook `id` of `org`, or 404.
pub(super) async fn owned(state: &AppState, org: &str, id: &str) -> Result<Webhook, ApiError> {
    match state.store.webhook(org, id).await? {
        Some(w) if w.org == org => Ok(w),
        _ => Err(ApiError::not_found("webhook")),
    }
}

/// Reads a webhook.
#[utoipa::path(get, path = "/v1/orgs/{org}/webhooks/{id}", tag = "webhooks",
    params(("org" = String, Path), ("id" = String, Path)),
    responses((status = 200, description = "The webhook", body = WebhookView)))]
pub async fn read(
    state: AppState,
    access: OrgAccess<WebhooksRead>,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<WebhookView>, ApiError> {
    Ok(Json(WebhookView::from(
        &owned(&state, &access.org, &id).await?,
    )))
}

/// Updates any subset of a webhook's fields.
#[utoipa::path(patch, path = "/v1/orgs/{org}/webhooks/{id}", tag = "webhooks",
    params(("org" = String, Path), ("id" = String, Path)), request_body = WebhookInput,
    responses((status = 200, description = "The webhook as changed", body = WebhookView)))]
pub async fn update(
    state: AppState,
    access: OrgAccess<WebhooksWrite>,
    Path((_, id)): Path<(String, String)>,
    Body(body): Body<WebhookInput>,
) -> Result<Json<WebhookView>, ApiError> {
    let previous = owned(&state, &access.org, &id).await?;
    let mut w = previous.clone();
    input::apply(&state, &mut w, body).await?;
    if w.active && !previous.active {
        w.disabled_reason = None;
        // Its failures so far no longer count towards auto-disable.
        state.store.reset_health(&w.org, &w.id).await?;
    }
    w.updated_at = crate::clock::now_rfc3339();
    state.store.put_webhook(&w, Some(&previous)).await?;
    state.webhooks.invalidate(&id);
    state.host.evict_webhook(&id);
    let view = WebhookView::from(&w);
    audit::change(
        &id,
        audit::shown(&WebhookView::from(&previous)),
        audit::shown(&view),
    );
    Ok(Json(view))
}

/// Deletes a webhook.
#[utoipa::path(delete, path = "/v1/orgs/{org}/webhooks/{id}", tag = "webhooks",
    params(("org" = String, Path), ("id" = String, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(
    state: AppState,
    access: OrgAccess<WebhooksWrite>,
    Path((_, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let w = owned(&state, &access.org, &id).await?;
    state.store.delete_webhook(&w).await?;
    state.webhooks.invalidate(&id);
    state.host.evict_webhook(&id);
    audit::change(&id, audit::shown(&WebhookView::from(&w)), None);
    Ok(StatusCode::NO_CONTENT)
}

/// Lists an org's webhooks, newest first.
#[utoipa::path(get, path = "/v1/orgs/{org}/webhooks", tag = "webhooks",
    params(("org" = String, Path), PageQuery),
    responses((status = 200, description = "A page of webhooks", body = Page<WebhookView>)))]
pub async fn list(
    state: AppState,
    access: OrgAccess<WebhooksRead>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Page<WebhookView>>, ApiError> {
    let (cursor, limit) = (q.cursor()?, q.limit()?);
    require(&state, &access.org).await?;
    let (hooks, next) = state
        .store
        .webhook_page(&access.org, cursor.as_ref(), limit)
        .await?;
    Ok(Json(Page::new(
        hooks.iter().map(WebhookView::from).collect(),
        next,
    )))
}
