//! Event versions: `order.created` declares v1, v2 and v3 in the catalogue,
//! each newer one with a `downgrade` (the CRM reshape transform, configured
//! as a mapping). One event published in v3 reaches a webhook pinned to v1
//! (converted twice), one pinned to v2 whose native filter reads a v2 path,
//! and an unpinned one (v3, as published); each gets the version it asked
//! for, named in `herald-event-version`. Bad pins and catalogue entries are
//! refused with what to fix, and a plugin the catalogue uses is not deleted.

use super::{herald, WAIT};
use herald_e2e::receiver::Receiver;
use herald_e2e::redis::TestRedis;
use herald_e2e::tls::TestCa;
use serde_json::{json, Value};

/// v3 → v2: the total becomes a number again, its currency a sibling.
fn v3_to_v2() -> Value {
    json!({"plugin": "reshape@1.0.0", "config": {"mapping": {
        "data.order.id": "data.order.id",
        "data.order.total": "data.order.total.value",
        "data.order.currency": "data.order.total.currency"}}})
}

/// v2 → v1: flat fields.
fn v2_to_v1() -> Value {
    json!({"plugin": "reshape@1.0.0", "config": {"mapping": {
        "data.order_id": "data.order.id",
        "data.amount": "data.order.total"}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_v3_event_reaches_each_webhook_in_the_version_it_pinned() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let h = herald(&redis, &ca).await;
    for (name, file) in [
        ("reshape", "crm-reshape-transform"),
        ("threshold", "threshold-filter"),
    ] {
        let wasm = std::fs::read(herald_e2e::plugin_wasm(file)).expect("plugin built");
        let (status, body) = h
            .call_raw("PUT", &format!("/v1/plugins/{name}/1.0.0"), wasm)
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let v3_example = json!({"order": {"id": "o-1", "total": {"value": 12.5, "currency": "EUR"}}});
    let entry = json!({"description": "An order was placed", "filterable": [],
        "versions": [
            {"version": "v1", "example": {"order_id": "o-1", "amount": 12.5}},
            {"version": "v2", "example": {"order": {"id": "o-1", "total": 12.5, "currency": "EUR"}},
             "downgrade": v2_to_v1()},
            {"version": "v3", "example": v3_example, "downgrade": v3_to_v2()}]});

    // What the catalogue refuses, and why.
    let refused = |entry: Value, said: &'static str| {
        let h = &h;
        async move {
            let (status, body) = h
                .call("PUT", "/v1/event-types/order.created", Some(entry))
                .await;
            assert_eq!(status, 400, "{body}");
            let message = body["error"]["message"].as_str().unwrap_or_default();
            assert!(message.contains(said), "{message}");
        }
    };
    let mut no_step = entry.clone();
    no_step["versions"][2]
        .as_object_mut()
        .expect("object")
        .remove("downgrade");
    refused(no_step, "`versions[2].downgrade` is required").await;
    let mut a_filter = entry.clone();
    a_filter["versions"][1]["downgrade"] = json!({"plugin": "threshold@1.0.0"});
    refused(a_filter, "threshold@1.0.0 is a filter plugin").await;
    let mut bad_config = entry.clone();
    bad_config["versions"][1]["downgrade"]["config"] = json!({"mapping": "no"});
    refused(
        bad_config,
        "`versions[1].downgrade.config` rejected by reshape@1.0.0",
    )
    .await;

    let (status, stored) = h
        .call("PUT", "/v1/event-types/order.created", Some(entry))
        .await;
    assert_eq!(status, 200, "{stored}");
    assert_eq!(stored["example"], v3_example, "the newest version's sample");
    let (_, listed) = h.call("GET", "/v1/event-types", None).await;
    assert_eq!(
        listed["items"][0]["versions"][2]["version"], "v3",
        "{listed}"
    );

    let org = h.org().await;
    let hook = |name: &str, trigger: Value| json!({"name": name, "url": receiver.url(), "active": true, "triggers": [trigger]});
    let (status, body) = h
        .call(
            "POST",
            &format!("/v1/orgs/{org}/webhooks"),
            Some(hook(
                "bad pin",
                json!({"event": "order.created", "version": "v9"}),
            )),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("`triggers[0].version`") && message.contains("(versions: v1, v2, v3)"),
        "{message}"
    );

    let v1 = h
        .webhook(
            &org,
            hook("v1", json!({"event": "order.created", "version": "v1"})),
        )
        .await;
    // Its filter reads a v2 path: it sees the event as converted.
    let v2 = h
        .webhook(
            &org,
            hook(
                "v2",
                json!({"event": "order.created", "version": "v2", "filters": [
                    {"path": "data.order.currency", "op": "equals", "value": "EUR"}]}),
            ),
        )
        .await;
    let newest = h
        .webhook(&org, hook("newest", json!({"event": "order.created"})))
        .await;
    assert_eq!(v1["triggers"][0]["version"], "v1", "{v1}");
    let id = |w: &Value| w["id"].as_str().expect("id").to_string();
    let (v1, v2, newest) = (id(&v1), id(&v2), id(&newest));

    h.publish(
        &org,
        json!({"type": "order.created", "data": v3_example.clone()}),
    )
    .await;
    let sent = receiver.wait_for(3, WAIT).await;
    let body_of = |version: &str| -> Value {
        let found: Vec<_> = sent
            .iter()
            .filter(|r| r.header("herald-event-version") == Some(version))
            .collect();
        assert_eq!(found.len(), 1, "one delivery in {version}");
        found[0].json()
    };
    assert_eq!(
        body_of("v1")["data"],
        json!({"order_id": "o-1", "amount": 12.5})
    );
    assert_eq!(
        body_of("v2")["data"],
        json!({"order": {"id": "o-1", "total": 12.5, "currency": "EUR"}})
    );
    let v3 = body_of("v3");
    assert_eq!(v3["data"], v3_example);
    // The envelope around the data stays the event's own.
    assert_eq!(body_of("v1")["id"], v3["id"]);
    assert_eq!(body_of("v1")["type"], "order.created");

    // The log shows the body as sent to the pinned webhook.
    let items = h
        .wait_deliveries(&org, &v1, WAIT, |items| {
            items.len() == 1 && items[0]["status"] == "succeeded"
        })
        .await;
    let delivery_id = items[0]["id"].as_str().expect("delivery id");
    let (_, delivery) = h
        .call(
            "GET",
            &format!("/v1/orgs/{org}/deliveries/{delivery_id}"),
            None,
        )
        .await;
    let attempt = &delivery["attempts"][0];
    let sent_body: Value =
        serde_json::from_str(attempt["request_body"].as_str().unwrap_or_default())
            .unwrap_or_default();
    assert_eq!(sent_body["data"]["order_id"], "o-1", "{delivery:#}");
    assert_eq!(
        attempt["request_headers"]["herald-event-version"], "v1",
        "{delivery:#}"
    );

    // In dollars: the v2 webhook's filter drops it, the others get it.
    let in_dollars = json!({"order": {"id": "o-2", "total": {"value": 3, "currency": "USD"}}});
    h.publish(&org, json!({"type": "order.created", "data": in_dollars}))
        .await;
    h.wait_deliveries(&org, &v2, WAIT, |items| {
        items.iter().any(|d| d["status"] == "filtered")
    })
    .await;
    for webhook in [&v1, &newest] {
        h.wait_deliveries(&org, webhook, WAIT, |items| {
            items.len() == 2 && items.iter().all(|d| d["status"] == "succeeded")
        })
        .await;
    }
    assert_eq!(receiver.received().len(), 5);

    // The catalogue still converts with it: not deleted.
    let (status, body) = h.call("DELETE", "/v1/plugins/reshape/1.0.0", None).await;
    assert_eq!(status, 409, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("order.created"), "{message}");

    // A type without versions cannot be pinned.
    let (status, _) = h
        .call(
            "PUT",
            "/v1/event-types/order.shipped",
            Some(json!({"description": "Shipped"})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = h
        .call(
            "POST",
            &format!("/v1/orgs/{org}/webhooks"),
            Some(hook(
                "unversioned",
                json!({"event": "order.shipped", "version": "v1"}),
            )),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("declares no versions"), "{message}");
}
