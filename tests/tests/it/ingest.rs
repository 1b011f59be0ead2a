//! The ingest stream applies the API's input rules: an entry a producer
//! `XADD`s that breaks one (array `data`, a 10 kB type, an unknown field or
//! org) is acknowledged and kept in the rejected stream with its reason,
//! counted in `/metrics` and listed by the operator route, while valid
//! entries around it are delivered. The good entries double as a barrier:
//! once the last one arrived, every entry before it was judged.

use herald_e2e::herald::{HeraldProcess, Options};
use herald_e2e::receiver::Receiver;
use herald_e2e::redis::TestRedis;
use herald_e2e::tls::TestCa;
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

async fn xadd(con: &mut redis::aio::MultiplexedConnection, fields: &[(&str, &str)]) -> String {
    let mut cmd = redis::cmd("XADD");
    cmd.arg("herald:ingest").arg("*");
    for (k, v) in fields {
        cmd.arg(*k).arg(*v);
    }
    cmd.query_async(con).await.expect("xadd")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_rejects_what_the_api_rejects_visibly() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let h = HeraldProcess::start(Options::trusting(&redis.url(), &ca, &[])).await;
    let org = h.org().await;
    h.webhook(
        &org,
        json!({"name": "s", "url": receiver.url(), "active": true, "triggers": [{"event": "ok"}]}),
    )
    .await;

    // The API refuses array data and an oversized type...
    let long_type = "t".repeat(10_000);
    for bad in [
        json!({"type": "ok", "data": [1, 2]}),
        json!({"type": long_type, "data": {}}),
    ] {
        let (status, body) = h
            .call("POST", &format!("/v1/orgs/{org}/events"), Some(bad))
            .await;
        assert_eq!(status, 400, "{body}");
    }

    // ...and so does the stream, visibly.
    let client = redis::Client::open(redis.url()).expect("client");
    let mut con = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let first = [
        ("org", org.as_str()),
        ("type", "ok"),
        ("id", "good-1"),
        ("data", r#"{"n":1}"#),
    ];
    xadd(&mut con, &first).await;
    let rejected = [
        xadd(
            &mut con,
            &[("org", &org), ("type", "ok"), ("data", "[1,2]")],
        )
        .await,
        xadd(
            &mut con,
            &[("org", &org), ("type", &long_type), ("data", "{}")],
        )
        .await,
        xadd(
            &mut con,
            &[("org", &org), ("type", "ok"), ("data", "{oops")],
        )
        .await,
        xadd(
            &mut con,
            &[("org", "org_nope"), ("type", "ok"), ("data", "{}")],
        )
        .await,
        xadd(
            &mut con,
            &[
                ("org", &org),
                ("type", "ok"),
                ("data", "{}"),
                ("colour", "red"),
            ],
        )
        .await,
        xadd(&mut con, &[("type", "ok"), ("data", "{}")]).await,
    ];
    let last = [
        ("org", org.as_str()),
        ("type", "ok"),
        ("id", "good-2"),
        ("data", r#"{"n":2}"#),
    ];
    xadd(&mut con, &last).await;
    let got = receiver.wait_for(2, WAIT).await;
    // Two deliveries may arrive in either order; the stream is read in order.
    let mut ids: Vec<Value> = got.iter().map(|r| r.json()["id"].clone()).collect();
    ids.sort_by_key(Value::to_string);
    assert_eq!(
        ids,
        [json!("good-1"), json!("good-2")],
        "only the valid entries"
    );

    let (status, page) = h.call("GET", "/v1/ingest/rejected", None).await;
    assert_eq!(status, 200, "{page}");
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), rejected.len(), "{page}");
    let entries: Vec<&str> = items
        .iter()
        .rev()
        .map(|i| i["entry"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        entries,
        rejected.iter().map(String::as_str).collect::<Vec<_>>()
    );
    let reasons: Vec<&str> = items
        .iter()
        .rev()
        .map(|i| i["reason"].as_str().unwrap_or(""))
        .collect();
    for (reason, expected) in reasons.iter().zip([
        "`data` must be a JSON object",
        "`type` must be 1 to 200",
        "`data` is not valid JSON",
        "unknown org `org_nope`",
        "unknown field `colour`",
        "missing field `org`",
    ]) {
        assert!(
            reason.contains(expected),
            "{reason:?} should say {expected:?}"
        );
    }
    assert_eq!(items.last().expect("oldest")["fields"]["data"], "[1,2]");

    // Paging with `before`, and the counter.
    let (_, older) = h.call("GET", "/v1/ingest/rejected?limit=2", None).await;
    let before = older["next_before"].as_str().expect("more").to_string();
    let (_, rest) = h
        .call(
            "GET",
            &format!("/v1/ingest/rejected?before={before}&limit=10"),
            None,
        )
        .await;
    assert_eq!(rest["items"].as_array().map(Vec::len), Some(4), "{rest}");
    // The counter moves just after a reject is stored: read until it has.
    let started = std::time::Instant::now();
    let text = loop {
        let (_, metrics) = h.call("GET", "/metrics", None).await;
        let text = metrics.as_str().expect("text").to_string();
        if text.contains("herald_ingest_rejected_total 6") || started.elapsed() > WAIT {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(text.contains("herald_ingest_rejected_total 6"), "{text}");
    // The stream holds nothing pending: every entry was acknowledged.
    let pending: Vec<redis::Value> = redis::cmd("XPENDING")
        .arg("herald:ingest")
        .arg("herald-ingest")
        .query_async(&mut con)
        .await
        .expect("xpending");
    assert_eq!(pending.first(), Some(&redis::Value::Int(0)), "{pending:?}");
    // A key that is not the operator's cannot read the rejects.
    let (status, body) = h
        .call_as("hk_nope_x", "GET", "/v1/ingest/rejected", None)
        .await;
    assert_eq!(status, 401, "{body}");
}
