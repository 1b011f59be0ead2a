//! A plugin that keeps hitting the host's limits on a webhook is paused
//! there: after 3 failures in a row, its attempts fail at once with the
//! same class and message and a note, costing no plugin time, while a
//! webhook beside it with well-behaved plugins delivers everything.

use super::WAIT;
use herald::config::Settings;
use herald::serve::Role;
use herald_e2e::herald::{trusting_settings, HeraldInProcess};
use herald_e2e::receiver::Receiver;
use herald_e2e::redis::TestRedis;
use herald_e2e::tls::TestCa;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_that_keeps_looping_is_paused_on_its_webhook() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    // A deadline a busy machine cannot hit by accident (the threshold
    // filter takes microseconds), short enough for the loop to hit it.
    let h = HeraldInProcess::start(
        Settings {
            plugin_deadline: Duration::from_secs(1),
            ..trusting_settings(&redis.url(), &ca)
        },
        Role::All,
    )
    .await;
    for (name, file) in [("loop", "loop-forever"), ("threshold", "threshold-filter")] {
        let wasm = std::fs::read(herald_e2e::plugin_wasm(file)).expect("plugin built");
        let (status, body) = h
            .call_raw("PUT", &format!("/v1/plugins/{name}/1.0.0"), wasm)
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let org = h.org().await;
    let looping = h
        .webhook(
            &org,
            json!({"name": "loops", "url": receiver.url(), "active": true,
            "triggers": [{"event": "order.created"}], "retry": {"schedule": []},
            "plugins": {"filters": [{"plugin": "loop@1.0.0", "config": {}}]}}),
        )
        .await;
    let good = h
        .webhook(&org, json!({"name": "good", "url": receiver.url(), "active": true,
            "triggers": [{"event": "order.created"}],
            "plugins": {"filters": [{"plugin": "threshold@1.0.0", "config": {"path": "data.total", "above": 1}}]}}))
        .await;
    let (looping, good) = (
        looping["id"].as_str().expect("id"),
        good["id"].as_str().expect("id"),
    );
    // One at a time, so that "in a row" is the publish order.
    let mut attempts = Vec::new();
    for i in 0..6 {
        h.publish(
            &org,
            json!({"type": "order.created", "data": {"total": 5, "i": i}}),
        )
        .await;
        let items = h
            .wait_deliveries(&org, looping, WAIT, |items| {
                items.len() == i + 1 && items.iter().all(|d| d["status"] == "dead")
            })
            .await;
        let id = items[0]["id"].as_str().expect("delivery id");
        let (status, delivery) = h
            .call("GET", &format!("/v1/orgs/{org}/deliveries/{id}"), None)
            .await;
        assert_eq!(status, 200, "{delivery}");
        attempts.push(delivery["attempts"][0].clone());
    }
    for (i, attempt) in attempts.iter().enumerate() {
        assert_eq!(attempt["error"]["class"], "plugin", "{attempt:#}");
        let said = attempt["error"]["message"].as_str().unwrap_or_default();
        assert!(
            said.starts_with("loop@1.0.0 (deadline_exceeded): deadline exceeded"),
            "{said}"
        );
        let plugins_ms = attempt["timings"]["plugins_ms"].as_f64().unwrap_or(-1.0);
        if i < 3 {
            assert!(!said.contains("not run"), "{said}");
            assert!(
                plugins_ms >= 45.0,
                "the loop ran to its deadline: {attempt:#}"
            );
        } else {
            assert!(
                said.contains(
                    "[not run: it failed like this 3 times in a row on this webhook; paused for"
                ),
                "{said}"
            );
            assert!(
                plugins_ms < 45.0,
                "a paused plugin costs nothing: {attempt:#}"
            );
        }
    }
    // The other webhook, beside it, delivered every event (its last one
    // may still be in flight when the looping webhook's sixth is dead).
    h.wait_deliveries(&org, good, WAIT, |items| {
        items.len() == 6 && items.iter().all(|d| d["status"] == "succeeded")
    })
    .await;
    assert_eq!(
        receiver.received().len(),
        6,
        "nothing of the looping webhook was sent"
    );
}
