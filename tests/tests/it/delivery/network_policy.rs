//! The network policy: plain http and private addresses refused by default,
//! at save time and at connect time.

use super::{herald, WAIT};
use herald::config::Settings;
use herald::serve::Role;
use herald_e2e::herald::{trusting_settings, HeraldInProcess};
use herald_e2e::receiver::Receiver;
use herald_e2e::redis::TestRedis;
use herald_e2e::tls::TestCa;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_and_private_addresses_are_refused_by_default() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    // Trusting the CA, but no private network allowed.
    let strict = HeraldInProcess::start(
        Settings {
            allow_private_nets: vec![],
            ..trusting_settings(&redis.url(), &ca)
        },
        Role::All,
    )
    .await;
    let org = strict.org().await;
    for (url, expect) in [
        ("http://example.com/hook", "HERALD_ALLOW_HTTP"),
        ("https://127.0.0.1:9/hook", "loopback"),
        ("https://10.0.0.8/hook", "private"),
        ("https://169.254.169.254/latest", "link-local"),
        (receiver.url().as_str(), "loopback"),
    ] {
        let (status, err) = strict
            .call(
                "POST",
                &format!("/v1/orgs/{org}/webhooks"),
                Some(json!({"name": "x", "url": url, "triggers": [{"event": "x"}]})),
            )
            .await;
        assert_eq!(status, 400, "{url}");
        assert!(
            err["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(expect)),
            "{url}: {err}"
        );
    }
    // Saved while allowed, delivered by a process that does not allow it: blocked at connect time.
    let permissive = herald(&redis, &ca).await;
    let hook = permissive.webhook(&org, json!({"name": "w", "url": receiver.url(), "active": true, "triggers": [{"event": "x"}], "retry": {"schedule": []}})).await;
    permissive.stop().await.expect("stops");
    strict.publish(&org, json!({"type": "x", "data": {}})).await;
    let items = strict
        .wait_deliveries(&org, hook["id"].as_str().expect("id"), WAIT, |i| {
            i.first().is_some_and(|d| d["status"] == "dead")
        })
        .await;
    let (_, detail) = strict
        .call(
            "GET",
            &format!(
                "/v1/orgs/{org}/deliveries/{}",
                items[0]["id"].as_str().expect("id")
            ),
            None,
        )
        .await;
    assert_eq!(
        detail["attempts"][0]["error"]["class"], "blocked",
        "{detail}"
    );
    assert!(receiver.received().is_empty());

    // Plain http is delivered only with HERALD_ALLOW_HTTP. The strict process
    // stops first: it shares the queue and would otherwise claim (and block)
    // some of the attempts.
    strict.stop().await.expect("stops");
    let plain = Receiver::ok(None).await;
    let dev = HeraldInProcess::start(
        Settings {
            allow_http: true,
            ..trusting_settings(&redis.url(), &ca)
        },
        Role::All,
    )
    .await;
    dev.webhook(
        &org,
        json!({"name": "p", "url": plain.url(), "active": true, "triggers": [{"event": "y"}]}),
    )
    .await;
    dev.publish(&org, json!({"type": "y", "data": {}})).await;
    plain.wait_for(1, WAIT).await;
}
