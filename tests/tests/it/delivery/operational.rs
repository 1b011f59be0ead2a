//! Operational webhooks: an org subscribes a normal webhook to Herald's own
//! event types and receives, signed like any event, a webhook failing then
//! recovered, each dead delivery, and a webhook Herald deactivated; a
//! webhook that fails to receive them sets off nothing more; the types are
//! in the catalogue and producers cannot publish them.

use super::{answer, herald, with_fields, WAIT};
use herald_e2e::receiver::{Received, Receiver};
use herald_e2e::redis::TestRedis;
use herald_e2e::tls::TestCa;
use serde_json::{json, Value};

const OWN: [&str; 4] = [
    "herald.delivery.dead",
    "herald.webhook.disabled",
    "herald.webhook.failing",
    "herald.webhook.recovered",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_watches_its_webhooks_with_a_webhook() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let ops_rx = Receiver::ok(Some(ca.server.clone())).await;
    let flaky_rx = Receiver::start(
        Some(ca.server.clone()),
        answer(|n| if n < 5 { 500 } else { 200 }),
    )
    .await;
    let down_rx = Receiver::start(Some(ca.server.clone()), answer(|_| 500)).await;
    let h = herald(&redis, &ca).await;
    let org = h.org().await;

    // The types are in the catalogue; producers and triggers cannot make up others.
    let (status, catalogue) = h.call("GET", "/v1/event-types", None).await;
    assert_eq!(status, 200, "{catalogue}");
    let listed: Vec<&str> = catalogue["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["builtin"] == true)
        .filter_map(|t| t["type"].as_str())
        .collect();
    assert_eq!(listed, OWN);
    let (status, refused) = h
        .call(
            "POST",
            &format!("/v1/orgs/{org}/events"),
            Some(json!({"type": "herald.webhook.disabled", "data": {}})),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert!(refused.to_string().contains("Herald's own"), "{refused}");
    let (status, refused) = h
        .call(
            "POST",
            &format!("/v1/orgs/{org}/webhooks"),
            Some(json!({"name": "x", "url": ops_rx.url(), "triggers": [{"event": "herald.nope"}]})),
        )
        .await;
    assert_eq!(status, 400, "{refused}");

    let hook = |name: &str, url: String, events: &[&str], extra: Value| {
        let triggers: Vec<Value> = events.iter().map(|e| json!({"event": e})).collect();
        with_fields(
            json!({"name": name, "url": url, "active": true, "triggers": triggers}),
            extra,
        )
    };
    let id = |v: Value| v["id"].as_str().expect("id").to_string();
    let ops = id(h
        .webhook(&org, hook("ops", ops_rx.url(), &OWN, json!({})))
        .await);
    // Fails to receive them: its dead deliveries must set off nothing more.
    let broken = id(h
        .webhook(
            &org,
            hook(
                "ops-broken",
                format!("{}/broken", down_rx.url()),
                &OWN[..1],
                json!({"retry": {"schedule": []}}),
            ),
        )
        .await);
    let flaky = id(h
        .webhook(
            &org,
            hook("flaky", flaky_rx.url(), &["order.created"],
                json!({"retry": {"schedule": ["100ms", "100ms", "100ms", "100ms", "100ms", "100ms"]}})),
        )
        .await);
    let dead = id(h
        .webhook(
            &org,
            hook(
                "dead",
                format!("{}/dead", down_rx.url()),
                &["invoice.sent"],
                json!({"retry": {"schedule": []}, "auto_disable": {"consecutive_dead": 2}}),
            ),
        )
        .await);

    // Five failed attempts, then a success: failing, then recovered.
    h.publish(&org, json!({"type": "order.created", "data": {"n": 1}}))
        .await;
    h.wait_deliveries(&org, &flaky, WAIT, |items| {
        items.len() == 1 && items[0]["status"] == "succeeded"
    })
    .await;
    // Two dead deliveries in a row: each reported, then the webhook off.
    for n in 0..2 {
        h.publish(&org, json!({"type": "invoice.sent", "data": {"n": n}}))
            .await;
        h.wait_deliveries(&org, &dead, WAIT, |items| {
            items.len() == n + 1 && items.iter().all(|d| d["status"] == "dead")
        })
        .await;
    }
    let got = ops_rx.wait_for(5, WAIT).await;
    // The broken watcher's two deliveries died; a sentinel round trip later
    // nothing more was published about them.
    h.wait_deliveries(&org, &broken, WAIT, |items| {
        items.len() == 2 && items.iter().all(|d| d["status"] == "dead")
    })
    .await;
    h.publish(&org, json!({"type": "order.created", "data": {"n": 2}}))
        .await;
    h.wait_deliveries(&org, &flaky, WAIT, |items| {
        items.len() == 2 && items.iter().all(|d| d["status"] == "succeeded")
    })
    .await;
    assert_eq!(
        h.deliveries(&org, &ops).await.len(),
        5,
        "{:#?}",
        types(&got)
    );
    assert_eq!(h.deliveries(&org, &broken).await.len(), 2);

    let got = ops_rx.received();
    let mut seen = types(&got);
    seen.sort();
    assert_eq!(
        seen,
        [
            "herald.delivery.dead",
            "herald.delivery.dead",
            "herald.webhook.disabled",
            "herald.webhook.failing",
            "herald.webhook.recovered"
        ]
    );
    let of = |t: &str| {
        got.iter()
            .map(Received::json)
            .filter(|e| e["type"] == t)
            .collect::<Vec<_>>()
    };
    assert!(got.iter().all(|r| r.header("webhook-signature").is_some()));
    let failing = &of("herald.webhook.failing")[0]["data"];
    assert_eq!(
        (&failing["webhook_id"], &failing["failed_attempts"]),
        (&json!(flaky), &json!(5)),
        "{failing:#}"
    );
    assert_eq!(
        of("herald.webhook.recovered")[0]["data"]["webhook_id"],
        json!(flaky)
    );
    for d in of("herald.delivery.dead") {
        assert_eq!(
            (&d["data"]["webhook_id"], &d["data"]["event_type"]),
            (&json!(dead), &json!("invoice.sent")),
            "{d:#}"
        );
        assert!(
            d["data"]["last_error"]
                .as_str()
                .unwrap_or_default()
                .contains("500"),
            "{d:#}"
        );
    }
    let disabled = &of("herald.webhook.disabled")[0]["data"];
    assert_eq!(disabled["webhook_id"], json!(dead));
    assert!(
        disabled["reason"]
            .as_str()
            .unwrap_or_default()
            .starts_with("auto-disabled: 2 deliveries in a row"),
        "{disabled:#}"
    );
}

fn types(got: &[Received]) -> Vec<String> {
    got.iter()
        .filter_map(|r| r.json()["type"].as_str().map(String::from))
        .collect()
}

/// The operator's org (`HERALD_OPERATIONAL_ORG`) gets every org's
/// operational events, each naming its source org, besides the org itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_watches_every_org_from_its_own() {
    use herald::serve::Role;
    use herald_e2e::herald::{trusting_settings, HeraldInProcess};
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let ops_rx = Receiver::ok(Some(ca.server.clone())).await;
    let down_rx = Receiver::start(Some(ca.server.clone()), answer(|_| 500)).await;
    let api = HeraldInProcess::start(trusting_settings(&redis, &ca), Role::Api).await;
    let operator = api.org().await;
    let watch = json!({"name": "all orgs", "url": ops_rx.url(), "active": true,
        "triggers": [{"event": "herald.delivery.dead"}]});
    api.webhook(&operator, watch.clone()).await;
    let customers = [api.org().await, api.org().await];
    let own_rx = Receiver::ok(Some(ca.server.clone())).await;
    api.webhook(
        &customers[0],
        with_fields(watch.clone(), json!({"url": own_rx.url()})),
    )
    .await;
    let mut settings = trusting_settings(&redis, &ca);
    settings.operational_org = Some(operator.clone());
    let _worker = HeraldInProcess::start(settings, Role::Worker).await;
    let mut dead = Vec::new();
    for org in &customers {
        let hook = api
            .webhook(
                org,
                json!({"name": "down", "url": down_rx.url(), "active": true,
                    "triggers": [{"event": "order.created"}], "retry": {"schedule": []}}),
            )
            .await;
        dead.push(hook["id"].as_str().expect("id").to_string());
        api.publish(org, json!({"type": "order.created", "data": {}}))
            .await;
    }
    let got = ops_rx.wait_for(2, WAIT).await;
    let mut seen: Vec<(String, String)> = got
        .iter()
        .map(|r| {
            let body = r.json();
            assert_eq!(body["type"], "herald.delivery.dead", "{body}");
            (
                body["data"]["org"].as_str().unwrap_or_default().to_string(),
                body["data"]["webhook_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    seen.sort();
    let mut expected: Vec<(String, String)> = customers
        .iter()
        .cloned()
        .zip(dead.iter().cloned())
        .collect();
    expected.sort();
    assert_eq!(seen, expected);
    // The org still gets its own, as before (without `org`).
    let own = own_rx.wait_for(1, WAIT).await;
    let body = own[0].json();
    assert_eq!(body["data"]["webhook_id"], dead[0].as_str(), "{body}");
    assert!(body["data"].get("org").is_none(), "{body}");
}
