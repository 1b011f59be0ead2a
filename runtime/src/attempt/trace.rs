//! An attempt's spans inside the attempt's own span (see
//! [`crate::telemetry::spans`]): the signing, and the HTTP client span with
//! the HTTP semantic conventions' attributes (method, `url.full` without
//! its query, server address and port, response status, `error.type`) and
//! its DNS, connect, TLS and first-byte phases. Nothing unless traces are
//! exported.

use crate::model::Attempt;
use crate::telemetry::{self, spans};
use opentelemetry::trace::SpanKind;
use std::time::SystemTime;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// Records the signing (headers built and signed from `started` to now).
pub(super) fn signed(started: Option<SystemTime>) {
    if let Some(started) = started {
        let parent = tracing::Span::current().context();
        let now = SystemTime::now();
        spans::record(
            &parent,
            "sign",
            (started, now),
            SpanKind::Internal,
            Vec::new(),
            None,
        );
    }
}

/// When the signing starts, if the attempt is being traced.
pub(super) fn signing() -> Option<SystemTime> {
    (telemetry::on() && spans::sampled(&tracing::Span::current())).then(SystemTime::now)
}

/// The client span of the request to `uri`.
pub(super) fn request(uri: &http::Uri) -> tracing::Span {
    if !telemetry::on() || !spans::sampled(&tracing::Span::current()) {
        return tracing::Span::none();
    }
    let scheme = uri.scheme_str().unwrap_or("https");
    let host = uri.host().unwrap_or_default();
    let port = uri
        .port_u16()
        .unwrap_or(if scheme == "http" { 80 } else { 443 });
    let authority = uri.authority().map_or("", |a| a.as_str());
    tracing::info_span!(
        target: spans::TARGET,
        "request",
        otel.name = "POST",
        otel.kind = "client",
        otel.status_code = Empty,
        http.request.method = "POST",
        url.full = %format!("{scheme}://{authority}{}", uri.path()),
        server.address = %host,
        server.port = port,
        http.response.status_code = Empty,
        error.type = Empty,
    )
}

/// Notes the request's answer (or failure) and its phases, from `started`.
pub(super) fn answered(span: &tracing::Span, started: SystemTime, attempt: &Attempt) {
    if span.is_disabled() {
        return;
    }
    if let Some(code) = attempt.status_code {
        span.record("http.response.status_code", code);
    }
    if let Some(error) = &attempt.error {
        let kind = attempt
            .status_code
            .map_or_else(|| error.class.as_str().to_string(), |c| c.to_string());
        span.record("error.type", kind.as_str());
        spans::fail(span, format!("{}: {}", error.class.as_str(), error.message));
    }
    spans::request_phases(span, started, &attempt.timings);
}
