//! Python and JavaScript plugins in the delivery path: registered (the
//! answer names the language and the limits chosen, defaults or the
//! query's, and they are recorded), then one webhook per language filters
//! with its threshold port and reshapes with its CRM port, and the receiver
//! gets what the Rust originals send.

use super::herald;
use herald_e2e::backend::TestBackend;
use herald_e2e::receiver::Receiver;
use herald_e2e::tls::TestCa;
use herald_e2e::{example_file, plugin_wasm};
use serde_json::{json, Value};
use std::time::Duration;

/// Generous: the first delivery of each webhook instantiates its plugins.
const WAIT: Duration = Duration::from_secs(60);

fn example(plugin: &str, file: &str) -> Value {
    let text = std::fs::read_to_string(example_file(plugin, file)).expect("example file");
    serde_json::from_str(&text).expect("JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_and_javascript_plugins_deliver_end_to_end() {
    let (redis, ca) = (TestBackend::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let h = herald(&redis, &ca).await;
    let wasm = |file: &str| std::fs::read(plugin_wasm(file)).expect("plugin built");

    // A limit out of range is refused, saying what to give.
    let (status, err) = h
        .call_raw(
            "PUT",
            "/v1/plugins/t/1.0.0?memory_mib=0",
            wasm("threshold-filter-js"),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    assert!(
        err.to_string().contains("memory_mib: give 1 to 512"),
        "{err}"
    );

    for (name, file, language) in [
        ("threshold-py", "threshold-filter-py", "python"),
        ("crm-py", "crm-reshape-transform-py", "python"),
        ("threshold-js", "threshold-filter-js", "javascript"),
        ("crm-js", "crm-reshape-transform-js", "javascript"),
    ] {
        let (status, body) = h
            .call_raw("PUT", &format!("/v1/plugins/{name}/1.0.0"), wasm(file))
            .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["language"], language, "{body}");
        // The language's memory cap; its deadline, or the server's when
        // longer (this harness's is unhurried).
        assert_eq!(body["limits"]["memory_mib"], 64, "{body}");
        assert!(
            body["limits"]["deadline_ms"].as_u64() >= Some(250),
            "{body}"
        );
    }
    // Limits chosen at registration are recorded and listed.
    let (status, body) = h
        .call_raw(
            "PUT",
            "/v1/plugins/threshold-js-roomy/1.0.0?deadline_ms=500&memory_mib=128",
            wasm("threshold-filter-js"),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (_, list) = h.call("GET", "/v1/plugins", None).await;
    let roomy = list["items"]
        .as_array()
        .and_then(|items| items.iter().find(|p| p["name"] == "threshold-js-roomy"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        roomy["limits"],
        json!({"deadline_ms": 500, "memory_mib": 128}),
        "{list}"
    );

    let org = h.org().await;
    let threshold = example("threshold-filter", "config.json");
    let crm = example("crm-reshape-transform", "config.json");
    let mut hooks = Vec::new();
    for lang in ["py", "js"] {
        let hook = h
            .webhook(&org, json!({
                "name": format!("orders to the CRM ({lang})"), "url": receiver.url(), "active": true,
                "triggers": [{"event": "order.created"}],
                "plugins": {
                    "filters": [{"plugin": format!("threshold-{lang}@1.0.0"), "config": threshold}],
                    "transforms": [{"plugin": format!("crm-{lang}@1.0.0"), "config": crm}]
                }}))
            .await;
        hooks.push(hook["id"].as_str().expect("id").to_string());
    }
    let order = example("crm-reshape-transform", "event.json");
    h.publish(
        &org,
        json!({"type": "order.created", "data": order["data"]}),
    )
    .await;
    let mut small = order["data"].clone();
    small["order"]["total"] = json!(50);
    h.publish(&org, json!({"type": "order.created", "data": small}))
        .await;

    let got = receiver.wait_for(2, WAIT).await;
    assert_eq!(got.len(), 2);
    let expected = &example("crm-reshape-transform", "expected.json")["request"];
    for request in &got {
        let body = request.json();
        let want = &expected["body"]["properties"];
        let props = &body["properties"];
        assert_eq!(props["dealname"], want["dealname"], "{body}");
        assert_eq!(props["amount"].as_f64(), want["amount"].as_f64(), "{body}");
        assert_eq!(props["email"], want["email"], "{body}");
        assert_eq!(props["pipeline"], want["pipeline"], "{body}");
        assert_eq!(request.header("x-crm-object"), Some("deal"));
    }
    for hook in &hooks {
        let items = h
            .wait_deliveries(&org, hook, WAIT, |i| {
                i.len() == 2 && i.iter().all(|d| d["status"] != "pending")
            })
            .await;
        assert!(
            items.iter().any(|d| d["status"] == "filtered"
                && d["last_error"]
                    .as_str()
                    .is_some_and(|e| e.contains("data.order.total = 50 is not above 100"))),
            "{items:#?}"
        );
        assert!(
            items.iter().any(|d| d["status"] == "succeeded"),
            "{items:#?}"
        );
    }
}
