//! HTTP/2 to receivers (`HERALD_HTTP2`): offered by ALPN to HTTPS receivers
//! when set, taken by those that speak it, and never spoken otherwise.

use super::WAIT;
use herald::config::Settings;
use herald::serve::Role;
use herald_e2e::herald::{trusting_settings, HeraldInProcess};
use herald_e2e::receiver::Receiver;
use herald_e2e::redis::TestRedis;
use herald_e2e::tls::TestCa;
use serde_json::json;

/// Publishes `n` events to one new webhook per receiver and waits until
/// every delivery is recorded as succeeded; returns the HTTP versions each
/// receiver saw.
async fn deliver(
    h: &HeraldInProcess,
    receivers: &[&Receiver],
    n: usize,
) -> Vec<Vec<http::Version>> {
    let org = h.org().await;
    let mut hooks = Vec::new();
    for (i, receiver) in receivers.iter().enumerate() {
        let hook = h
            .webhook(
                &org,
                json!({"name": format!("w{i}"), "url": receiver.url(), "active": true,
                       "triggers": [{"event": "order.created"}]}),
            )
            .await;
        hooks.push(hook["id"].as_str().expect("id").to_string());
    }
    for i in 0..n {
        h.publish(&org, json!({"type": "order.created", "data": {"n": i}}))
            .await;
    }
    let mut versions = Vec::new();
    for (receiver, hook) in receivers.iter().zip(&hooks) {
        h.wait_deliveries(&org, hook, WAIT, |items| {
            items.len() == n && items.iter().all(|d| d["status"] == "succeeded")
        })
        .await;
        let got = receiver.wait_for(n, WAIT).await;
        for r in &got {
            assert!(
                r.header("webhook-signature")
                    .is_some_and(|s| s.starts_with("v1,")),
                "signed over either version: {:?}",
                r.headers
            );
            assert_eq!(r.json()["type"], "order.created");
        }
        versions.push(got.iter().map(|r| r.version).collect());
    }
    versions
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_is_offered_when_set_and_spoken_only_with_receivers_that_take_it() {
    let ca = TestCa::new();
    let both = Receiver::ok(Some(ca.server_h2())).await;
    let http1_only = Receiver::ok(Some(ca.server.clone())).await;

    let redis = TestRedis::start();
    let h = HeraldInProcess::start(
        Settings {
            http2: true,
            ..trusting_settings(&redis, &ca)
        },
        Role::All,
    )
    .await;
    let versions = deliver(&h, &[&both, &http1_only], 6).await;
    assert_eq!(
        versions[0],
        vec![http::Version::HTTP_2; 6],
        "the receiver offering h2 gets it"
    );
    assert_eq!(
        versions[1],
        vec![http::Version::HTTP_11; 6],
        "a receiver without ALPN gets HTTP/1.1"
    );
    h.stop().await.expect("stop");

    // Unset (the default): HTTP/1.1 even to a receiver that offers h2.
    let redis = TestRedis::start();
    let both = Receiver::ok(Some(ca.server_h2())).await;
    let h = HeraldInProcess::trusting(&redis, &ca).await;
    let versions = deliver(&h, &[&both], 3).await;
    assert_eq!(versions[0], vec![http::Version::HTTP_11; 3]);
    h.stop().await.expect("stop");
}
