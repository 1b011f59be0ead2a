//! The management API through HTTP: the seed flow, every validation case,
//! permissions and tenant isolation, keys, plugins, secrets, the OpenAPI
//! document against the routes served.

use herald_e2e::herald::{HeraldProcess, Options};
use herald_e2e::receiver::Receiver;
use herald_e2e::redis::TestRedis;
use herald_e2e::tls::TestCa;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

async fn setup(extra: &[(&str, &str)]) -> (TestRedis, TestCa, HeraldProcess) {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let h = HeraldProcess::start(Options::trusting(&redis.url(), &ca, extra)).await;
    (redis, ca, h)
}

async fn key(h: &HeraldProcess, org: &str, permissions: &[&str]) -> String {
    let (status, created) = h
        .call(
            "POST",
            &format!("/v1/orgs/{org}/api-keys"),
            Some(json!({"name": "k", "permissions": permissions})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    created["key"].as_str().expect("key").to_string()
}

fn message(v: &Value) -> &str {
    v["error"]["message"].as_str().unwrap_or_default()
}

async fn register(h: &HeraldProcess, name: &str, krate: &str) {
    let wasm = std::fs::read(herald_e2e::plugin_wasm(krate)).expect("plugin built");
    let (status, body) = h
        .call_raw("PUT", &format!("/v1/plugins/{name}/1.0.0"), wasm)
        .await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_flow_through_the_api_alone() {
    let (_redis, ca, h) = setup(&[]).await;
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let failing = Receiver::start(
        Some(ca.server.clone()),
        Arc::new(|_, _| (500, vec![], Duration::ZERO)),
    )
    .await;
    let org = h.org().await;
    let k = key(
        &h,
        &org,
        &[
            "webhooks:read",
            "webhooks:write",
            "events:write",
            "logs:read",
        ],
    )
    .await;

    // A webhook with two triggers and filters, left inactive.
    let (status, hook) = h
        .call_as(&k, "POST", &format!("/v1/orgs/{org}/webhooks"), Some(json!({
            "name": "orders", "url": receiver.url(),
            "triggers": [
                {"event": "order.created", "filters": [{"path": "data.order.status", "op": "equals", "value": "paid"}]},
                {"event": "order.refunded", "filters": [{"path": "data.order.total", "op": "not_in", "value": [0]}]}
            ]})))
        .await;
    assert_eq!(status, 201, "{hook}");
    assert_eq!(hook["active"], false, "new webhooks are inactive");
    let wh = hook["id"].as_str().expect("id").to_string();

    // A test event reaches even an inactive webhook.
    let (status, test) = h
        .call_as(
            &k,
            "POST",
            &format!("/v1/orgs/{org}/webhooks/{wh}/test"),
            Some(json!({"data": {"hello": "world"}})),
        )
        .await;
    assert_eq!(status, 200, "{test}");
    assert_eq!(test["result"], "delivered");
    assert_eq!(test["attempt"]["status_code"], 200);
    assert_eq!(
        receiver.wait_for(1, WAIT).await[0].json()["data"],
        json!({"hello": "world"})
    );

    // Nothing is delivered while inactive; activate, then publish.
    assert_eq!(
        h.call_as(
            &k,
            "POST",
            &format!("/v1/orgs/{org}/events"),
            Some(json!({"type": "order.created", "data": {"order": {"status": "paid"}}}))
        )
        .await
        .1["deliveries"],
        0
    );
    let (status, patched) = h
        .call_as(
            &k,
            "PATCH",
            &format!("/v1/orgs/{org}/webhooks/{wh}"),
            Some(json!({"active": true})),
        )
        .await;
    assert_eq!((status, patched["active"].clone()), (200, json!(true)));
    for (t, status) in [
        ("order.created", "paid"),
        ("order.created", "open"),
        ("order.refunded", "paid"),
    ] {
        let (code, _) = h
            .call_as(
                &k,
                "POST",
                &format!("/v1/orgs/{org}/events"),
                Some(json!({"type": t, "data": {"order": {"status": status, "total": 5}}})),
            )
            .await;
        assert_eq!(code, 202);
    }
    let items = h
        .wait_deliveries(&org, &wh, WAIT, |i| {
            i.len() == 3 && i.iter().all(|d| d["status"] != "pending")
        })
        .await;
    assert_eq!(
        items.iter().filter(|d| d["status"] == "succeeded").count(),
        2,
        "{items:#?}"
    );
    for field in [
        "id",
        "event_id",
        "event_type",
        "url",
        "status",
        "attempts",
        "last_status_code",
        "created_at",
        "updated_at",
    ] {
        assert!(items[0].get(field).is_some(), "log history lacks {field}");
    }
    let (_, filtered) = h
        .call_as(
            &k,
            "GET",
            &format!("/v1/orgs/{org}/webhooks/{wh}/deliveries?status=filtered"),
            None,
        )
        .await;
    assert_eq!(filtered["items"].as_array().map(Vec::len), Some(1));

    // One delivery's attempts with response code, headers and body; retry it.
    let done = items
        .iter()
        .find(|d| d["status"] == "succeeded")
        .expect("one succeeded");
    let did = done["id"].as_str().expect("id");
    let (_, detail) = h
        .call_as(&k, "GET", &format!("/v1/orgs/{org}/deliveries/{did}"), None)
        .await;
    let attempt = &detail["attempts"][0];
    assert_eq!(attempt["status_code"], 200);
    assert!(
        attempt["response_headers"]["content-length"].is_string(),
        "{attempt}"
    );
    assert!(attempt["response_body"]
        .as_str()
        .is_some_and(|b| b.starts_with("answer")));
    let (status, _) = h
        .call_as(
            &k,
            "POST",
            &format!("/v1/orgs/{org}/deliveries/{did}/retry"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    h.wait_deliveries(&org, &wh, WAIT, |i| {
        i.iter()
            .any(|d| d["id"] == did && d["status"] == "succeeded" && d["attempts"] == 2)
    })
    .await;

    // Replay failures: a webhook whose receiver fails, dead after one attempt, replayed.
    let (_, bad) = h.call_as(&k, "POST", &format!("/v1/orgs/{org}/webhooks"), Some(json!({
        "name": "failing", "url": failing.url(), "active": true, "triggers": [{"event": "ping"}], "retry": {"schedule": []}}))).await;
    let bad_id = bad["id"].as_str().expect("id");
    h.call_as(
        &k,
        "POST",
        &format!("/v1/orgs/{org}/events"),
        Some(json!({"type": "ping", "data": {}})),
    )
    .await;
    h.wait_deliveries(&org, bad_id, WAIT, |i| {
        i.first().is_some_and(|d| d["status"] == "dead")
    })
    .await;
    let (status, replayed) = h
        .call_as(
            &k,
            "POST",
            &format!("/v1/orgs/{org}/webhooks/{bad_id}/replay"),
            Some(json!({"since": "2020-01-01T00:00:00Z", "status": "dead"})),
        )
        .await;
    assert_eq!((status, replayed), (200, json!({"queued": 1})));
    failing.wait_for(2, WAIT).await;

    let (status, stats) = h
        .call_as(
            &k,
            "GET",
            &format!("/v1/orgs/{org}/webhooks/{wh}/stats"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{stats}");
    assert_eq!(stats["24h"]["events"], 3);
    assert!(
        stats["24h"]["succeeded"].as_i64().is_some_and(|n| n >= 2),
        "{stats}"
    );
    assert_eq!(stats["24h"]["filtered"], 1);
    assert_eq!(stats["last_attempt"]["status_code"], 200);
    let (_, bad_stats) = h
        .call_as(
            &k,
            "GET",
            &format!("/v1/orgs/{org}/webhooks/{bad_id}/stats"),
            None,
        )
        .await;
    assert!(
        bad_stats["7d"]["errors"]["status"]
            .as_i64()
            .is_some_and(|n| n >= 1),
        "{bad_stats}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_4xx_that_says_what_to_fix() {
    let (_redis, ca, h) = setup(&[("HERALD_MAX_TIMEOUT", "60s")]).await;
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    register(&h, "threshold", "threshold-filter").await;
    register(&h, "redact", "redact-transform").await;
    let org = h.org().await;
    let url = receiver.url();
    let base = || json!({"name": "w", "url": url, "triggers": [{"event": "order.created"}]});
    let with = |patch: Value| {
        let mut b = base();
        for (k, v) in patch.as_object().expect("object") {
            b[k] = v.clone();
        }
        b
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            with(json!({"url": "http://example.com/x"})),
            "HERALD_ALLOW_HTTP",
        ),
        (
            with(json!({"url": "https://10.1.1.1/x"})),
            "private address",
        ),
        (
            with(
                json!({"triggers": [{"event": "x", "filters": [{"path": "data.a", "op": "in", "value": "paid"}]}]}),
            ),
            "take an array",
        ),
        (
            with(json!({"retry": {"schedule": ["5 parsecs"]}})),
            "retry.schedule",
        ),
        (with(json!({"timeout": "90s"})), "`timeout` must be between"),
        (with(json!({"timeout": "soon"})), "`timeout`"),
        (
            with(json!({"plugins": {"filters": [{"plugin": "nope@1.0.0"}]}})),
            "is not registered",
        ),
        (
            with(
                json!({"plugins": {"filters": [{"plugin": "redact@1.0.0", "config": {"paths": ["a"]}}]}}),
            ),
            "is a transform plugin",
        ),
        (
            with(
                json!({"plugins": {"filters": [{"plugin": "threshold@1.0.0", "config": {"path": "x"}}]}}),
            ),
            "set `above`",
        ),
        (with(json!({"colour": "blue"})), "unknown field `colour`"),
        (with(json!({"triggers": []})), "at least one event type"),
        (json!({"name": "w"}), "are required"),
    ];
    for (body, expect) in cases {
        let (status, err) = h
            .call(
                "POST",
                &format!("/v1/orgs/{org}/webhooks"),
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, 400, "{body} → {err}");
        assert_eq!(err["error"]["code"], "invalid_request");
        assert!(
            message(&err).contains(expect),
            "{body}: expected {expect:?} in {err}"
        );
    }

    // The catalogue restricts triggers and filter paths once it has entries.
    let (status, _) = h.call("PUT", "/v1/event-types/order.created", Some(json!({
        "description": "An order was placed", "example": {"order": {"status": "paid", "total": 10}}, "filterable": ["data.order.status"]}))).await;
    assert_eq!(status, 200);
    let reader = key(&h, &org, &["logs:read"]).await;
    let (status, catalogue) = h.call_as(&reader, "GET", "/v1/event-types", None).await;
    assert_eq!(status, 200, "any key reads the catalogue");
    assert_eq!(catalogue["items"][0]["type"], "order.created");
    assert_eq!(
        catalogue["items"][0]["filterable"],
        json!(["data.order.status"])
    );
    let (status, err) = h
        .call(
            "POST",
            &format!("/v1/orgs/{org}/webhooks"),
            Some(with(json!({"triggers": [{"event": "order.deleted"}]}))),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        message(&err).contains("not in the event-type catalogue"),
        "{err}"
    );
    let (status, err) = h
        .call(
            "POST",
            &format!("/v1/orgs/{org}/webhooks"),
            Some(with(json!({"triggers": [{"event": "order.created",
              "filters": [{"path": "data.order.total", "op": "equals", "value": 1}]}]}))),
        )
        .await;
    assert_eq!(status, 400);
    assert!(message(&err).contains("is not filterable"), "{err}");
    let (status, _) = h
        .call(
            "POST",
            &format!("/v1/orgs/{org}/webhooks"),
            Some(with(json!({"triggers": [{"event": "order.created",
              "filters": [{"path": "data.order.status", "op": "equals", "value": "paid"}]}]}))),
        )
        .await;
    assert_eq!(status, 201);

    // Events: bad bodies, and a payload over the limit is a 413.
    for (body, expect) in [
        (json!({"type": "", "data": {}}), "`type`"),
        (json!({"type": "x", "data": [1]}), "JSON object"),
        (json!({"type": "x"}), "missing field `data`"),
        (
            json!({"type": "x", "data": {}, "extra": 1}),
            "unknown field `extra`",
        ),
    ] {
        let (status, err) = h
            .call(
                "POST",
                &format!("/v1/orgs/{org}/events"),
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        assert!(message(&err).contains(expect), "{body}: {err}");
    }
    let big = json!({"type": "x", "data": {"blob": "x".repeat(1 << 20)}});
    let (status, err) = h
        .call("POST", &format!("/v1/orgs/{org}/events"), Some(big))
        .await;
    assert_eq!(status, 413, "{err}");
    assert_eq!(err["error"]["code"], "payload_too_large");
    let (status, _) = h
        .call(
            "POST",
            &format!("/v1/orgs/{org}/webhooks/wh_nope/replay"),
            Some(json!({"since": "yesterday", "status": "dead"})),
        )
        .await;
    assert_eq!(status, 404);

    // A key without the permission: 403 naming it; no key: 401.
    let reader = key(&h, &org, &["webhooks:read"]).await;
    let (status, err) = h
        .call_as(
            &reader,
            "POST",
            &format!("/v1/orgs/{org}/webhooks"),
            Some(base()),
        )
        .await;
    assert_eq!(status, 403);
    assert!(message(&err).contains("webhooks:write"), "{err}");
    let (status, _) = h
        .call_as(
            "hk_bogus_key",
            "GET",
            &format!("/v1/orgs/{org}/webhooks"),
            None,
        )
        .await;
    assert_eq!(status, 401);
    let (status, _) = h
        .call_as(&reader, "POST", "/v1/orgs", Some(json!({"name": "x"})))
        .await;
    assert_eq!(status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_never_reaches_another_orgs_data() {
    let (_redis, ca, h) = setup(&[]).await;
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let (a, b) = (h.org().await, h.org().await);
    let all = [
        "webhooks:read",
        "webhooks:write",
        "events:write",
        "logs:read",
        "keys:write",
    ];
    let key_a = key(&h, &a, &all).await;
    let key_b = key(&h, &b, &all).await;
    let (_, hook_b) = h.call_as(&key_b, "POST", &format!("/v1/orgs/{b}/webhooks"), Some(json!({"name": "b", "url": receiver.url(), "active": true, "triggers": [{"event": "x"}]}))).await;
    let wh_b = hook_b["id"].as_str().expect("id");
    h.call_as(
        &key_b,
        "POST",
        &format!("/v1/orgs/{b}/events"),
        Some(json!({"type": "x", "data": {}})),
    )
    .await;
    let items = h.wait_deliveries(&b, wh_b, WAIT, |i| !i.is_empty()).await;
    let dlv_b = items[0]["id"].as_str().expect("id");
    let (_, keys_b) = h
        .call_as(&key_b, "GET", &format!("/v1/orgs/{b}/api-keys"), None)
        .await;
    let key_b_id = keys_b["items"][0]["id"].as_str().expect("id");

    // Through B's paths with A's key: 404, like an absent org.
    for (method, path, body) in [
        ("GET", format!("/v1/orgs/{b}"), None),
        ("GET", format!("/v1/orgs/{b}/webhooks"), None),
        ("GET", format!("/v1/orgs/{b}/webhooks/{wh_b}"), None),
        (
            "PATCH",
            format!("/v1/orgs/{b}/webhooks/{wh_b}"),
            Some(json!({"active": false})),
        ),
        ("DELETE", format!("/v1/orgs/{b}/webhooks/{wh_b}"), None),
        ("GET", format!("/v1/orgs/{b}/webhooks/{wh_b}/secret"), None),
        (
            "GET",
            format!("/v1/orgs/{b}/webhooks/{wh_b}/deliveries"),
            None,
        ),
        ("GET", format!("/v1/orgs/{b}/deliveries/{dlv_b}"), None),
        (
            "POST",
            format!("/v1/orgs/{b}/deliveries/{dlv_b}/retry"),
            None,
        ),
        ("GET", format!("/v1/orgs/{b}/api-keys"), None),
        ("DELETE", format!("/v1/orgs/{b}/api-keys/{key_b_id}"), None),
        (
            "POST",
            format!("/v1/orgs/{b}/events"),
            Some(json!({"type": "x", "data": {}})),
        ),
    ] {
        let (status, err) = h.call_as(&key_a, method, &path, body).await;
        assert_eq!(status, 404, "{method} {path}: {err}");
        assert_eq!(message(&err), "org not found", "no hint that it exists");
    }
    // Through A's own paths with B's ids: 404 too.
    for (method, path) in [
        ("GET", format!("/v1/orgs/{a}/webhooks/{wh_b}")),
        ("GET", format!("/v1/orgs/{a}/deliveries/{dlv_b}")),
        ("DELETE", format!("/v1/orgs/{a}/api-keys/{key_b_id}")),
        ("POST", format!("/v1/orgs/{a}/deliveries/{dlv_b}/retry")),
    ] {
        let (status, _) = h.call_as(&key_a, method, &path, None).await;
        assert_eq!(status, 404, "{method} {path}");
    }
    let (_, list_a) = h
        .call_as(&key_a, "GET", &format!("/v1/orgs/{a}/webhooks"), None)
        .await;
    assert_eq!(list_a["items"], json!([]));
    let (status, still) = h
        .call_as(
            &key_b,
            "GET",
            &format!("/v1/orgs/{b}/webhooks/{wh_b}"),
            None,
        )
        .await;
    assert_eq!(
        (status, still["active"].clone()),
        (200, json!(true)),
        "B's webhook is untouched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_plugins_secrets_and_org_deletion() {
    let (redis, ca, h) = setup(&[]).await;
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let org = h.org().await;

    let (status, orgs) = h.call("GET", "/v1/orgs", None).await;
    assert_eq!(status, 200);
    assert!(
        orgs["items"]
            .as_array()
            .is_some_and(|o| o.iter().any(|x| x["id"] == org.as_str())),
        "{orgs}"
    );

    // Keys: shown once, listed without secrets, cannot grant more than held, revocable.
    let admin = key(&h, &org, &["keys:write", "webhooks:read"]).await;
    let (_, listed) = h
        .call_as(&admin, "GET", &format!("/v1/orgs/{org}/api-keys"), None)
        .await;
    assert!(
        !listed.to_string().contains(&admin[admin.len() - 20..]),
        "no secret in the list"
    );
    let (status, err) = h
        .call_as(
            &admin,
            "POST",
            &format!("/v1/orgs/{org}/api-keys"),
            Some(json!({"name": "x", "permissions": ["events:write"]})),
        )
        .await;
    assert_eq!(status, 403, "{err}");
    let (status, err) = h
        .call_as(
            &admin,
            "POST",
            &format!("/v1/orgs/{org}/api-keys"),
            Some(json!({"name": "x", "permissions": ["root"]})),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    let reader = key(&h, &org, &["webhooks:read"]).await;
    let reader_id = reader.split('_').nth(1).expect("id");
    assert_eq!(
        h.call_as(&reader, "GET", &format!("/v1/orgs/{org}/webhooks"), None)
            .await
            .0,
        200
    );
    assert_eq!(
        h.call_as(
            &admin,
            "DELETE",
            &format!("/v1/orgs/{org}/api-keys/{reader_id}"),
            None
        )
        .await
        .0,
        204
    );
    assert_eq!(
        h.call_as(&reader, "GET", &format!("/v1/orgs/{org}/webhooks"), None)
            .await
            .0,
        401,
        "revoked"
    );

    // Plugins: immutable versions, listed for any key, deletion refused while used.
    register(&h, "threshold", "threshold-filter").await;
    let same = std::fs::read(herald_e2e::plugin_wasm("threshold-filter")).expect("wasm");
    assert_eq!(
        h.call_raw("PUT", "/v1/plugins/threshold/1.0.0", same)
            .await
            .0,
        200,
        "same bytes again: no-op"
    );
    let other = std::fs::read(herald_e2e::plugin_wasm("field-match-filter")).expect("wasm");
    assert_eq!(
        h.call_raw("PUT", "/v1/plugins/threshold/1.0.0", other)
            .await
            .0,
        409
    );
    let (status, err) = h
        .call_raw("PUT", "/v1/plugins/junk/1.0.0", b"not wasm".to_vec())
        .await;
    assert_eq!(status, 400);
    assert!(message(&err).contains("not a WebAssembly file"), "{err}");
    let (_, plugins) = h.call_as(&admin, "GET", "/v1/plugins", None).await;
    assert_eq!(plugins["items"][0]["world"], "filter-plugin");
    let hook = h
        .webhook(&org, json!({"name": "p", "url": receiver.url(), "active": true, "triggers": [{"event": "x"}],
                               "plugins": {"filters": [{"plugin": "threshold@1.0.0", "config": {"path": "data.n", "above": 1}}]}}))
        .await;
    let wh = hook["id"].as_str().expect("id");
    let (status, err) = h.call("DELETE", "/v1/plugins/threshold/1.0.0", None).await;
    assert_eq!(status, 409);
    assert!(message(&err).contains(wh), "{err}");

    // Secret rotation: both secrets sign for the grace period.
    let old = hook["secret"].as_str().expect("secret").to_string();
    let (_, read) = h
        .call("GET", &format!("/v1/orgs/{org}/webhooks/{wh}/secret"), None)
        .await;
    assert_eq!(read["secret"], old.as_str());
    let (status, rotated) = h
        .call(
            "POST",
            &format!("/v1/orgs/{org}/webhooks/{wh}/rotate-secret"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_ne!(rotated["secret"], old.as_str());
    tokio::time::sleep(Duration::from_millis(1100)).await; // the webhook cache's TTL across processes
    h.publish(&org, json!({"type": "x", "data": {"n": 5}}))
        .await;
    let got = receiver.wait_for(1, WAIT).await;
    assert_eq!(
        got[0]
            .header("webhook-signature")
            .map(|s| s.split(' ').count()),
        Some(2),
        "old and new sign"
    );

    h.call(
        "PATCH",
        &format!("/v1/orgs/{org}/webhooks/{wh}"),
        Some(json!({"plugins": {"filters": []}})),
    )
    .await;
    assert_eq!(
        h.call("DELETE", "/v1/plugins/threshold/1.0.0", None)
            .await
            .0,
        204
    );

    // Deleting the org deletes its webhooks, keys and logs (once the
    // delivery above is recorded: a worker finishing it later would write again).
    h.wait_deliveries(&org, wh, WAIT, |i| {
        i.iter().all(|d| d["status"] == "succeeded")
    })
    .await;
    assert_eq!(
        h.call("DELETE", &format!("/v1/orgs/{org}"), None).await.0,
        204
    );
    assert_eq!(h.call("GET", &format!("/v1/orgs/{org}"), None).await.0, 404);
    assert_eq!(
        h.call_as(&admin, "GET", &format!("/v1/orgs/{org}/webhooks"), None)
            .await
            .0,
        401,
        "its keys are gone"
    );
    let client = redis::Client::open(redis.url()).expect("client");
    let mut con = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let left: Vec<String> = redis::cmd("KEYS")
        .arg(format!("*{org}*"))
        .query_async(&mut con)
        .await
        .expect("keys");
    assert!(left.is_empty(), "left behind: {left:?}");
    let left: Vec<String> = redis::cmd("KEYS")
        .arg(format!("*:wh:{wh}*"))
        .query_async(&mut con)
        .await
        .expect("keys");
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_matches_the_routes_served() {
    let (_redis, _ca, h) = setup(&[]).await;
    let (status, doc) = h.call_as("", "GET", "/openapi.json", None).await;
    assert_eq!(status, 200, "served to anyone");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.len() >= 20, "{}", paths.len());
    let mut operation_ids = std::collections::HashSet::new();
    for (path, item) in paths {
        assert!(path.starts_with('/'));
        for (method, op) in item.as_object().expect("path item") {
            assert!(
                ["get", "post", "put", "patch", "delete"].contains(&method.as_str()),
                "{method}"
            );
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path}: responses"
            );
            assert!(
                operation_ids.insert(op["operationId"].as_str().expect("operationId").to_string()),
                "unique operationId"
            );
            // Every template parameter is declared as a required path parameter.
            let declared: Vec<&str> = op["parameters"].as_array().map_or(vec![], |ps| {
                ps.iter()
                    .filter(|p| p["in"] == "path" && p["required"] == true)
                    .filter_map(|p| p["name"].as_str())
                    .collect()
            });
            for seg in path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            {
                assert!(declared.contains(&seg), "{method} {path}: {seg} undeclared");
            }
            // Every $ref resolves.
            for r in op
                .to_string()
                .split("\"$ref\":\"#/components/schemas/")
                .skip(1)
            {
                let name = r.split('"').next().unwrap_or_default();
                assert!(
                    schemas.contains_key(name),
                    "{method} {path}: unknown schema {name}"
                );
            }
            // The route is served: never the router's 404 or a 405.
            let concrete: String = path
                .split('/')
                .map(|s| if s.starts_with('{') { "x" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            let (status, body) = h.call(&method.to_uppercase(), &concrete, None).await;
            assert_ne!(status, 405, "{method} {path} is documented but not served");
            assert_ne!(
                message(&body),
                "route not found",
                "{method} {path} is documented but not served"
            );
        }
    }
}

/// Follows `next_cursor` from `path` with `limit`; returns every id seen, in order.
async fn all_pages(h: &HeraldProcess, path: &str, limit: usize) -> (Vec<String>, usize) {
    let (mut ids, mut pages, mut cursor) = (Vec::new(), 0, None::<String>);
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            None => format!("{path}{sep}limit={limit}"),
            Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
        };
        let (status, page) = h.call("GET", &url, None).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= limit);
        ids.extend(
            items
                .iter()
                .map(|i| i["id"].as_str().expect("id").to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return (ids, pages),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_page_with_cursors_without_gaps_or_repeats() {
    let (_redis, ca, h) = setup(&[]).await;
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let org = h.org().await;
    let mut created = Vec::new();
    for i in 0..7 {
        let hook = h.webhook(&org, json!({"name": format!("w{i}"), "url": receiver.url(), "active": true, "triggers": [{"event": "x"}]})).await;
        created.push(hook["id"].as_str().expect("id").to_string());
    }
    let (ids, pages) = all_pages(&h, &format!("/v1/orgs/{org}/webhooks"), 3).await;
    assert_eq!(pages, 3);
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 7, "no repeats: {ids:?}");
    assert_eq!(ids.first(), created.last(), "newest first");

    for _ in 0..5 {
        h.publish(&org, json!({"type": "x", "data": {}})).await;
    }
    let wh = &created[0];
    h.wait_deliveries(&org, wh, WAIT, |i| {
        i.len() == 5 && i.iter().all(|d| d["status"] == "succeeded")
    })
    .await;
    let (ids, pages) = all_pages(
        &h,
        &format!("/v1/orgs/{org}/webhooks/{wh}/deliveries?status=succeeded"),
        2,
    )
    .await;
    assert_eq!((ids.len(), pages), (5, 3), "{ids:?}");
    let (status, err) = h
        .call(
            "GET",
            &format!("/v1/orgs/{org}/webhooks?cursor=garbage"),
            None,
        )
        .await;
    assert_eq!(status, 400, "{err}");
    let (status, _) = h
        .call("GET", &format!("/v1/orgs/{org}/webhooks?limit=0"), None)
        .await;
    assert_eq!(status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_publish_validates_everything_first_and_is_idempotent() {
    let (_redis, ca, h) = setup(&[]).await;
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let org = h.org().await;
    h.webhook(
        &org,
        json!({"name": "w", "url": receiver.url(), "active": true,
                           "triggers": [{"event": "order.created"}]}),
    )
    .await;
    let path = format!("/v1/orgs/{org}/events/batch");
    let event = |id: &str| json!({"id": id, "type": "order.created", "data": {"n": id}});

    // One bad event refuses the whole batch, naming it; nothing is stored.
    let bad = json!({"events": [event("b-1"), {"type": "order.created", "data": [1]}]});
    let (status, err) = h.call("POST", &path, Some(bad)).await;
    assert_eq!(status, 400, "{err}");
    assert!(
        message(&err).starts_with("events[1]: `data` must be a JSON object"),
        "{err}"
    );
    let (status, err) = h.call("POST", &path, Some(json!({"events": []}))).await;
    assert_eq!(status, 400, "{err}");
    assert!(message(&err).contains("1 to 1000 events"), "{err}");
    let too_many: Vec<Value> = (0..1001).map(|i| event(&format!("m-{i}"))).collect();
    let (status, err) = h
        .call("POST", &path, Some(json!({"events": too_many})))
        .await;
    assert_eq!(status, 400, "{err}");
    assert!(message(&err).contains("it holds 1001"), "{err}");
    let (status, err) = h
        .call(
            "POST",
            "/v1/orgs/org_missing/events/batch",
            Some(json!({"events": [event("x")]})),
        )
        .await;
    assert_eq!(status, 404, "{err}");

    // A good batch: answers in order, one delivery each; repeating it enqueues nothing.
    let good =
        json!({"events": [event("b-1"), event("b-2"), {"type": "order.created", "data": {}}]});
    let (status, first) = h.call("POST", &path, Some(good.clone())).await;
    assert_eq!(status, 202, "{first}");
    let answers = first["events"].as_array().expect("events");
    assert_eq!(answers.len(), 3);
    assert_eq!(answers[0], json!({"id": "b-1", "deliveries": 1}));
    assert_eq!(answers[1], json!({"id": "b-2", "deliveries": 1}));
    assert!(answers[2]["id"]
        .as_str()
        .is_some_and(|id| id.starts_with("evt_")));
    let got = receiver.wait_for(3, WAIT).await;
    let (status, again) = h
        .call(
            "POST",
            &path,
            Some(json!({"events": [event("b-1"), event("b-2")]})),
        )
        .await;
    assert_eq!(status, 202, "{again}");
    assert_eq!(
        again["events"],
        json!([{"id": "b-1", "deliveries": 1}, {"id": "b-2", "deliveries": 1}])
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        receiver.received().len(),
        3,
        "a repeated batch sends nothing: {got:?}"
    );
    let mut ids: Vec<String> = got
        .iter()
        .map(|r| r.json()["data"]["n"].as_str().unwrap_or("none").to_string())
        .collect();
    ids.sort();
    assert_eq!(ids, ["b-1", "b-2", "none"]);
}
