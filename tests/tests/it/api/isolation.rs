//! Tenant isolation: a key never reaches another org's data.

use super::{key, message, setup, WAIT};
use herald_e2e::receiver::Receiver;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_never_reaches_another_orgs_data() {
    let (_redis, ca, h) = setup(|_| ()).await;
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
