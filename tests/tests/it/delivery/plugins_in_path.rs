//! Native filters and plugins in the delivery path, and plugin configs
//! checked when a webhook is saved.

use super::{herald, WAIT};
use herald_e2e::backend::TestBackend;
use herald_e2e::receiver::Receiver;
use herald_e2e::tls::TestCa;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_filters_and_plugins_in_the_path() {
    let (redis, ca) = (TestBackend::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let h = herald(&redis, &ca).await;
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
    // The attempt records the body as the transform left it and the
    // plugin's log lines; the payload stays the original.
    let sent = items
        .iter()
        .find(|d| d["status"] == "succeeded")
        .and_then(|d| d["id"].as_str())
        .expect("the delivered one");
    let (_, detail) = h
        .call("GET", &format!("/v1/orgs/{org}/deliveries/{sent}"), None)
        .await;
    let attempt = &detail["attempts"][0];
    let body = attempt["request_body"].as_str().unwrap_or_default();
    assert!(
        body.contains("***") && !body.contains("a@b.c"),
        "{detail:#}"
    );
    assert_eq!(
        attempt["plugin_logs"][0],
        json!({"plugin": "redact@1.0.0", "level": "debug", "message": "redacted 1 value(s)"}),
        "{detail:#}"
    );
    assert_eq!(detail["payload"]["data"]["customer"]["email"], "a@b.c");

    // A dry run goes the same way and sends and writes nothing.
    let dry = format!("/v1/orgs/{org}/webhooks/{wh}/dry-run");
    let events = json!({"events": [order("open", 500), order("paid", 50), order("paid", 500)]});
    let (status, run) = h.call("POST", &dry, Some(events)).await;
    assert_eq!(status, 200, "{run}");
    let results: Vec<&str> = run["items"]
        .as_array()
        .map(|i| {
            i.iter()
                .map(|r| r["result"].as_str().unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(results, ["filtered", "filtered", "send"], "{run:#}");
    assert!(
        run["items"][1]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("is not above 100")),
        "{run:#}"
    );
    let would = &run["items"][2];
    let body: serde_json::Value =
        serde_json::from_str(would["request"]["body"].as_str().unwrap_or_default())
            .expect("JSON body");
    assert_eq!(body["data"]["customer"]["email"], "***", "{run:#}");
    assert!(
        would["request"]["headers"]["webhook-signature"].is_string(),
        "{run:#}"
    );
    assert_eq!(would["plugin_logs"][0]["message"], "redacted 1 value(s)");
    let (status, recent) = h.call("POST", &dry, Some(json!({"recent": 10}))).await;
    assert_eq!(status, 200, "{recent}");
    assert_eq!(
        recent["items"].as_array().map(Vec::len),
        Some(3),
        "{recent:#}"
    );
    for bad in [
        json!({}),
        json!({"recent": 0}),
        json!({"recent": 1, "events": []}),
    ] {
        let (status, err) = h.call("POST", &dry, Some(bad)).await;
        assert_eq!(status, 400, "{err}");
    }
    // The same through `herald plugin dry-run`: exit 0 and each verdict
    // printed; a key Herald refuses: exit 2 with the server's message.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("events.json");
    std::fs::write(
        &file,
        json!([order("paid", 50), order("paid", 500)]).to_string(),
    )
    .expect("events file");
    let file = file.display().to_string();
    let cli = |key: &str| {
        tokio::process::Command::new(herald_e2e::herald_bin())
            .args([
                "plugin", "dry-run", "--url", &h.base, "--key", key, "--org", &org,
            ])
            .args(["--webhook", wh, "--events", &file])
            .output()
    };
    let out = cli(herald_e2e::herald::ADMIN_TOKEN)
        .await
        .expect("herald runs");
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(printed.contains("filtered: threshold@1.0.0"), "{printed}");
    assert!(
        printed.contains(&format!("send to {}", receiver.url())),
        "{printed}"
    );
    assert!(printed.contains(r#""email":"***""#), "{printed}");
    let out = cli("hk_wrong").await.expect("herald runs");
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("Herald answered 401"), "{said}");

    assert_eq!(receiver.received().len(), 1, "a dry run sends nothing");
    assert_eq!(
        h.deliveries(&org, wh).await.len(),
        3,
        "a dry run writes nothing"
    );

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
