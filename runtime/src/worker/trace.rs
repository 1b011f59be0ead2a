//! The span of one attempt (see [`crate::telemetry::spans`]): a child of
//! the span that published the event, holding the queue wait (from the
//! queue entry's time) and, through the attempt's instrumented future,
//! its plugins, signing and request; the outcome and its write are added
//! when it ends. Disabled spans, at no cost, unless traces are exported.

use crate::event::Event;
use crate::store::deliveries::DeliveryRecord;
use crate::store::outcomes::Outcome;
use crate::telemetry::{self, spans};
use opentelemetry::trace::SpanKind;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// The span of attempt `number` of `delivery`, claimed from queue entry
/// `entry_id`.
pub(super) fn attempt(
    delivery: &DeliveryRecord,
    event: &Event,
    number: u32,
    entry_id: &str,
) -> tracing::Span {
    if !telemetry::on() {
        return tracing::Span::none();
    }
    let span = tracing::info_span!(
        target: spans::TARGET,
        "delivery attempt",
        otel.kind = "consumer",
        otel.status_code = Empty,
        herald.org = %delivery.org,
        herald.webhook.id = %delivery.webhook_id,
        herald.delivery.id = %delivery.id,
        herald.event.id = %event.id,
        herald.event.type = %event.event_type,
        herald.attempt = number,
        herald.outcome = Empty,
        trace_id = Empty,
        span_id = Empty,
    );
    let parent = event
        .traceparent
        .as_deref()
        .map(spans::from_traceparent)
        .unwrap_or_default();
    spans::continue_in(&span, parent);
    if !spans::sampled(&span) {
        // Its trace is not recorded: no span at all, at no further cost.
        return tracing::Span::none();
    }
    // Stream entry ids begin with the Unix ms they were added at.
    if let Some(queued_ms) = entry_id
        .split_once('-')
        .and_then(|(ms, _)| ms.parse::<u64>().ok())
    {
        let queued = UNIX_EPOCH + Duration::from_millis(queued_ms);
        let now = SystemTime::now();
        spans::record(
            &span.context(),
            "queue wait",
            (queued.min(now), now),
            SpanKind::Internal,
            Vec::new(),
            None,
        );
    }
    span
}

/// Notes how the attempt ended: its outcome, and the error status when it
/// failed (`error`, the failure's class and message).
pub(super) fn ended(span: &tracing::Span, outcome: &Outcome, error: &str) {
    if span.is_disabled() {
        return;
    }
    let name = match outcome {
        Outcome::Succeeded => "succeeded",
        Outcome::Filtered { .. } => "filtered",
        Outcome::Retry { .. } | Outcome::Held { .. } => "failed",
        Outcome::Dead => "dead",
    };
    span.record("herald.outcome", name);
    if !error.is_empty() {
        spans::fail(span, error);
    }
}

/// The span of writing the outcome, under `attempt`.
pub(super) fn recording(attempt: &tracing::Span) -> tracing::Span {
    if attempt.is_disabled() {
        return tracing::Span::none();
    }
    tracing::info_span!(target: spans::TARGET, parent: attempt, "record outcome")
}
