//! A webhook's create / update body and its checks: the domain's input
//! rules ([`crate::model::rules`]), then those that need Herald's state: the
//! address policy for the URL, the event-type catalogue, and each plugin
//! (registered, of the right world, accepting its config).

use super::super::{ApiError, AppState};
use crate::model::{
    rules, Auth, AutoDisable, Ordering, PluginChain, PluginRef, RateLimit, RetryPolicy,
    SignatureScheme, Trigger, Webhook,
};
use crate::plugin::World;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;
use utoipa::ToSchema;

/// Create body (`name`, `url` and `triggers` required); `PATCH` takes any subset.
#[derive(Debug, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// Display name, 1 to 200 characters.
    #[schema(example = "Order sync", min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// Receiver URL (https; plain http only where the operator allows it).
    #[schema(
        example = "https://example.com/hooks/herald",
        pattern = "^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?$"
    )]
    pub url: Option<String>,
    /// Whether it receives events (new webhooks: `false` unless given).
    pub active: Option<bool>,
    /// Event types it subscribes to, each with filters that must all match.
    #[schema(min_items = 1)]
    pub triggers: Option<Vec<Trigger>>,
    /// Receiver auth.
    pub auth: Option<Auth>,
    /// Static headers added to every request.
    pub headers: Option<BTreeMap<String, String>>,
    /// Signing scheme (default `standard`).
    pub signature: Option<SignatureScheme>,
    /// Retry schedule.
    pub retry: Option<RetryInput>,
    /// Per-attempt timeout (default 30s, at most the operator's maximum).
    #[schema(example = "30s")]
    pub timeout: Option<String>,
    /// Plugins: filters, then transforms.
    pub plugins: Option<PluginChain>,
    /// Requests per second at most, across all processes; `null` removes
    /// it (default: none, unlimited).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<RateLimit>, nullable)]
    pub rate_limit: Option<Option<RateLimit>>,
    /// When Herald deactivates it for failing; `null` goes back to its
    /// org's rule (default: the org's, else 1000 dead deliveries in a row or
    /// no success for 5 days with at least 20 failed attempts).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<AutoDisable>, nullable)]
    pub auto_disable: Option<Option<AutoDisable>>,
    /// Delivery in publish order per key: `{"key": "data.order_id"}` (a
    /// dotted path into the event) or `{"key": "webhook"}` (one line); `null`
    /// removes it (default: none, unordered).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Ordering>, nullable)]
    pub ordering: Option<Option<Ordering>>,
    /// Send the W3C `traceparent` (and `tracestate`) of Herald's request
    /// span to the receiver, so its own spans join the event's trace; only
    /// while Herald exports traces (default `false`).
    pub forward_trace_context: Option<bool>,
    /// Free text.
    #[schema(max_length = 4096)]
    pub description: Option<String>,
    /// Free JSON for the platform's own use.
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
}

/// A retry schedule.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryInput {
    /// Delay before each retry (at most 20); attempts = delays + 1.
    #[schema(example = json!(["5s", "5m", "30m"]), max_items = 20)]
    pub schedule: Vec<String>,
}

/// A field that may be given as `null` (`Some(None)`: remove it), told
/// apart from one not given (`None`, with `#[serde(default)]`).
pub(crate) fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

impl WebhookInput {
    /// The rules that need nothing but the input (see [`rules`]); the
    /// message names the field and says what to fix.
    pub fn check(&self, max_timeout: Duration) -> Result<(), String> {
        if let Some(name) = &self.name {
            rules::name(name)?;
        }
        if let Some(triggers) = &self.triggers {
            rules::triggers(triggers)?;
        }
        if let Some(headers) = &self.headers {
            rules::headers(headers)?;
        }
        if let Some(retry) = &self.retry {
            rules::retry_schedule(&retry.schedule)?;
        }
        if let Some(timeout) = &self.timeout {
            rules::timeout(timeout, max_timeout)?;
        }
        if let Some(Some(limit)) = &self.rate_limit {
            rules::rate_limit(limit)?;
        }
        if let Some(Some(rule)) = &self.auto_disable {
            rule.check()?;
        }
        if let Some(Some(ordering)) = &self.ordering {
            rules::ordering(ordering)?;
        }
        if let Some(d) = &self.description {
            rules::description(d)?;
        }
        if self.metadata.as_ref().is_some_and(|m| !m.is_object()) {
            return Err("`metadata` must be a JSON object".into());
        }
        Ok(())
    }
}

/// Applies `input` to `w`: first the input's own rules, then those that
/// need Herald's state, for every field it sets.
pub async fn apply(state: &AppState, w: &mut Webhook, input: WebhookInput) -> Result<(), ApiError> {
    let invalid = ApiError::invalid;
    input.check(state.settings.max_timeout).map_err(invalid)?;
    if let Some(name) = input.name {
        w.name = name;
    }
    if let Some(url) = input.url {
        state
            .policy
            .check_url(&url)
            .map_err(|e| invalid(format!("`url`: {e}")))?;
        w.url = url;
    }
    if let Some(active) = input.active {
        w.active = active;
    }
    if let Some(triggers) = input.triggers {
        check_catalogue(state, &triggers).await?;
        w.triggers = triggers;
    }
    if let Some(auth) = input.auth {
        w.auth = auth;
    }
    if let Some(headers) = input.headers {
        w.headers = headers;
    }
    if let Some(signature) = input.signature {
        if !w.signature.shares_secrets_with(signature) {
            // HMAC secrets cannot sign ed25519 (nor the reverse): a key of
            // the new kind signs from now on.
            w.secrets = vec![crate::model::Secret {
                value: signature.new_secret(),
                expires_at_ms: None,
            }];
        }
        w.signature = signature;
    }
    if let Some(retry) = input.retry {
        w.retry = RetryPolicy {
            schedule: rules::retry_schedule(&retry.schedule).map_err(invalid)?,
        };
    }
    if let Some(timeout) = input.timeout {
        w.timeout = rules::timeout(&timeout, state.settings.max_timeout).map_err(invalid)?;
    }
    if let Some(plugins) = input.plugins {
        check_plugins(state, &plugins).await?;
        w.plugins = plugins;
    }
    if let Some(limit) = input.rate_limit {
        w.rate_limit = limit;
    }
    if let Some(rule) = input.auto_disable {
        w.auto_disable = rule;
    }
    if let Some(forward) = input.forward_trace_context {
        w.forward_trace_context = forward;
    }
    if let Some(ordering) = input.ordering {
        w.ordering = ordering;
    }
    if input.description.is_some() {
        w.description = input.description;
    }
    if input.metadata.is_some() {
        w.metadata = input.metadata;
    }
    Ok(())
}

async fn check_catalogue(state: &AppState, triggers: &[Trigger]) -> Result<(), ApiError> {
    let own: Vec<&str> = crate::operational::catalogue()
        .iter()
        .map(|(t, _, _)| *t)
        .collect();
    for (i, t) in triggers.iter().enumerate() {
        if crate::operational::is_own(&t.event) && t.version.is_some() {
            return Err(ApiError::invalid(format!(
                "`triggers[{i}].version`: Herald's operational types have no versions"
            )));
        }
        if crate::operational::is_own(&t.event) && !own.contains(&t.event.as_str()) {
            return Err(ApiError::invalid(format!(
                "`triggers[{i}].event`: {:?} is not one of Herald's operational types ({})",
                t.event,
                own.join(", ")
            )));
        }
    }
    let catalogue = super::super::event_types::catalogue(state).await?;
    if catalogue.is_empty() {
        return match triggers.iter().position(|t| t.version.is_some()) {
            Some(i) => Err(ApiError::invalid(format!(
                "`triggers[{i}].version`: the event-type catalogue declares no versions"
            ))),
            None => Ok(()),
        };
    }
    for (i, t) in triggers.iter().enumerate() {
        if crate::operational::is_own(&t.event) {
            continue;
        }
        let Some(entry) = catalogue.get(&t.event) else {
            let mut known: Vec<&str> = catalogue.keys().map(String::as_str).collect();
            known.sort();
            return Err(ApiError::invalid(format!(
                "`triggers[{i}].event`: {:?} is not in the event-type catalogue (known: {})",
                t.event,
                known.join(", ")
            )));
        };
        if let Some(version) = &t.version {
            if entry.versions.is_empty() {
                return Err(ApiError::invalid(format!(
                    "`triggers[{i}].version`: {} declares no versions in the catalogue",
                    t.event
                )));
            }
            entry
                .steps_to(version)
                .map_err(|e| ApiError::invalid(format!("`triggers[{i}].version`: {e}")))?;
        }
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
            super::super::plugins::check_use(state, r, world, &format!("plugins.{field}[{i}]"))
                .await?;
        }
    }
    Ok(())
}
