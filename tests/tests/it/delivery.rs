//! The delivery engine end to end: a real `redis-server`, the real `herald`
//! binary, real HTTPS receivers trusting a test CA, real plugins.

use base64::Engine as _;
use herald_e2e::herald::{HeraldProcess, Options};
use herald_e2e::receiver::{Answer, Receiver};
use herald_e2e::redis::TestRedis;
use herald_e2e::tls::TestCa;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

async fn herald(redis: &TestRedis, ca: &TestCa, extra: &[(&str, &str)]) -> HeraldProcess {
    HeraldProcess::start(Options::trusting(&redis.url(), ca, extra)).await
}

/// Verifies a Standard Webhooks signature the way a receiver library does.
fn verify_standard(secret: &str, id: &str, ts: &str, body: &[u8], header: &str) -> bool {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .expect("base64 secret");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("key");
    mac.update(format!("{id}.{ts}.").as_bytes());
    mac.update(body);
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    header.split(' ').any(|sig| sig == expected)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_https_delivery_with_log_and_idempotent_publish() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let h = herald(&redis, &ca, &[]).await;
    let org = h.org().await;
    let hook = h
        .webhook(
            &org,
            json!({"name": "orders", "url": receiver.url(), "active": true,
                                "triggers": [{"event": "order.created"}],
                                "headers": {"x-tenant": "acme"}}),
        )
        .await;
    let (wh, secret) = (
        hook["id"].as_str().expect("id"),
        hook["secret"].as_str().expect("secret"),
    );
    assert!(secret.starts_with("whsec_"));
    assert!(hook.get("secrets").is_none());

    let first = h
        .publish(
            &org,
            json!({"id": "evt-1", "type": "order.created", "data": {"order": {"id": 7}}}),
        )
        .await;
    assert_eq!(first, json!({"id": "evt-1", "deliveries": 1}));
    let again = h
        .publish(
            &org,
            json!({"id": "evt-1", "type": "order.created", "data": {"order": {"id": 7}}}),
        )
        .await;
    assert_eq!(again, first, "the same id answers the same");

    let got = receiver.wait_for(1, WAIT).await;
    let r = &got[0];
    let (id, ts, sig) = (
        r.header("webhook-id").expect("id"),
        r.header("webhook-timestamp").expect("ts"),
        r.header("webhook-signature").expect("sig"),
    );
    assert!(
        verify_standard(secret, id, ts, &r.body, sig),
        "signature verifies"
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("herald-event-type"), Some("order.created"));
    assert_eq!(r.header("herald-attempt"), Some("1"));
    assert_eq!(r.header("x-tenant"), Some("acme"));
    assert!(r
        .header("user-agent")
        .is_some_and(|ua| ua.starts_with("Herald/")));
    let body = r.json();
    assert_eq!(body["id"], "evt-1");
    assert_eq!(body["type"], "order.created");
    assert_eq!(body["data"], json!({"order": {"id": 7}}));
    assert!(body["timestamp"].as_str().is_some());

    let items = h
        .wait_deliveries(&org, wh, WAIT, |items| {
            items.first().is_some_and(|d| d["status"] == "succeeded")
        })
        .await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], id, "webhook-id is the delivery id");
    let (status, detail) = h
        .call("GET", &format!("/v1/orgs/{org}/deliveries/{id}"), None)
        .await;
    assert_eq!(status, 200);
    let attempt = &detail["attempts"][0];
    assert_eq!(attempt["number"], 1);
    assert_eq!(attempt["status_code"], 200);
    assert_eq!(attempt["response_body"], "answer 0");
    assert!(attempt["timings"]["tls_ms"].as_f64().is_some(), "{attempt}");
    assert_eq!(detail["payload"]["id"], "evt-1");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "the repeated publish sent nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hex_signature_and_receiver_auth() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let h = herald(&redis, &ca, &[]).await;
    let org = h.org().await;
    let hex_hook = h
        .webhook(&org, json!({"name": "legacy", "url": receiver.url(), "active": true, "signature": "hex",
                                "triggers": [{"event": "a"}], "auth": {"type": "basic", "username": "u", "password": "p4ss-w0rd-xyz"}}))
        .await;
    h.webhook(&org, json!({"name": "bearer", "url": receiver.url(), "active": true,
                            "triggers": [{"event": "b"}], "auth": {"type": "bearer", "token": "tok-secret-123"}}))
        .await;
    h.webhook(&org, json!({"name": "header", "url": receiver.url(), "active": true,
                            "triggers": [{"event": "c"}], "auth": {"type": "header", "name": "x-api-key", "value": "key-secret-456"}}))
        .await;
    for t in ["a", "b", "c"] {
        h.publish(&org, json!({"type": t, "data": {}})).await;
    }
    let got = receiver.wait_for(3, WAIT).await;
    let by_type = |t: &str| {
        got.iter()
            .find(|r| r.header("herald-event-type") == Some(t))
            .expect("received")
    };
    let a = by_type("a");
    let mut mac =
        Hmac::<Sha256>::new_from_slice(hex_hook["secret"].as_str().expect("secret").as_bytes())
            .expect("key");
    mac.update(&a.body);
    assert_eq!(
        a.header("x-webhook-signature"),
        Some(hex::encode(mac.finalize().into_bytes()).as_str())
    );
    assert!(a.header("webhook-signature").is_none());
    let basic = base64::engine::general_purpose::STANDARD.encode("u:p4ss-w0rd-xyz");
    assert_eq!(
        a.header("authorization"),
        Some(format!("Basic {basic}").as_str())
    );
    assert_eq!(
        by_type("b").header("authorization"),
        Some("Bearer tok-secret-123")
    );
    assert_eq!(by_type("c").header("x-api-key"), Some("key-secret-456"));

    // The log masks credentials, the API never shows them, Herald's log never has them.
    let (_, read) = h
        .call(
            "GET",
            &format!(
                "/v1/orgs/{org}/webhooks/{}",
                hex_hook["id"].as_str().expect("id")
            ),
            None,
        )
        .await;
    assert_eq!(read["auth"]["password"], "***");
    let items = h
        .wait_deliveries(&org, hex_hook["id"].as_str().expect("id"), WAIT, |i| {
            i.iter().any(|d| d["status"] == "succeeded")
        })
        .await;
    let (_, detail) = h
        .call(
            "GET",
            &format!(
                "/v1/orgs/{org}/deliveries/{}",
                items[0]["id"].as_str().expect("id")
            ),
            None,
        )
        .await;
    assert_eq!(
        detail["attempts"][0]["request_headers"]["authorization"],
        "Basic ***"
    );
    let log = h.log();
    for secret in [
        "p4ss-w0rd-xyz",
        "tok-secret-123",
        "key-secret-456",
        &basic,
        hex_hook["secret"].as_str().expect("secret"),
    ] {
        assert!(!log.contains(secret), "Herald's log shows a secret");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_filters_and_plugins_in_the_path() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let h = herald(&redis, &ca, &[]).await;
    for (name, file) in [
        ("threshold", "threshold-filter"),
        ("redact", "redact-transform"),
    ] {
        let wasm = std::fs::read(herald_e2e::plugin_wasm(file)).expect("plugin built");
        let (status, body) = h
            .call_raw("PUT", &format!("/v1/plugins/{name}/1.0.0"), wasm)
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let org = h.org().await;
    let hook = h
        .webhook(&org, json!({
            "name": "big paid orders", "url": receiver.url(), "active": true,
            "triggers": [{"event": "order.created", "filters": [{"path": "data.order.status", "op": "in", "value": ["paid", "shipped"]}]}],
            "plugins": {
                "filters": [{"plugin": "threshold@1.0.0", "config": {"path": "data.order.total", "above": 100}}],
                "transforms": [{"plugin": "redact@1.0.0", "config": {"paths": ["data.customer.email"], "mask": "***"}}]
            }}))
        .await;
    let wh = hook["id"].as_str().expect("id");
    let order = |status: &str, total: u32| json!({"type": "order.created", "data": {"order": {"status": status, "total": total}, "customer": {"email": "a@b.c"}}});
    h.publish(&org, order("open", 500)).await; // native filter drops it
    h.publish(&org, order("paid", 50)).await; // the threshold plugin drops it
    h.publish(&org, order("paid", 500)).await; // delivered, redacted
    let items = h
        .wait_deliveries(&org, wh, WAIT, |i| {
            i.len() == 3 && i.iter().all(|d| d["status"] != "pending")
        })
        .await;
    let statuses: Vec<&str> = items
        .iter()
        .map(|d| d["status"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == "filtered").count(),
        2,
        "{items:#?}"
    );
    assert!(
        items.iter().any(|d| d["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("data.order.status in"))),
        "{items:#?}"
    );
    assert!(
        items.iter().any(|d| {
            d["last_error"].as_str().is_some_and(|e| {
                e.contains("threshold@1.0.0: data.order.total = 50 is not above 100")
            })
        }),
        "{items:#?}"
    );
    let got = receiver.wait_for(1, WAIT).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].json()["data"]["customer"]["email"], "***");
    assert_eq!(got[0].json()["data"]["order"]["total"], 500);

    // A transform where a filter belongs, and a config the plugin rejects: 400 at save time.
    let (status, err) = h
        .call(
            "POST",
            &format!("/v1/orgs/{org}/webhooks"),
            Some(
                json!({"name": "x", "url": receiver.url(), "triggers": [{"event": "e"}],
              "plugins": {"filters": [{"plugin": "redact@1.0.0", "config": {"paths": ["a"]}}]}}),
            ),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        err["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("is a transform plugin")),
        "{err}"
    );
    let (status, err) = h
        .call("POST", &format!("/v1/orgs/{org}/webhooks"), Some(json!({"name": "x", "url": receiver.url(), "triggers": [{"event": "e"}],
              "plugins": {"filters": [{"plugin": "threshold@1.0.0", "config": {"path": "data.x"}}]}})))
        .await;
    assert_eq!(status, 400);
    assert!(
        err["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("set `above`")),
        "{err}"
    );
}

fn answer(f: impl Fn(usize) -> u16 + Send + Sync + 'static) -> Answer {
    Arc::new(move |n, _| (f(n), vec![], Duration::ZERO))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_follow_the_schedule_then_dead() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let flaky = Receiver::start(
        Some(ca.server.clone()),
        answer(|n| if n < 2 { 500 } else { 200 }),
    )
    .await;
    let down = Receiver::start(Some(ca.server.clone()), answer(|_| 503)).await;
    let h = herald(&redis, &ca, &[]).await;
    let org = h.org().await;
    let retry = json!({"schedule": ["100ms", "200ms"]});
    let flaky_hook = h.webhook(&org, json!({"name": "f", "url": flaky.url(), "active": true, "triggers": [{"event": "x"}], "retry": retry})).await;
    let down_hook = h.webhook(&org, json!({"name": "d", "url": down.url(), "active": true, "triggers": [{"event": "x"}], "retry": retry})).await;
    h.publish(&org, json!({"type": "x", "data": {}})).await;

    let ok = h
        .wait_deliveries(&org, flaky_hook["id"].as_str().expect("id"), WAIT, |i| {
            i.first().is_some_and(|d| d["status"] == "succeeded")
        })
        .await;
    assert_eq!(
        ok[0]["attempts"],
        "3".parse::<Value>().expect("3"),
        "{ok:#?}"
    );
    let got = flaky.received();
    assert_eq!(got.len(), 3);
    assert!(
        got.iter()
            .all(|r| r.header("webhook-id") == got[0].header("webhook-id")),
        "same webhook-id on every attempt"
    );
    assert_eq!(
        got.iter()
            .map(|r| r.header("herald-attempt").unwrap_or_default().to_string())
            .collect::<Vec<_>>(),
        ["1", "2", "3"]
    );

    let dead = h
        .wait_deliveries(&org, down_hook["id"].as_str().expect("id"), WAIT, |i| {
            i.first().is_some_and(|d| d["status"] == "dead")
        })
        .await;
    let (_, detail) = h
        .call(
            "GET",
            &format!(
                "/v1/orgs/{org}/deliveries/{}",
                dead[0]["id"].as_str().expect("id")
            ),
            None,
        )
        .await;
    let attempts = detail["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 3, "schedule of 2 delays = 3 attempts");
    assert!(attempts
        .iter()
        .all(|a| a["error"]["class"] == "status" && a["status_code"] == 503));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(down.received().len(), 3, "nothing after dead");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_deactivates_and_inactive_webhooks_wait() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let gone = Receiver::start(Some(ca.server.clone()), answer(|_| 410)).await;
    let h = herald(&redis, &ca, &[]).await;
    let org = h.org().await;
    let hook = h.webhook(&org, json!({"name": "g", "url": gone.url(), "active": true, "triggers": [{"event": "x"}], "retry": {"schedule": ["50ms"]}})).await;
    let wh = hook["id"].as_str().expect("id");
    h.publish(&org, json!({"type": "x", "data": {}})).await;
    h.wait_deliveries(&org, wh, WAIT, |i| {
        i.first().is_some_and(|d| d["status"] == "dead")
    })
    .await;
    let (_, read) = h
        .call("GET", &format!("/v1/orgs/{org}/webhooks/{wh}"), None)
        .await;
    assert_eq!(read["active"], false);
    assert!(read["disabled_reason"]
        .as_str()
        .is_some_and(|r| r.contains("410")));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(gone.received().len(), 1, "a 410 is not retried");

    // An inactive webhook gets no deliveries for new events.
    h.publish(&org, json!({"type": "x", "data": {}})).await;
    assert_eq!(
        h.publish(&org, json!({"type": "x", "data": {}})).await["deliveries"],
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_deliveries_wait_for_an_inactive_webhook() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    // An API-only Herald queues; nothing is delivered yet.
    let api = HeraldProcess::start(Options::trusting(&redis.url(), &ca, &[]).role("api")).await;
    let org = api.org().await;
    let hook = api.webhook(&org, json!({"name": "w", "url": receiver.url(), "active": true, "triggers": [{"event": "x"}]})).await;
    let wh = hook["id"].as_str().expect("id");
    for _ in 0..3 {
        api.publish(&org, json!({"type": "x", "data": {}})).await;
    }
    let (status, _) = api
        .call(
            "PATCH",
            &format!("/v1/orgs/{org}/webhooks/{wh}"),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(status, 200);
    let worker =
        HeraldProcess::start(Options::trusting(&redis.url(), &ca, &[]).role("worker")).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        receiver.received().is_empty(),
        "an inactive webhook receives nothing"
    );
    let items = api.wait_deliveries(&org, wh, WAIT, |i| i.len() == 3).await;
    assert!(
        items.iter().all(|d| d["status"] == "pending"),
        "they wait, not dropped: {items:#?}"
    );
    api.call(
        "PATCH",
        &format!("/v1/orgs/{org}/webhooks/{wh}"),
        Some(json!({"active": true})),
    )
    .await;
    receiver.wait_for(3, WAIT).await;
    drop(worker);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_and_private_addresses_are_refused_by_default() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let strict = HeraldProcess::start(Options {
        redis_url: Some(redis.url()),
        env: vec![(
            "HERALD_EXTRA_CA_FILE".into(),
            ca.ca_file.display().to_string(),
        )],
        role: None,
    })
    .await;
    let org = strict.org().await;
    for (url, expect) in [
        ("http://example.com/hook", "HERALD_ALLOW_HTTP"),
        ("https://127.0.0.1:9/hook", "loopback"),
        ("https://10.0.0.8/hook", "private"),
        ("https://169.254.169.254/latest", "link-local"),
        (receiver.url().as_str(), "loopback"),
    ] {
        let (status, err) = strict
            .call(
                "POST",
                &format!("/v1/orgs/{org}/webhooks"),
                Some(json!({"name": "x", "url": url, "triggers": [{"event": "x"}]})),
            )
            .await;
        assert_eq!(status, 400, "{url}");
        assert!(
            err["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(expect)),
            "{url}: {err}"
        );
    }
    // Saved while allowed, delivered by a process that does not allow it: blocked at connect time.
    let permissive = herald(&redis, &ca, &[]).await;
    let hook = permissive.webhook(&org, json!({"name": "w", "url": receiver.url(), "active": true, "triggers": [{"event": "x"}], "retry": {"schedule": []}})).await;
    drop(permissive);
    strict.publish(&org, json!({"type": "x", "data": {}})).await;
    let items = strict
        .wait_deliveries(&org, hook["id"].as_str().expect("id"), WAIT, |i| {
            i.first().is_some_and(|d| d["status"] == "dead")
        })
        .await;
    let (_, detail) = strict
        .call(
            "GET",
            &format!(
                "/v1/orgs/{org}/deliveries/{}",
                items[0]["id"].as_str().expect("id")
            ),
            None,
        )
        .await;
    assert_eq!(
        detail["attempts"][0]["error"]["class"], "blocked",
        "{detail}"
    );
    assert!(receiver.received().is_empty());

    // Plain http is delivered only with HERALD_ALLOW_HTTP. The strict process
    // stops first: it shares the queue and would otherwise claim (and block)
    // some of the attempts.
    drop(strict);
    let plain = Receiver::ok(None).await;
    let dev = herald(&redis, &ca, &[("HERALD_ALLOW_HTTP", "true")]).await;
    dev.webhook(
        &org,
        json!({"name": "p", "url": plain.url(), "active": true, "triggers": [{"event": "y"}]}),
    )
    .await;
    dev.publish(&org, json!({"type": "y", "data": {}})).await;
    plain.wait_for(1, WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_stream_metrics_and_graceful_shutdown() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let mut h = herald(&redis, &ca, &[]).await;
    let org = h.org().await;
    h.webhook(&org, json!({"name": "s", "url": receiver.url(), "active": true, "triggers": [{"event": "from.stream"}]})).await;
    let client = redis::Client::open(redis.url()).expect("client");
    let mut con = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let _: String = redis::cmd("XADD")
        .arg("herald:ingest")
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

    // The outcome is recorded just after the receiver answers: poll briefly.
    let mut text = String::new();
    for _ in 0..100 {
        let (status, metrics) = h.call("GET", "/metrics", None).await;
        assert_eq!(status, 200);
        text = metrics.as_str().expect("text").to_string();
        if text.contains("herald_deliveries_total{outcome=\"succeeded\"} 1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for name in [
        "herald_deliveries_total{outcome=\"succeeded\"} 1",
        "herald_attempts_total",
        "herald_queue_depth",
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
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let ok = Receiver::ok(Some(ca.server.clone())).await;
    let failing = Receiver::start(Some(ca.server.clone()), answer(|_| 500)).await;
    let h = Arc::new(herald(&redis, &ca, &[]).await);
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
        let (h, org) = (h.clone(), org.clone());
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
    let mut con = redis::Client::open(redis.url())
        .expect("url")
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let (len, retries): (u64, u64) = redis::pipe()
        .cmd("XLEN")
        .arg("herald:{s0}:q")
        .cmd("ZCARD")
        .arg("herald:{s0}:retry")
        .query_async(&mut con)
        .await
        .expect("queue depth");
    assert_eq!((len, retries), (0, 0));
}

/// Webhook configs are cached by every process; a change made through one
/// process (here the API) must reach the cache of another (the worker) at
/// once through the change feed, not after the cache's TTL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_through_one_process_applies_at_once_in_another() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let (first, second) = (
        Receiver::ok(Some(ca.server.clone())).await,
        Receiver::ok(Some(ca.server.clone())).await,
    );
    let api = HeraldProcess::start(Options::trusting(&redis.url(), &ca, &[]).role("api")).await;
    let _worker =
        HeraldProcess::start(Options::trusting(&redis.url(), &ca, &[]).role("worker")).await;
    let org = api.org().await;
    let hook = api
        .webhook(
            &org,
            json!({"name": "w", "url": first.url(), "active": true, "triggers": [{"event": "x"}]}),
        )
        .await;
    api.publish(&org, json!({"type": "x", "data": {"n": 1}}))
        .await;
    first.wait_for(1, WAIT).await; // the worker now holds the webhook in its cache

    let (status, updated) = api
        .call(
            "PATCH",
            &format!(
                "/v1/orgs/{org}/webhooks/{}",
                hook["id"].as_str().expect("id")
            ),
            Some(json!({"url": second.url()})),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    api.publish(&org, json!({"type": "x", "data": {"n": 2}}))
        .await;
    let got = second.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got[0].json()["data"]["n"], 2);
    assert_eq!(first.received().len(), 1, "nothing more to the old URL");
}
