//! Auto-disable: "3 failures then stop" as a webhook setting (each failure
//! dead at once with no retries; after the third the webhook is inactive,
//! `disabled_reason` says why, its queued deliveries wait without being
//! sent, and re-activation delivers them), and an org's rule for the
//! webhooks that set none, changed with `PATCH /v1/orgs/{org}`.

use super::{answer, herald, with_fields, WAIT};
use herald_e2e::receiver::Receiver;
use herald_e2e::redis::TestRedis;
use herald_e2e::tls::TestCa;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_failures_then_stop_and_an_orgs_rule() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let healed = Arc::new(AtomicBool::new(false));
    let up = healed.clone();
    let receiver = Receiver::start(
        Some(ca.server.clone()),
        answer(move |_| if up.load(Ordering::SeqCst) { 200 } else { 500 }),
    )
    .await;
    let h = herald(&redis, &ca).await;
    let org = h.org().await;
    let (status, changed) = h
        .call(
            "PATCH",
            &format!("/v1/orgs/{org}"),
            Some(json!({"auto_disable": {"consecutive_dead": 2}})),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["auto_disable"]["consecutive_dead"], 2, "{changed}");
    let hook = |event: &str, extra: Value| {
        let body = json!({"name": event, "url": format!("{}/{event}", receiver.url()),
            "active": true, "triggers": [{"event": event}], "retry": {"schedule": []}});
        with_fields(body, extra)
    };
    let own = h
        .webhook(
            &org,
            hook(
                "jobs",
                json!({"auto_disable": {"consecutive_dead": 3}, "rate_limit": {"per_second": 1}}),
            ),
        )
        .await;
    let orgs = h.webhook(&org, hook("other", json!({}))).await;
    let (own, orgs) = (
        own["id"].as_str().expect("id").to_string(),
        orgs["id"].as_str().expect("id").to_string(),
    );

    // "3 failures then stop": five events at once, sent one per second
    // (the rate limit keeps the test's order): three fail, each dead at
    // once, then the webhook is inactive and the last two wait, unsent.
    for i in 0..5 {
        h.publish(&org, json!({"type": "jobs", "data": {"i": i}}))
            .await;
    }
    let view = wait_inactive(&h, &org, &own).await;
    assert_reason(&view, 3);
    let items = h
        .wait_deliveries(&org, &own, WAIT, |items| {
            items.len() == 5
                && items.iter().filter(|d| d["status"] == "dead").count() == 3
                && items.iter().filter(|d| d["status"] == "pending").count() == 2
        })
        .await;
    assert!(items.iter().all(|d| d["attempts"].as_u64() <= Some(1)));

    // The org's rule, one event at a time so that "in a row" is the
    // publish order.
    for i in 0..2 {
        h.publish(&org, json!({"type": "other", "data": {"i": i}}))
            .await;
        h.wait_deliveries(&org, &orgs, WAIT, |items| {
            items.len() == i + 1 && items.iter().all(|d| d["status"] == "dead")
        })
        .await;
    }
    assert_reason(&wait_inactive(&h, &org, &orgs).await, 2);
    let sent = |path: &str| {
        receiver
            .received()
            .iter()
            .filter(|r| r.path.ends_with(path))
            .count()
    };
    assert_eq!((sent("/jobs"), sent("/other")), (3, 2));

    // Fixed and re-activated: what waited is delivered, and the count of
    // failures starts afresh.
    healed.store(true, Ordering::SeqCst);
    for webhook in [&own, &orgs] {
        let (status, view) = h
            .call(
                "PATCH",
                &format!("/v1/orgs/{org}/webhooks/{webhook}"),
                Some(json!({"active": true})),
            )
            .await;
        assert_eq!(status, 200, "{view}");
        assert!(view["disabled_reason"].is_null(), "{view:#}");
    }
    h.wait_deliveries(&org, &own, WAIT, |items| {
        items.iter().filter(|d| d["status"] == "succeeded").count() == 2
    })
    .await;
    h.publish(&org, json!({"type": "other", "data": {"after": true}}))
        .await;
    h.wait_deliveries(&org, &orgs, WAIT, |items| {
        items.iter().any(|d| d["status"] == "succeeded")
    })
    .await;
    assert_eq!((sent("/jobs"), sent("/other")), (5, 3));
}

fn assert_reason(view: &Value, after: usize) {
    let reason = view["disabled_reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with(&format!(
            "auto-disabled: {after} deliveries in a row ended dead (auto_disable.consecutive_dead = {after})"
        )),
        "{view:#}"
    );
}

/// Polls a webhook until it is inactive; its view.
async fn wait_inactive(h: &herald_e2e::herald::HeraldInProcess, org: &str, id: &str) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (status, view) = h
            .call("GET", &format!("/v1/orgs/{org}/webhooks/{id}"), None)
            .await;
        assert_eq!(status, 200, "{view}");
        if view["active"] == false {
            return view;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still active: {view:#}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
