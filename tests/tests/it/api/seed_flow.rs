//! The first steps through the API alone: a key, a webhook with filters, a
//! test send, activation, the delivery log, retry and replay, stats.

use super::{key, setup, WAIT};
use herald_e2e::receiver::Receiver;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_flow_through_the_api_alone() {
    let (_redis, ca, h) = setup(|_| ()).await;
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
    assert_eq!(test["filters_applied"], false, "{test}");
    // With `apply_filters`, the trigger's filter runs as in a delivery: an
    // unpaid order is dropped, with the reason, and nothing is sent.
    let (status, filtered) = h
        .call_as(
            &k,
            "POST",
            &format!("/v1/orgs/{org}/webhooks/{wh}/test"),
            Some(json!({"type": "order.created", "data": {"order": {"status": "open"}}, "apply_filters": true})),
        )
        .await;
    assert_eq!(status, 200, "{filtered}");
    assert_eq!(
        (
            &filtered["result"],
            &filtered["filters_applied"],
            &filtered["attempt"]
        ),
        (&json!("filtered"), &json!(true), &Value::Null),
        "{filtered}"
    );
    assert!(
        filtered["filtered_reason"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "{filtered}"
    );
    assert_eq!(
        receiver.received().len(),
        1,
        "a filtered test send is not sent"
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
