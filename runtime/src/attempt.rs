//! One delivery attempt, in the order of the data path: native trigger
//! filters, filter plugins, transform plugins (on the blocking pool), the
//! signature over the exact bytes, the request (auth, custom headers), the
//! send, and the attempt record with secrets masked.

use crate::app::App;
use crate::deliver::{Outgoing, Received, SendFailure};
use crate::event::Event;
use crate::filter;
use crate::model::{Attempt, AttemptError, Auth, ErrorClass, SignatureScheme, Timings, Webhook};
use crate::plugin::{CallTarget, Plugin, WitRequest, WitVerdict};
use crate::sign;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// How an attempt ended, for the retry decision.
#[derive(Debug, Clone)]
pub enum Result {
    /// A filter dropped the event; nothing was sent.
    Filtered(String),
    /// A 2xx.
    Delivered,
    /// Failed; `gone` for a 410, `retry_after` when the receiver asked.
    Failed {
        /// The receiver answered 410 Gone.
        gone: bool,
        /// A bounded-later retry the receiver asked for (429 / 503).
        retry_after: Option<Duration>,
    },
}

/// Whether the filters apply (a test send skips them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filters {
    /// Native and plugin filters run.
    Apply,
    /// Only transforms run.
    Skip,
}

/// What the attempt produced: the record (`None` when filtered before
/// sending) and the result.
pub type Outcome = (Option<Attempt>, Result);

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs one attempt of `event` to `webhook`; `msg_id` is the delivery id
/// (the `webhook-id` header, the same on every attempt).
pub async fn run(
    app: &App,
    webhook: &Webhook,
    event: &Event,
    msg_id: &str,
    number: u32,
    filters: Filters,
) -> Outcome {
    let started = Instant::now();
    let at = crate::event::now_rfc3339();
    if filters == Filters::Apply {
        if let Some(reason) = native_filter(webhook, event) {
            return (None, Result::Filtered(reason));
        }
    }
    let payload = event.payload();
    let plugins_started = Instant::now();
    let chain = match run_plugins(app, webhook, event, payload, filters).await {
        Ok(PluginChain::Request(request)) => request,
        Ok(PluginChain::Dropped(reason)) => return (None, Result::Filtered(reason)),
        Err(message) => {
            let mut attempt = record(number, &at, started, BTreeMap::new());
            attempt.error = Some(AttemptError {
                class: ErrorClass::Plugin,
                message,
            });
            attempt.timings.plugins_ms = Some(ms(plugins_started.elapsed()));
            return (
                Some(attempt),
                Result::Failed {
                    gone: false,
                    retry_after: None,
                },
            );
        }
    };
    let plugins_ms = (!webhook.plugins.filters.is_empty()
        || !webhook.plugins.transforms.is_empty())
    .then(|| ms(plugins_started.elapsed()));

    let headers = build_headers(webhook, event, msg_id, number, &chain);
    let masked = mask(&headers, &webhook.auth);
    let mut attempt = record(number, &at, started, masked);
    attempt.timings.plugins_ms = plugins_ms;
    let uri = match app.policy.check_url(&webhook.url) {
        Ok(uri) => uri,
        Err(refused) => {
            attempt.error = Some(AttemptError {
                class: ErrorClass::Blocked,
                message: refused.0,
            });
            return finish(
                attempt,
                started,
                Result::Failed {
                    gone: false,
                    retry_after: None,
                },
            );
        }
    };
    let out = Outgoing {
        uri,
        headers,
        body: Bytes::from(chain.body),
        timeout: webhook.timeout,
    };
    let mut timings = Timings::default();
    let sent = app.sender.send(out, &mut timings).await;
    timings.plugins_ms = plugins_ms;
    attempt.timings = timings;
    let result = match sent {
        Ok(received) => response(&mut attempt, received),
        Err(SendFailure { class, message }) => {
            attempt.error = Some(AttemptError { class, message });
            Result::Failed {
                gone: false,
                retry_after: None,
            }
        }
    };
    finish(attempt, started, result)
}

fn finish(mut attempt: Attempt, started: Instant, result: Result) -> Outcome {
    attempt.duration_ms = ms(started.elapsed());
    attempt.timings.total_ms = attempt.duration_ms;
    (Some(attempt), result)
}

fn record(
    number: u32,
    at: &str,
    started: Instant,
    request_headers: BTreeMap<String, String>,
) -> Attempt {
    Attempt {
        number,
        at: at.to_string(),
        duration_ms: ms(started.elapsed()),
        request_headers,
        status_code: None,
        response_headers: BTreeMap::new(),
        response_body: None,
        response_body_truncated: false,
        error: None,
        timings: Timings {
            total_ms: ms(started.elapsed()),
            ..Timings::default()
        },
    }
}

fn response(attempt: &mut Attempt, received: Received) -> Result {
    let status = received.status;
    attempt.status_code = Some(status.as_u16());
    attempt.response_headers = received
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    attempt.response_body = Some(String::from_utf8_lossy(&received.body).into_owned());
    attempt.response_body_truncated = received.truncated;
    if status.is_success() {
        return Result::Delivered;
    }
    attempt.error = Some(AttemptError {
        class: ErrorClass::Status,
        message: format!("receiver answered {status}"),
    });
    let retry_after = matches!(status.as_u16(), 429 | 503)
        .then(|| received.headers.get(http::header::RETRY_AFTER))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| crate::retry::parse_retry_after(v, SystemTime::now()));
    Result::Failed {
        gone: status == http::StatusCode::GONE,
        retry_after,
    }
}

fn native_filter(webhook: &Webhook, event: &Event) -> Option<String> {
    let trigger = webhook
        .triggers
        .iter()
        .find(|t| t.event == event.event_type)?;
    if trigger.filters.is_empty() {
        return None;
    }
    let envelope: serde_json::Value = match serde_json::from_slice(&event.payload()) {
        Ok(v) => v,
        Err(e) => return Some(format!("event payload is not JSON: {e}")),
    };
    filter::first_mismatch(trigger, &envelope).map(|rule| filter::describe(rule, &envelope))
}

enum PluginChain {
    Request(WitRequest),
    Dropped(String),
}

async fn resolve(
    app: &App,
    refs: &[crate::model::PluginRef],
) -> std::result::Result<Vec<(Plugin, CallTarget)>, String> {
    let mut out = Vec::with_capacity(refs.len());
    for r in refs {
        let plugin = app
            .plugins
            .get(&r.plugin)
            .await
            .map_err(|e| e.to_string())?;
        let target = CallTarget {
            webhook_id: Arc::from(""),
            plugin_ref: Arc::from(r.plugin.as_str()),
            config: Arc::from(r.config.to_string()),
            fresh: false,
        };
        out.push((plugin, target));
    }
    Ok(out)
}

async fn run_plugins(
    app: &App,
    webhook: &Webhook,
    event: &Event,
    payload: Vec<u8>,
    filters: Filters,
) -> std::result::Result<PluginChain, String> {
    let request = WitRequest {
        headers: vec![("content-type".into(), "application/json".into())],
        body: payload,
    };
    let chain = &webhook.plugins;
    if chain.transforms.is_empty() && (chain.filters.is_empty() || filters == Filters::Skip) {
        return Ok(PluginChain::Request(request));
    }
    let with_webhook = |mut list: Vec<(Plugin, CallTarget)>| {
        for (_, t) in &mut list {
            t.webhook_id = Arc::from(webhook.id.as_str());
            t.fresh = chain.fresh_instance;
        }
        list
    };
    let filter_plugins = if filters == Filters::Apply {
        with_webhook(resolve(app, &chain.filters).await?)
    } else {
        Vec::new()
    };
    let transform_plugins = with_webhook(resolve(app, &chain.transforms).await?);
    let wit_event = event.to_plugin_event(&webhook.id);
    let host = app.host.clone();
    let timings: Vec<(Arc<str>, Duration)> = Vec::new();
    let slot = app
        .plugin_runs
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| "shutting down".to_string())?;
    let joined = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        // Runs when the chain ends, whichever way it returns.
        let _collect = CollectOnDrop;
        let mut timings = timings;
        for (plugin, target) in &filter_plugins {
            let (result, report) = host.filter(plugin, target, &wit_event);
            timings.push((target.plugin_ref.clone(), report.duration));
            match result {
                Ok(WitVerdict::Keep) => {}
                Ok(WitVerdict::Drop(reason)) => {
                    return (
                        Ok(PluginChain::Dropped(format!(
                            "{}: {reason}",
                            target.plugin_ref
                        ))),
                        timings,
                    )
                }
                Err(e) => {
                    return (
                        Err(format!("{} ({}): {e}", target.plugin_ref, e.class())),
                        timings,
                    )
                }
            }
        }
        let mut request = request;
        for (plugin, target) in &transform_plugins {
            let (result, report) = host.transform(plugin, target, &wit_event, &request);
            timings.push((target.plugin_ref.clone(), report.duration));
            match result {
                Ok(out) => request = out,
                Err(e) => {
                    return (
                        Err(format!("{} ({}): {e}", target.plugin_ref, e.class())),
                        timings,
                    )
                }
            }
        }
        (Ok(PluginChain::Request(request)), timings)
    })
    .await;
    let (result, timings) = joined.map_err(|e| format!("plugin task failed: {e}"))?;
    for (plugin, took) in timings {
        app.metrics
            .plugin_call
            .get_or_create(&crate::metrics::PluginLabel {
                plugin: plugin.to_string(),
            })
            .observe(took.as_secs_f64());
    }
    result
}

/// Headers Herald owns: a transform may not set them.
const RESERVED: &[&str] = &[
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "x-webhook-signature",
    "host",
    "content-length",
    "authorization",
    "user-agent",
    "herald-event-type",
    "herald-attempt",
];

fn build_headers(
    webhook: &Webhook,
    event: &Event,
    msg_id: &str,
    number: u32,
    request: &WitRequest,
) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let mut put = |name: &str, value: &str| {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(n, v);
        }
    };
    for (name, value) in &webhook.headers {
        if !RESERVED.contains(&name.to_ascii_lowercase().as_str()) {
            put(name, value);
        }
    }
    for (name, value) in &request.headers {
        if !RESERVED.contains(&name.to_ascii_lowercase().as_str()) {
            put(name, value);
        }
    }
    if !request
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        put("content-type", "application/json");
    }
    put(
        "user-agent",
        concat!("Herald/", env!("CARGO_PKG_VERSION"), " (+webhooks)"),
    );
    put("herald-event-type", &event.event_type);
    put("herald-attempt", &number.to_string());
    let timestamp = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let now_ms = crate::store::now_ms();
    let live = webhook
        .secrets
        .iter()
        .filter(|s| s.expires_at_ms.is_none_or(|exp| exp > now_ms));
    match webhook.signature {
        SignatureScheme::Standard => {
            put("webhook-id", msg_id);
            put("webhook-timestamp", &timestamp.to_string());
            put(
                "webhook-signature",
                &sign::standard_signature(
                    live.map(|s| s.value.as_str()),
                    msg_id,
                    timestamp,
                    &request.body,
                ),
            );
        }
        SignatureScheme::Hex => {
            put("webhook-id", msg_id);
            if let Some(secret) = webhook.secrets.first() {
                put(
                    "x-webhook-signature",
                    &sign::hex_signature(&secret.value, &request.body),
                );
            }
        }
    }
    match &webhook.auth {
        Auth::None => {}
        Auth::Basic { username, password } => {
            use base64::Engine as _;
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
            put("authorization", &format!("Basic {token}"));
        }
        Auth::Bearer { token } => put("authorization", &format!("Bearer {token}")),
        Auth::Header { name, value } => put(name, value),
    }
    headers
}

/// The request headers as logged: credentials masked.
fn mask(headers: &HeaderMap, auth: &Auth) -> BTreeMap<String, String> {
    let secret_header = match auth {
        Auth::Header { name, .. } => Some(name.to_ascii_lowercase()),
        _ => None,
    };
    headers
        .iter()
        .map(|(n, v)| {
            let name = n.as_str().to_string();
            let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
            let value = if name == "authorization" {
                format!("{} ***", value.split(' ').next().unwrap_or_default())
            } else if secret_header.as_deref() == Some(name.as_str()) {
                "***".to_string()
            } else {
                value
            };
            (name, value)
        })
        .collect()
}

/// Returns the blocking thread's free memory (rate-limited) when dropped.
struct CollectOnDrop;

impl Drop for CollectOnDrop {
    fn drop(&mut self) {
        crate::memory::collect_if_due();
    }
}
