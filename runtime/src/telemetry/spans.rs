//! What becomes a span, and how trace context travels. One trace per
//! event: the publish request (continuing the producer's W3C
//! `traceparent`, when it sends one) is the root; its context is stored
//! with the event, and every attempt of every delivery, in whichever
//! worker process, is a child of it. An attempt's span holds the queue
//! wait, the version conversion and plugin chain (a span per plugin), the
//! signing, the HTTP request (a client span with the HTTP semantic
//! conventions' attributes, and its DNS, connect, TLS and first-byte
//! phases) and the outcome's write; a failed attempt's span has the error
//! status.
//!
//! Spans whose times Herald measured itself (queue wait, plugins, the
//! request's phases) are recorded with those times through the
//! OpenTelemetry API; the others are `tracing` spans of target [`TARGET`].
//! Nothing here runs unless [`super::on`].

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator as _};
use opentelemetry::trace::{Span as _, SpanKind, Status, TraceContextExt as _, Tracer as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use std::time::SystemTime;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// The `tracing` target of Herald's trace spans (the only spans exported).
pub const TARGET: &str = "herald::trace";

/// The tracer spans with measured times are recorded with (set once
/// tracing is set up).
pub(super) static TRACER: std::sync::OnceLock<opentelemetry_sdk::trace::Tracer> =
    std::sync::OnceLock::new();

/// Whether `span` is being recorded (its trace sampled); children of a
/// span that is not need not be made.
pub fn sampled(span: &tracing::Span) -> bool {
    !span.is_disabled() && span.context().span().span_context().is_sampled()
}

struct Headers<'a>(&'a http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

struct HeadersMut<'a>(&'a mut http::HeaderMap);

impl Injector for HeadersMut<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

struct One<'a>(&'a str);

impl Extractor for One<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        (key == "traceparent").then_some(self.0)
    }

    fn keys(&self) -> Vec<&str> {
        vec!["traceparent"]
    }
}

/// The context a request's `traceparent`/`tracestate` headers carry (an
/// empty context when they carry none or are malformed).
pub fn from_headers(headers: &http::HeaderMap) -> Context {
    TraceContextPropagator::new().extract(&Headers(headers))
}

/// The context a stored `traceparent` names.
pub fn from_traceparent(traceparent: &str) -> Context {
    TraceContextPropagator::new().extract(&One(traceparent))
}

/// Puts `span`'s context in `headers` as `traceparent` (and `tracestate`).
pub fn inject(span: &tracing::Span, headers: &mut http::HeaderMap) {
    TraceContextPropagator::new().inject_context(&span.context(), &mut HeadersMut(headers));
}

/// The W3C `traceparent` of `span`, when it has a valid context.
pub fn traceparent(span: &tracing::Span) -> Option<String> {
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context.is_valid().then(|| {
        format!(
            "00-{}-{}-{:02x}",
            span_context.trace_id(),
            span_context.span_id(),
            span_context.trace_flags().to_u8()
        )
    })
}

/// Continues the trace of `parent` in `span`, and records the trace and
/// span ids in its `trace_id` and `span_id` fields (for the logs).
pub fn continue_in(span: &tracing::Span, parent: Context) {
    // Fails only for a span that is disabled or already started: nothing to do then.
    let _ = span.set_parent(parent);
    let context = span.context();
    let span_context = context.span().span_context().clone();
    if span_context.is_valid() {
        span.record("trace_id", tracing::field::display(span_context.trace_id()));
        span.record("span_id", tracing::field::display(span_context.span_id()));
    }
}

/// Marks `span` failed, with `message` as the status description.
pub fn fail(span: &tracing::Span, message: impl Into<String>) {
    span.set_status(Status::error(message.into()));
}

/// A finished span under `parent`, from `start` to `end`, for work whose
/// times Herald measured; `error` sets the error status. Returns its
/// context, for children.
pub fn record(
    parent: &Context,
    name: impl Into<std::borrow::Cow<'static, str>>,
    (start, end): (SystemTime, SystemTime),
    kind: SpanKind,
    attributes: Vec<KeyValue>,
    error: Option<String>,
) -> Context {
    let span_context = parent.span().span_context().clone();
    let Some(tracer) = TRACER.get().filter(|_| span_context.is_sampled()) else {
        // Not inside a recorded span (a dry run, a test send, a trace not
        // sampled): nothing to record.
        return parent.clone();
    };
    let mut span = tracer
        .span_builder(name)
        .with_kind(kind)
        .with_start_time(start)
        .with_attributes(attributes)
        .start_with_context(tracer, parent);
    if let Some(message) = error {
        span.set_status(Status::error(message));
    }
    let context = parent.with_remote_span_context(span.span_context().clone());
    span.end_with_timestamp(end.max(start));
    context
}

/// `started` plus `ms` milliseconds.
pub fn after(started: SystemTime, ms: f64) -> SystemTime {
    started + std::time::Duration::from_secs_f64(ms.max(0.0) / 1e3)
}

/// The HTTP request's phases as children of the client span `send`
/// (started at `started`): DNS, connect, TLS (for a new connection) and
/// the wait for the response head.
pub fn request_phases(send: &tracing::Span, started: SystemTime, t: &crate::model::Timings) {
    let parent = send.context();
    let mut at = started;
    let phases = [
        ("dns", t.dns_ms),
        ("connect", t.connect_ms),
        ("tls", t.tls_ms),
        ("first byte", t.first_byte_ms),
    ];
    for (name, ms) in phases {
        if let Some(ms) = ms {
            let end = after(at, ms);
            record(
                &parent,
                name,
                (at, end),
                SpanKind::Internal,
                Vec::new(),
                None,
            );
            at = end;
        }
    }
}

/// The plugin calls of one chain as spans under the current span: a
/// `plugins` span over the chain with one child per call, each ending when
/// the call returned.
pub fn plugin_calls(
    started: SystemTime,
    calls: &[(std::sync::Arc<str>, std::time::Duration, SystemTime)],
) {
    let Some(last) = calls.last() else {
        return;
    };
    let parent = tracing::Span::current().context();
    let chain = record(
        &parent,
        "plugins",
        (started, last.2),
        SpanKind::Internal,
        Vec::new(),
        None,
    );
    for (plugin, took, ended) in calls {
        let start = ended.checked_sub(*took).unwrap_or(*ended);
        record(
            &chain,
            format!("plugin {plugin}"),
            (start, *ended),
            SpanKind::Internal,
            vec![KeyValue::new("herald.plugin", plugin.to_string())],
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_traceparent_round_trips_through_a_context() {
        let tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        let context = from_traceparent(tp);
        let span_context = context.span().span_context().clone();
        assert!(span_context.is_valid() && span_context.is_remote());
        assert_eq!(
            span_context.trace_id().to_string(),
            "0af7651916cd43dd8448eb211c80319c"
        );
        let mut headers = http::HeaderMap::new();
        headers.insert("traceparent", tp.parse().expect("header"));
        let from = from_headers(&headers);
        assert_eq!(from.span().span_context(), &span_context);
        let bad = from_traceparent("00-nothex-b7ad6b7169203331-01");
        assert!(!bad.span().span_context().is_valid());
    }
}
