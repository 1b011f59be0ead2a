//! The server span of a publishing request, as an extractor: when traces
//! are exported ([`crate::telemetry::on`]) it continues the caller's W3C
//! `traceparent` (a new trace without one) and carries the HTTP server
//! semantic conventions' attributes; otherwise it is a disabled span and
//! costs nothing.

use crate::telemetry::{self, spans};
use axum::extract::{FromRequestParts, MatchedPath};
use axum::http::request::Parts;
use std::convert::Infallible;
use tracing::field::Empty;

/// The request's server span.
#[derive(Debug, Clone)]
pub struct Traced(pub tracing::Span);

impl<S: Send + Sync> FromRequestParts<S> for Traced {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        if !telemetry::on() {
            return Ok(Traced(tracing::Span::none()));
        }
        let route = parts
            .extensions
            .get::<MatchedPath>()
            .map_or_else(|| parts.uri.path().to_string(), |m| m.as_str().to_string());
        let method = parts.method.as_str();
        let span = tracing::info_span!(
            target: spans::TARGET,
            "request",
            otel.name = %format!("{method} {route}"),
            otel.kind = "server",
            otel.status_code = Empty,
            http.request.method = %method,
            http.route = %route,
            url.path = %parts.uri.path(),
            http.response.status_code = Empty,
            herald.org = Empty,
            herald.event.id = Empty,
            herald.event.type = Empty,
            herald.events = Empty,
            herald.deliveries = Empty,
            trace_id = Empty,
            span_id = Empty,
        );
        spans::continue_in(&span, spans::from_headers(&parts.headers));
        Ok(Traced(span))
    }
}

impl Traced {
    /// The `traceparent` events published in this request carry.
    pub fn traceparent(&self) -> Option<String> {
        telemetry::on()
            .then(|| spans::traceparent(&self.0))
            .flatten()
    }

    /// Records the answer: its status, and the error status for a 5xx (a
    /// 4xx is the caller's fault, not a failure of the server span).
    pub fn answered(&self, status: u16, error: Option<&str>) {
        if self.0.is_disabled() {
            return;
        }
        self.0.record("http.response.status_code", status);
        if status >= 500 {
            spans::fail(&self.0, error.unwrap_or("server error"));
        }
    }
}
