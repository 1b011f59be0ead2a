//! OpenTelemetry traces end to end: the `herald` binary exports to a real
//! OTLP collector (HTTP/protobuf and gRPC), decoded with the
//! `opentelemetry-proto` crate. One event's trip is one trace, continuing
//! the producer's `traceparent`: the publish span, each attempt as its
//! child, and under each attempt the queue wait, the plugins (one span per
//! plugin), the signing, the HTTP client span (with the HTTP semantic
//! conventions' attributes and its connection phases) and the outcome's
//! write. A failing attempt is an error span; a webhook that asks for it
//! receives the trace context.

use herald_e2e::backend::TestBackend;
use herald_e2e::herald::{HeraldProcess, Options, ADMIN_TOKEN};
use herald_e2e::otlp::{Collector, ReceivedSpan};
use herald_e2e::receiver::{Answer, Receiver};
use herald_e2e::tls::TestCa;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);
/// The producer's trace and span.
const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PRODUCER_SPAN: &str = "00f067aa0ba902b7";

fn children<'a>(spans: &'a [ReceivedSpan], parent: &ReceivedSpan) -> Vec<&'a ReceivedSpan> {
    spans
        .iter()
        .filter(|s| s.parent_span_id == parent.span_id)
        .collect()
}

fn named<'a>(spans: &[&'a ReceivedSpan], name: &str) -> &'a ReceivedSpan {
    spans
        .iter()
        .find(|s| s.name == name)
        .copied()
        .unwrap_or_else(|| {
            panic!(
                "no {name:?} among {:?}",
                spans.iter().map(|s| &s.name).collect::<Vec<_>>()
            )
        })
}

async fn herald_exporting_to(
    redis: &TestBackend,
    ca: &TestCa,
    collector: &Collector,
    protocol: &str,
) -> HeraldProcess {
    let endpoint = collector.url();
    HeraldProcess::start(Options::trusting(
        redis,
        ca,
        &[
            ("HERALD_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("HERALD_LOG_FORMAT", "json"),
        ],
    ))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_event_is_one_trace_from_publish_to_every_attempt() {
    let (redis, ca) = (TestBackend::start(), TestCa::new());
    let collector = Collector::http().await;
    let ok = Receiver::ok(Some(ca.server.clone())).await;
    let refusing: Answer = Arc::new(|_, _| (422, vec![], Duration::ZERO));
    let failing = Receiver::start(Some(ca.server.clone()), refusing).await;
    let h = herald_exporting_to(&redis, &ca, &collector, "http/protobuf").await;
    let wasm = std::fs::read(herald_e2e::plugin_wasm("threshold-filter")).expect("plugin built");
    let (status, body) = h.call_raw("PUT", "/v1/plugins/threshold/1.0.0", wasm).await;
    assert_eq!(status, 201, "{body}");
    let org = h.org().await;
    h.webhook(&org, json!({"name": "traced", "url": ok.url(), "active": true, "triggers": [{"event": "a"}],
        "forward_trace_context": true,
        "plugins": {"filters": [{"plugin": "threshold@1.0.0", "config": {"path": "data.total", "above": 1}}]}}))
        .await;
    h.webhook(&org, json!({"name": "failing", "url": failing.url(), "active": true, "triggers": [{"event": "a"}],
        "retry": {"schedule": ["50ms"]}}))
        .await;

    let traceparent = format!("00-{TRACE}-{PRODUCER_SPAN}-01");
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let (status, _, answer) = h
        .raw(
            "POST",
            &format!("/v1/orgs/{org}/events"),
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
                ("traceparent", &traceparent),
            ],
            Some(json!({"id": "traced-1", "type": "a", "data": {"total": 5}}).to_string()),
        )
        .await;
    assert_eq!(status, 202, "{answer}");

    // The publish span, then three attempts (one delivered, two failed).
    let spans = collector
        .wait_until(WAIT, |spans| {
            spans
                .iter()
                .filter(|s| s.name == "delivery attempt")
                .count()
                >= 3
                && spans.iter().filter(|s| s.name == "record outcome").count() >= 3
        })
        .await;
    let spans: Vec<ReceivedSpan> = spans.into_iter().filter(|s| s.trace_id == TRACE).collect();
    let publish = spans
        .iter()
        .find(|s| s.name == "POST /v1/orgs/{org}/events")
        .expect("the publish span, in the producer's trace");
    assert_eq!(publish.parent_span_id, PRODUCER_SPAN);
    assert_eq!(publish.kind, 2, "a server span");
    assert_eq!(publish.service, "herald");
    assert_eq!(publish.attr("http.request.method"), Some("POST"));
    assert_eq!(publish.attr("http.route"), Some("/v1/orgs/{org}/events"));
    assert_eq!(publish.attr("herald.event.id"), Some("traced-1"));
    assert_eq!(publish.attr("http.response.status_code"), Some("202"));
    let attempts: Vec<&ReceivedSpan> = children(&spans, publish)
        .into_iter()
        .filter(|s| s.name == "delivery attempt")
        .collect();
    assert_eq!(
        attempts.len(),
        3,
        "every attempt is a child of the publish span"
    );

    let delivered = attempts
        .iter()
        .find(|a| a.attr("herald.outcome") == Some("succeeded"))
        .expect("the delivered attempt");
    assert_eq!(delivered.status, 0, "{delivered:?}");
    assert_eq!(delivered.attr("herald.attempt"), Some("1"));
    let inside = children(&spans, delivered);
    named(&inside, "queue wait");
    named(&inside, "sign");
    named(&inside, "record outcome");
    let plugins = named(&inside, "plugins");
    let calls = children(&spans, plugins);
    let call = named(&calls, "plugin threshold@1.0.0");
    assert_eq!(call.attr("herald.plugin"), Some("threshold@1.0.0"));
    let send = named(&inside, "POST");
    assert_eq!(send.kind, 3, "a client span");
    assert_eq!(send.attr("http.request.method"), Some("POST"));
    assert_eq!(send.attr("http.response.status_code"), Some("200"));
    assert_eq!(send.attr("server.address"), Some("localhost"));
    assert_eq!(
        send.attr("server.port"),
        Some(
            ok.url()
                .rsplit(':')
                .next()
                .and_then(|p| p.split('/').next())
                .expect("port")
        )
    );
    assert!(
        send.attr("url.full")
            .is_some_and(|u| u.starts_with("https://localhost:")),
        "{send:?}"
    );
    let phases = children(&spans, send);
    for phase in ["connect", "tls", "first byte"] {
        let p = named(&phases, phase);
        assert!(
            p.times.0 >= send.times.0 && p.times.1 <= send.times.1 + 1_000_000,
            "{phase} inside the request: {p:?} {send:?}"
        );
    }

    // The receiver that asked for it got the trace context: the same trace,
    // with Herald's client span as the parent.
    let got = ok.wait_for(1, WAIT).await;
    let forwarded = got[0].header("traceparent").expect("traceparent forwarded");
    assert_eq!(forwarded, format!("00-{TRACE}-{}-01", send.span_id));
    let plain = failing.wait_for(1, WAIT).await;
    assert!(
        plain[0].header("traceparent").is_none(),
        "not forwarded unless asked"
    );

    // The failing attempts are error spans, their client spans too.
    let failed: Vec<&&ReceivedSpan> = attempts
        .iter()
        .filter(|a| a.attr("herald.outcome") != Some("succeeded"))
        .collect();
    assert_eq!(failed.len(), 2);
    for attempt in failed {
        assert_eq!(attempt.status, 2, "an error span: {attempt:?}");
        let send = named(&children(&spans, attempt), "POST");
        assert_eq!(send.status, 2);
        assert_eq!(send.attr("http.response.status_code"), Some("422"));
        assert_eq!(send.attr("error.type"), Some("422"));
    }
    let outcomes: Vec<&str> = attempts
        .iter()
        .filter_map(|a| a.attr("herald.outcome"))
        .collect();
    assert!(
        outcomes.contains(&"failed") && outcomes.contains(&"dead"),
        "{outcomes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traces_also_go_over_grpc_and_logs_name_the_trace() {
    let (redis, ca) = (TestBackend::start(), TestCa::new());
    let collector = Collector::grpc().await;
    let gone: Answer = Arc::new(|_, _| (410, vec![], Duration::ZERO));
    let ok = Receiver::start(Some(ca.server.clone()), gone).await;
    let h = herald_exporting_to(&redis, &ca, &collector, "grpc").await;
    let org = h.org().await;
    h.webhook(
        &org,
        json!({"name": "w", "url": ok.url(), "active": true, "triggers": [{"event": "a"}]}),
    )
    .await;
    let fine = Receiver::ok(Some(ca.server.clone())).await;
    h.webhook(
        &org,
        json!({"name": "s", "url": fine.url(), "active": true, "triggers": [{"event": "s"}]}),
    )
    .await;
    h.publish(&org, json!({"id": "grpc-1", "type": "a", "data": {}}))
        .await;
    // An event from the ingest stream starts its trace there.
    let mut con = redis.connection().await;
    let _: String = redis::cmd("XADD")
        .arg(herald::store::keys::INGEST)
        .arg("*")
        .arg("org")
        .arg(&org)
        .arg("type")
        .arg("s")
        .arg("data")
        .arg("{}")
        .query_async(&mut con)
        .await
        .expect("xadd");
    let spans = collector
        .wait_until(WAIT, |spans| {
            spans.iter().filter(|s| s.name == "record outcome").count() >= 2
        })
        .await;
    let ingest = spans
        .iter()
        .find(|s| s.name == "ingest")
        .expect("ingest span");
    assert!(ingest.parent_span_id.is_empty());
    assert!(
        spans
            .iter()
            .any(|s| s.name == "delivery attempt" && s.parent_span_id == ingest.span_id),
        "the stream event's attempt continues its trace"
    );
    let publish = spans
        .iter()
        .find(|s| s.name == "POST /v1/orgs/{org}/events")
        .expect("publish span");
    assert!(
        publish.parent_span_id.is_empty(),
        "a new trace: {publish:?}"
    );
    let attempt = spans
        .iter()
        .find(|s| s.name == "delivery attempt" && s.trace_id == publish.trace_id)
        .expect("attempt span");
    assert_eq!(attempt.trace_id, publish.trace_id);
    assert_eq!(attempt.parent_span_id, publish.span_id);
    assert_eq!(attempt.kind, 5, "a consumer span");
    assert_eq!(attempt.status, 2, "410 Gone: an error span");
    assert!(ok.received()[0].header("traceparent").is_none());
    // The warning logged inside the attempt (JSON logs) names its trace.
    let log = h.log();
    let line = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| {
            l["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("410 Gone"))
        })
        .unwrap_or_else(|| panic!("no 410 warning in:\n{log}"));
    assert_eq!(
        line["span"]["trace_id"],
        attempt.trace_id.as_str(),
        "{line}"
    );
    assert_eq!(line["span"]["span_id"], attempt.span_id.as_str(), "{line}");
}
