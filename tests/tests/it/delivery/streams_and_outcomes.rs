//! The ingest stream, metrics and graceful shutdown of the real binary, and
//! a burst of mixed outcomes recorded exactly.

use super::{answer, herald, WAIT};
use herald::store::keys;
use herald_e2e::backend::TestBackend;
use herald_e2e::herald::{Api, HeraldProcess, Options};
use herald_e2e::receiver::Receiver;
use herald_e2e::tls::TestCa;
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_stream_metrics_and_graceful_shutdown() {
    let (redis, ca) = (TestBackend::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    // The binary: SIGTERM and its exit code are part of the test.
    let mut h = HeraldProcess::start(Options::trusting(&redis, &ca, &[])).await;
    let org = h.org().await;
    h.webhook(&org, json!({"name": "s", "url": receiver.url(), "active": true, "triggers": [{"event": "from.stream"}]})).await;
    let mut con = redis.connection().await;
    let _: String = redis::cmd("XADD")
        .arg(keys::INGEST)
        .arg("*")
        .arg("org")
        .arg(&org)
        .arg("type")
        .arg("from.stream")
        .arg("id")
        .arg("stream-1")
        .arg("data")
        .arg(r#"{"n":1}"#)
        .query_async(&mut con)
        .await
        .expect("xadd");
    let got = receiver.wait_for(1, WAIT).await;
    assert_eq!(got[0].json()["id"], "stream-1");
    assert_eq!(got[0].json()["data"], json!({"n": 1}));

    // The outcome is recorded just after the receiver answers: poll for it.
    let deadline = tokio::time::Instant::now() + WAIT;
    let text = loop {
        let (status, metrics) = h.call("GET", "/metrics", None).await;
        assert_eq!(status, 200);
        let text = metrics.as_str().expect("text").to_string();
        if text.contains("herald_deliveries_total{outcome=\"succeeded\"} 1")
            || tokio::time::Instant::now() > deadline
        {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for name in [
        "herald_deliveries_total{outcome=\"succeeded\"} 1",
        "herald_attempts_total",
        "herald_queue_entries{shard=\"0\"}",
        "herald_queue_oldest_age_seconds{shard=\"0\"}",
        "herald_delivery_latency_seconds_bucket",
    ] {
        assert!(text.contains(name), "{name} missing from:\n{text}");
    }
    let (status, _) = h.call("GET", "/readyz", None).await;
    assert_eq!(status, 200);
    assert_eq!(h.terminate(), Some(0), "SIGTERM exits 0:\n{}", h.log());
}

/// Outcomes are written in batches (one transaction for many deliveries,
/// counters summed per webhook): a burst of mixed outcomes must still be
/// recorded exactly, one attempt per request, and leave the queue empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_mixed_outcomes_is_recorded_exactly() {
    const EVENTS: usize = 300;
    let (redis, ca) = (TestBackend::start(), TestCa::new());
    let ok = Receiver::ok(Some(ca.server.clone())).await;
    // A 4xx: failed attempts, retried, then dead (a receiver answering 5xx
    // to everything would soon have its circuit opened: see `throttling`).
    let failing = Receiver::start(Some(ca.server.clone()), answer(|_| 422)).await;
    let h = herald(&redis, &ca).await;
    let org = h.org().await;
    let ok_hook = h
        .webhook(
            &org,
            json!({"name": "ok", "url": ok.url(), "active": true, "triggers": [{"event": "x"}]}),
        )
        .await;
    let bad_hook = h.webhook(&org, json!({"name": "bad", "url": failing.url(), "active": true, "triggers": [{"event": "x"}], "retry": {"schedule": ["100ms"]}})).await;
    h.publish_numbered(&org, "x", EVENTS, 10).await;
    ok.wait_for(EVENTS, WAIT).await;
    failing.wait_for(2 * EVENTS, WAIT).await;

    let stats = |id: Value| {
        let (h, org) = (Api::clone(&h), org.clone());
        async move {
            let path = format!("/v1/orgs/{org}/webhooks/{}/stats", id.as_str().expect("id"));
            let (status, stats) = h.call("GET", &path, None).await;
            assert_eq!(status, 200, "{stats}");
            stats["24h"].clone()
        }
    };
    // The last outcomes may still be in their transaction; wait for the counters.
    let deadline = tokio::time::Instant::now() + WAIT;
    let (good, bad) = loop {
        let (good, bad) = (
            stats(ok_hook["id"].clone()).await,
            stats(bad_hook["id"].clone()).await,
        );
        if (good["succeeded"] == EVENTS && bad["dead"] == EVENTS)
            || tokio::time::Instant::now() > deadline
        {
            break (good, bad);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        (
            &good["events"],
            &good["succeeded"],
            &good["attempts"],
            &good["retries"]
        ),
        (&json!(EVENTS), &json!(EVENTS), &json!(EVENTS), &json!(0)),
        "{good}"
    );
    assert_eq!(
        (
            &bad["dead"],
            &bad["attempts"],
            &bad["retries"],
            &bad["errors"]["status"]
        ),
        (
            &json!(EVENTS),
            &json!(2 * EVENTS),
            &json!(EVENTS),
            &json!(2 * EVENTS)
        ),
        "{bad}"
    );
    assert_eq!(ok.received().len(), EVENTS, "no delivery sent twice");
    assert_eq!(failing.received().len(), 2 * EVENTS);

    // Every entry acknowledged and deleted; nothing left pending or waiting.
    let (len, retries) = redis.queue_left().await;
    assert_eq!((len, retries), (0, 0));
}
