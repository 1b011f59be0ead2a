//! Retries on schedule then dead, 410 deactivates, an inactive webhook's
//! queued deliveries wait.

use super::{answer, herald, WAIT};
use herald::serve::Role;
use herald_e2e::backend::TestBackend;
use herald_e2e::barrier::Barrier;
use herald_e2e::herald::{trusting_settings, HeraldInProcess};
use herald_e2e::receiver::Receiver;
use herald_e2e::tls::TestCa;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_follow_the_schedule_then_dead() {
    let (redis, ca) = (TestBackend::start(), TestCa::new());
    let flaky = Receiver::start(
        Some(ca.server.clone()),
        answer(|n| if n < 2 { 500 } else { 200 }),
    )
    .await;
    let down = Receiver::start(Some(ca.server.clone()), answer(|_| 503)).await;
    let h = herald(&redis, &ca).await;
    let org = h.org().await;
    // Behind a 4th attempt, were one wrongly scheduled like the last.
    let mut barrier = Barrier::after_retry(&h, &org, &ca, "400ms").await;
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
    barrier.pass(&h, WAIT).await;
    assert_eq!(down.received().len(), 3, "nothing after dead");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_deactivates_and_inactive_webhooks_wait() {
    let (redis, ca) = (TestBackend::start(), TestCa::new());
    let gone = Receiver::start(Some(ca.server.clone()), answer(|_| 410)).await;
    let h = herald(&redis, &ca).await;
    let org = h.org().await;
    let mut barrier = Barrier::after_retry(&h, &org, &ca, "200ms").await;
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
    // A retry (due 50 ms after the 410) would come before the barrier's (200 ms).
    barrier.pass(&h, WAIT).await;
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
    let (redis, ca) = (TestBackend::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    // An API-only Herald queues; nothing is delivered yet.
    let settings = || trusting_settings(&redis, &ca);
    let api = HeraldInProcess::start(settings(), Role::Api).await;
    let org = api.org().await;
    let mut barrier = Barrier::new(&api, &org, &ca).await;
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
    let worker = HeraldInProcess::start(settings(), Role::Worker).await;
    // The worker has taken the three queued deliveries once the sentinel,
    // queued after them, arrives.
    barrier.pass(&api, WAIT).await;
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
