//! The two plugin contracts side by side: a transform built against
//! `herald:plugin@0.2.0` (the CRM example) whose permanent error makes a
//! delivery dead at once, with one attempt and the plugin's message, and a
//! transform built against `herald:plugin@0.1.0` (the `legacy-transform`
//! fixture) that still runs, logs and changes the request, and whose error
//! is retried as before 0.2.0.

use super::{herald, WAIT};
use herald_e2e::receiver::Receiver;
use herald_e2e::redis::TestRedis;
use herald_e2e::tls::TestCa;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanent_error_is_dead_at_once_and_0_1_0_plugins_still_run() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let h = herald(&redis, &ca).await;
    for (name, file, contract) in [
        ("crm", "crm-reshape-transform", "0.2.0"),
        ("legacy", "legacy-transform", "0.1.0"),
    ] {
        let wasm = std::fs::read(herald_e2e::plugin_wasm(file)).expect("plugin built");
        let (status, body) = h
            .call_raw("PUT", &format!("/v1/plugins/{name}/1.0.0"), wasm)
            .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["contract"], contract, "{body}");
        assert_eq!(body["world"], "transform-plugin", "{body}");
    }
    let org = h.org().await;
    // Both retry an hour later: a delivery that is dead now was not retried.
    let webhook = |name: &str, plugin: &str, config: Value| {
        json!({"name": name, "url": receiver.url(), "active": true,
            "triggers": [{"event": "order.created"}], "retry": {"schedule": ["1h"]},
            "plugins": {"transforms": [{"plugin": plugin, "config": config}]}})
    };
    let crm_config: Value = serde_json::from_str(
        &std::fs::read_to_string(herald_e2e::example_file(
            "crm-reshape-transform",
            "config.json",
        ))
        .expect("config"),
    )
    .expect("JSON");
    let crm = h
        .webhook(&org, webhook("crm", "crm@1.0.0", crm_config))
        .await;
    let legacy = h
        .webhook(&org, webhook("legacy", "legacy@1.0.0", json!({})))
        .await;
    let (crm, legacy) = (
        crm["id"].as_str().expect("id"),
        legacy["id"].as_str().expect("id"),
    );

    // Without the required order id: dead at once, one attempt.
    h.publish(
        &org,
        json!({"type": "order.created", "data": {"fail": true}}),
    )
    .await;
    let items = h
        .wait_deliveries(&org, crm, WAIT, |items| {
            items.len() == 1 && items[0]["status"] == "dead"
        })
        .await;
    let attempt = only_attempt(&h, &org, &items[0]).await;
    assert_eq!(attempt["error"]["class"], "plugin", "{attempt:#}");
    let said = attempt["error"]["message"].as_str().unwrap_or_default();
    assert!(
        said.starts_with("crm@1.0.0 (guest_error): plugin error: invalid event: required field data.order.id is missing")
            && said.ends_with("(permanent: not retried)"),
        "{said}"
    );

    // The 0.1.0 plugin's error on the same event: failed, a retry scheduled.
    let items = h
        .wait_deliveries(&org, legacy, WAIT, |items| {
            items.len() == 1 && items[0]["status"] == "failed"
        })
        .await;
    let attempt = only_attempt(&h, &org, &items[0]).await;
    let said = attempt["error"]["message"].as_str().unwrap_or_default();
    assert!(
        said.starts_with("legacy@1.0.0 (guest_error): plugin error: invalid event: event ")
            && said.ends_with("asks to fail")
            && !said.contains("permanent"),
        "{said}"
    );
    assert!(items[0]["next_attempt_at"].is_string(), "{:#}", items[0]);

    // A good event: both deliver, the 0.1.0 plugin's change and log included.
    h.publish(
        &org,
        json!({"type": "order.created", "data": {"order": {"id": "o-7", "total": 12}}}),
    )
    .await;
    let sent = receiver.wait_for(2, WAIT).await;
    assert_eq!(sent.len(), 2, "nothing of the failed deliveries was sent");
    let tagged: Vec<_> = sent
        .iter()
        .filter(|r| r.header("x-contract") == Some("0.1.0"))
        .collect();
    assert_eq!(tagged.len(), 1);
    assert_eq!(tagged[0].json()["data"]["order"]["id"], "o-7");
    let crm_body = sent
        .iter()
        .find(|r| r.header("x-crm-object") == Some("deal"))
        .expect("the CRM delivery")
        .json();
    assert_eq!(crm_body["properties"]["dealname"], "o-7");
    let items = h
        .wait_deliveries(&org, legacy, WAIT, |items| {
            items.iter().any(|d| d["status"] == "succeeded")
        })
        .await;
    let done = items
        .iter()
        .find(|d| d["status"] == "succeeded")
        .expect("succeeded");
    let attempt = only_attempt(&h, &org, done).await;
    assert_eq!(
        attempt["plugin_logs"][0]["message"], "built against herald:plugin@0.1.0",
        "{attempt:#}"
    );
}

/// The one attempt of a delivery listed in a webhook's log.
async fn only_attempt(h: &herald_e2e::herald::HeraldInProcess, org: &str, item: &Value) -> Value {
    let id = item["id"].as_str().expect("delivery id");
    let (status, delivery) = h
        .call("GET", &format!("/v1/orgs/{org}/deliveries/{id}"), None)
        .await;
    assert_eq!(status, 200, "{delivery}");
    let attempts = delivery["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 1, "{delivery:#}");
    attempts[0].clone()
}
