//! Ingest from the stream: producers may `XADD` to `herald:ingest` with the
//! fields `org`, `type`, `data` (JSON text) and optionally `id` and
//! `environment`. Herald consumes it (consumer group `herald-ingest`) with
//! the API's semantics and the API's input rules ([`NewEvent::parse_text`]):
//! an entry is published, or, when it breaks a rule or names an unknown
//! org, kept in the rejected stream with its reason (listed by
//! `GET /v1/ingest/rejected`, counted in `herald_ingest_rejected_total`) and
//! acknowledged. An entry that failed on Redis stays pending and is retried.
//!
//! Publishing itself (the event stored and fanned out in one script) is
//! [`crate::store::events`].

use crate::event::NewEvent;
use crate::shutdown::sleep_or_stop;
use crate::store::ingest_stream::IngestEntry;
use crate::store::Store;
use prometheus_client::metrics::counter::Counter;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

/// The counters the consumer moves.
#[derive(Clone, Debug, Default)]
pub struct Counters {
    /// Events published (first time).
    pub ingested: Counter,
    /// Entries rejected.
    pub rejected: Counter,
}

/// What to do with one entry.
enum Verdict {
    /// Publish it.
    Publish(String, NewEvent),
    /// Reject it, with the reason.
    Reject(String),
}

fn judge(entry: &IngestEntry) -> Verdict {
    let field = |k: &str| entry.fields.get(k).filter(|v| !v.is_empty()).cloned();
    let Some(org) = field("org") else {
        return Verdict::Reject("missing field `org`".into());
    };
    let Some(event_type) = field("type") else {
        return Verdict::Reject("missing field `type`".into());
    };
    let Some(data) = field("data") else {
        return Verdict::Reject("missing field `data` (a JSON object as text)".into());
    };
    if let Some(unknown) = entry
        .fields
        .keys()
        .find(|k| !["org", "type", "data", "id", "environment"].contains(&k.as_str()))
    {
        return Verdict::Reject(format!(
            "unknown field `{unknown}`; fields are org, type, data, id, environment"
        ));
    }
    match NewEvent::parse_text(field("id"), event_type, data, field("environment")) {
        Ok(event) => Verdict::Publish(org, event),
        Err(why) => Verdict::Reject(why),
    }
}

/// Consumes the ingest stream until `shutdown`. `reader` is a dedicated
/// store connection for the blocking reads.
pub async fn consume_stream(
    store: Store,
    reader: Store,
    metrics: Counters,
    consumer: String,
    shutdown: CancellationToken,
) {
    // Entries claimed by this consumer and not yet acknowledged come first, then new ones.
    let mut pending = true;
    loop {
        if shutdown.is_cancelled() {
            return;
        }
        let read = tokio::select! {
            _ = shutdown.cancelled() => return,
            r = reader.read_ingest(&consumer, pending, 100, Duration::from_secs(1)) => r,
        };
        let entries = match read {
            Ok(entries) => entries,
            Err(e) => {
                tracing::warn!("reading the ingest stream failed: {e}");
                if sleep_or_stop(Duration::from_millis(500), &shutdown).await {
                    return;
                }
                continue;
            }
        };
        if entries.is_empty() && pending {
            pending = false;
            continue;
        }
        for entry in entries {
            let result = match judge(&entry) {
                Verdict::Reject(why) => reject(&store, &metrics, &entry, &why).await,
                Verdict::Publish(org, event) => match publish(&store, &entry, &org, event).await {
                    Ok(Some(published)) => {
                        if published.created {
                            metrics.ingested.inc();
                        }
                        store.ack_ingest(&entry.id).await
                    }
                    Ok(None) => {
                        let why = format!("unknown org `{org}`");
                        reject(&store, &metrics, &entry, &why).await
                    }
                    Err(e) => Err(e),
                },
            };
            if let Err(e) = result {
                tracing::warn!(entry = %entry.id, "ingest stream entry left pending, will be retried: {e}");
            }
        }
    }
}

/// Publishes a stream entry's event, in its own trace when traces are
/// exported.
async fn publish(
    store: &Store,
    entry: &IngestEntry,
    org: &str,
    mut event: NewEvent,
) -> Result<Option<crate::store::events::Published>, crate::store::StoreError> {
    let span = ingest_span(entry, org, &event);
    event.traceparent = crate::telemetry::spans::traceparent(&span);
    store.publish(org, event).instrument(span).await
}

/// The root span of an event published from the stream (its trace starts
/// here: stream entries carry no trace context); disabled unless traces
/// are exported.
fn ingest_span(entry: &IngestEntry, org: &str, event: &NewEvent) -> tracing::Span {
    if !crate::telemetry::on() {
        return tracing::Span::none();
    }
    let span = tracing::info_span!(
        target: crate::telemetry::spans::TARGET,
        "ingest",
        otel.kind = "consumer",
        herald.org = %org,
        herald.event.type = %event.event_type,
        herald.ingest.entry = %entry.id,
        trace_id = tracing::field::Empty,
        span_id = tracing::field::Empty,
    );
    crate::telemetry::spans::continue_in(&span, opentelemetry::Context::new());
    span
}

async fn reject(
    store: &Store,
    metrics: &Counters,
    entry: &IngestEntry,
    why: &str,
) -> Result<(), crate::store::StoreError> {
    tracing::warn!(entry = %entry.id, "rejecting ingest stream entry: {why}");
    store.reject_ingest(entry, why).await?;
    metrics.rejected.inc();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn entry(fields: &[(&str, &str)]) -> IngestEntry {
        IngestEntry {
            id: "1-0".into(),
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<HashMap<_, _>>(),
        }
    }

    fn reason(fields: &[(&str, &str)]) -> String {
        match judge(&entry(fields)) {
            Verdict::Reject(why) => why,
            Verdict::Publish(..) => String::new(),
        }
    }

    #[test]
    fn the_stream_applies_the_apis_rules() {
        let ok = [("org", "o"), ("type", "t"), ("data", "{}")];
        assert!(matches!(judge(&entry(&ok)), Verdict::Publish(..)));
        assert!(reason(&[("org", "o"), ("type", "t"), ("data", "[1]")]).contains("JSON object"));
        let long = "x".repeat(10_000);
        assert!(reason(&[("org", "o"), ("type", &long), ("data", "{}")]).contains("`type`"));
        assert!(reason(&[("type", "t"), ("data", "{}")]).contains("`org`"));
        assert!(reason(&[("org", "o"), ("type", "t"), ("data", "{}"), ("x", "1")]).contains("`x`"));
    }
}
