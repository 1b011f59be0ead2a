//! One delivery attempt, in the order of the data path: the conversion to
//! the event version the webhook receives ([`version`]), native trigger
//! filters, the plugin chain ([`chain`]: filter plugins, then transform
//! plugins, on the blocking pool), the request ([`request`]: the signature
//! over the exact bytes, auth, custom headers), the send, and the attempt
//! record with secrets masked. When traces are exported, the signing and
//! the request are spans of the attempt ([`trace`]).

mod chain;
mod request;
mod trace;
mod version;

use chain::ChainResult;

use crate::app::App;
use crate::deliver::{Outgoing, Received, SendFailure};
use crate::event::Event;
use crate::filter;
use crate::model::{Attempt, AttemptError, ErrorClass, PluginLogLine, Timings, Webhook};
use bytes::Bytes;
use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};
use tracing::Instrument as _;

/// How an attempt ended, for the retry decision.
#[derive(Debug, Clone)]
pub enum Ending {
    /// A filter dropped the event; nothing was sent.
    Filtered(String),
    /// A 2xx.
    Delivered,
    /// Failed; `gone` for a 410, `retry_after` when the receiver asked,
    /// `permanent` when a plugin said retrying cannot help.
    Failed {
        /// The receiver answered 410 Gone.
        gone: bool,
        /// A bounded-later retry the receiver asked for (429 / 503).
        retry_after: Option<Duration>,
        /// A plugin's permanent error: the delivery is dead at once.
        permanent: bool,
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
/// sending) and how it ended.
pub type Finished = (Option<Attempt>, Ending);

/// How much of a transformed body an attempt keeps (as for responses).
const SENT_BODY_KEPT: usize = 64 << 10;

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
) -> Finished {
    let started = Instant::now();
    let at = crate::clock::now_rfc3339();
    let ready = match prepare(app, webhook, event, msg_id, number, filters).await {
        Stage::Filtered(reason) => return (None, Ending::Filtered(reason)),
        Stage::PluginFailed {
            message,
            permanent,
            logs,
            plugins_ms,
        } => {
            let mut attempt = record(number, &at, started, BTreeMap::new());
            attempt.plugin_logs = logs;
            attempt.error = Some(AttemptError {
                class: ErrorClass::Plugin,
                message,
            });
            attempt.timings.plugins_ms = Some(plugins_ms);
            return (
                Some(attempt),
                Ending::Failed {
                    gone: false,
                    retry_after: None,
                    permanent,
                },
            );
        }
        Stage::Ready(ready) => ready,
    };
    let Ready {
        mut headers,
        body,
        logs,
        plugins_ms,
        converted,
    } = ready;
    let checked = app.policy.check_url(&webhook.url);
    let request_span = checked
        .as_ref()
        .map_or_else(|_| tracing::Span::none(), trace::request);
    if webhook.forward_trace_context && !request_span.is_disabled() {
        crate::telemetry::spans::inject(&request_span, &mut headers);
    }
    let masked = request::mask(&headers, &webhook.auth);
    let mut attempt = record(number, &at, started, masked);
    attempt.timings.plugins_ms = plugins_ms;
    attempt.plugin_logs = logs;
    if converted || !webhook.plugins.transforms.is_empty() {
        let cut = body.len().min(SENT_BODY_KEPT);
        attempt.request_body = Some(String::from_utf8_lossy(&body[..cut]).into_owned());
        attempt.request_body_truncated = cut < body.len();
    }
    let uri = match checked {
        Ok(uri) => uri,
        Err(refused) => {
            attempt.error = Some(AttemptError {
                class: ErrorClass::Blocked,
                message: refused.0,
            });
            return finish(
                attempt,
                started,
                Ending::Failed {
                    gone: false,
                    retry_after: None,
                    permanent: false,
                },
            );
        }
    };
    let out = Outgoing {
        uri,
        headers,
        body: Bytes::from(body),
        timeout: webhook.timeout,
    };
    let mut timings = Timings::default();
    let sending = SystemTime::now();
    let sent = app
        .sender
        .send(out, &mut timings)
        .instrument(request_span.clone())
        .await;
    timings.plugins_ms = plugins_ms;
    attempt.timings = timings;
    let result = match sent {
        Ok(received) => response(&mut attempt, received),
        Err(SendFailure { class, message }) => {
            attempt.error = Some(AttemptError { class, message });
            Ending::Failed {
                gone: false,
                retry_after: None,
                permanent: false,
            }
        }
    };
    trace::answered(&request_span, sending, &attempt);
    finish(attempt, started, result)
}

/// How far an attempt got before sending.
pub enum Stage {
    /// A native filter or a filter plugin dropped the event.
    Filtered(String),
    /// A plugin failed.
    PluginFailed {
        /// What failed.
        message: String,
        /// The plugin said retrying cannot help.
        permanent: bool,
        /// What the plugins logged.
        logs: Vec<PluginLogLine>,
        /// Time in plugins.
        plugins_ms: f64,
    },
    /// The request, signed and ready to send.
    Ready(Ready),
}

/// A request ready to send.
pub struct Ready {
    /// Every header, credentials included (mask before showing).
    pub headers: http::HeaderMap,
    /// The exact body.
    pub body: Vec<u8>,
    /// What the plugins logged.
    pub logs: Vec<PluginLogLine>,
    /// Time in plugins, when the webhook has any (or the event was
    /// converted to an older version).
    pub plugins_ms: Option<f64>,
    /// The event was converted to an older version: the body is not the
    /// event as published.
    pub converted: bool,
}

/// Everything an attempt does before sending: the conversion to the
/// event version the webhook receives ([`version`]), native filters (when
/// `filters` apply), the plugin chain, the headers and the signature.
pub async fn prepare(
    app: &App,
    webhook: &Webhook,
    event: &Event,
    msg_id: &str,
    number: u32,
    filters: Filters,
) -> Stage {
    let plugins_started = Instant::now();
    let mut converting = chain::Logs::default();
    let versioned = match version::convert(app, webhook, event, &mut converting).await {
        Ok(versioned) => versioned,
        Err(chain::ChainFailure { message, permanent }) => {
            return Stage::PluginFailed {
                message,
                permanent,
                logs: converting.0,
                plugins_ms: ms(plugins_started.elapsed()),
            }
        }
    };
    let event = versioned.converted.as_ref().unwrap_or(event);
    if filters == Filters::Apply {
        if let Some(reason) = native_filter(webhook, event) {
            return Stage::Filtered(reason);
        }
    }
    let payload = event.payload();
    let (chained, logs) = chain::run_plugins(app, webhook, event, payload, filters).await;
    let mut logs = logs.0;
    if !converting.0.is_empty() {
        converting.0.extend(logs);
        converting.0.truncate(crate::model::MAX_PLUGIN_LOG_LINES);
        logs = converting.0;
    }
    let request = match chained {
        Ok(ChainResult::Request(request)) => request,
        Ok(ChainResult::Dropped(reason)) => return Stage::Filtered(reason),
        Err(chain::ChainFailure { message, permanent }) => {
            return Stage::PluginFailed {
                message,
                permanent,
                logs,
                plugins_ms: ms(plugins_started.elapsed()),
            }
        }
    };
    let converted = versioned.converted.is_some();
    let plugins_ms = (converted
        || !webhook.plugins.filters.is_empty()
        || !webhook.plugins.transforms.is_empty())
    .then(|| ms(plugins_started.elapsed()));
    let signing = trace::signing();
    let headers = request::build_headers(
        webhook,
        event,
        versioned.version.as_deref(),
        msg_id,
        number,
        &request,
    );
    trace::signed(signing);
    Stage::Ready(Ready {
        headers,
        body: request.body,
        logs,
        plugins_ms,
        converted,
    })
}

/// Headers as an attempt records them: credentials masked.
pub fn masked_headers(headers: &http::HeaderMap, webhook: &Webhook) -> BTreeMap<String, String> {
    request::mask(headers, &webhook.auth)
}

fn finish(mut attempt: Attempt, started: Instant, result: Ending) -> Finished {
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
        request_body: None,
        request_body_truncated: false,
        plugin_logs: Vec::new(),
    }
}

fn response(attempt: &mut Attempt, received: Received) -> Ending {
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
        return Ending::Delivered;
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
    Ending::Failed {
        gone: status == http::StatusCode::GONE,
        retry_after,
        permanent: false,
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
