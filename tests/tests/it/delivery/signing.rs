//! What arrives at the receiver: Standard Webhooks and hex signatures,
//! headers, receiver auth, the delivery log, idempotent publishing, and no
//! secret in Herald's own log.

use super::{herald, verify_standard, WAIT};
use base64::Engine as _;
use herald_e2e::backend::TestBackend;
use herald_e2e::barrier::Barrier;
use herald_e2e::herald::{HeraldProcess, Options};
use herald_e2e::receiver::Receiver;
use herald_e2e::tls::TestCa;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_https_delivery_with_log_and_idempotent_publish() {
    let (redis, ca) = (TestBackend::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let h = herald(&redis, &ca).await;
    let org = h.org().await;
    let mut barrier = Barrier::new(&h, &org, &ca).await;
    let hook = h
        .webhook(
            &org,
            json!({"name": "orders", "url": receiver.url(), "active": true,
                                "triggers": [{"event": "order.created"}],
                                "headers": {"x-tenant": "acme"}}),
        )
        .await;
    let (wh, secret) = (
        hook["id"].as_str().expect("id"),
        hook["secret"].as_str().expect("secret"),
    );
    assert!(secret.starts_with("whsec_"));
    assert!(hook.get("secrets").is_none());

    let first = h
        .publish(
            &org,
            json!({"id": "evt-1", "type": "order.created", "data": {"order": {"id": 7}}}),
        )
        .await;
    assert_eq!(first, json!({"id": "evt-1", "deliveries": 1}));
    let again = h
        .publish(
            &org,
            json!({"id": "evt-1", "type": "order.created", "data": {"order": {"id": 7}}}),
        )
        .await;
    assert_eq!(again, first, "the same id answers the same");

    let got = receiver.wait_for(1, WAIT).await;
    let r = &got[0];
    let (id, ts, sig) = (
        r.header("webhook-id").expect("id"),
        r.header("webhook-timestamp").expect("ts"),
        r.header("webhook-signature").expect("sig"),
    );
    assert!(
        verify_standard(secret, id, ts, &r.body, sig),
        "signature verifies"
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("herald-event-type"), Some("order.created"));
    assert_eq!(r.header("herald-attempt"), Some("1"));
    assert_eq!(r.header("x-tenant"), Some("acme"));
    assert!(r
        .header("user-agent")
        .is_some_and(|ua| ua.starts_with("Herald/")));
    let body = r.json();
    assert_eq!(body["id"], "evt-1");
    assert_eq!(body["type"], "order.created");
    assert_eq!(body["data"], json!({"order": {"id": 7}}));
    assert!(body["timestamp"].as_str().is_some());

    let items = h
        .wait_deliveries(&org, wh, WAIT, |items| {
            items.first().is_some_and(|d| d["status"] == "succeeded")
        })
        .await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], id, "webhook-id is the delivery id");
    let (status, detail) = h
        .call("GET", &format!("/v1/orgs/{org}/deliveries/{id}"), None)
        .await;
    assert_eq!(status, 200);
    let attempt = &detail["attempts"][0];
    assert_eq!(attempt["number"], 1);
    assert_eq!(attempt["status_code"], 200);
    assert_eq!(attempt["response_body"], "answer 0");
    assert!(attempt["timings"]["tls_ms"].as_f64().is_some(), "{attempt}");
    assert_eq!(detail["payload"]["id"], "evt-1");
    barrier.pass(&h, WAIT).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "the repeated publish sent nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hex_signature_and_receiver_auth() {
    let (redis, ca) = (TestBackend::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    // The binary: its log is checked for secrets below.
    let h = HeraldProcess::start(Options::trusting(&redis, &ca, &[])).await;
    let org = h.org().await;
    let hex_hook = h
        .webhook(&org, json!({"name": "legacy", "url": receiver.url(), "active": true, "signature": "hex",
                                "triggers": [{"event": "a"}], "auth": {"type": "basic", "username": "u", "password": "p4ss-w0rd-xyz"}}))
        .await;
    h.webhook(&org, json!({"name": "bearer", "url": receiver.url(), "active": true,
                            "triggers": [{"event": "b"}], "auth": {"type": "bearer", "token": "tok-secret-123"}}))
        .await;
    h.webhook(&org, json!({"name": "header", "url": receiver.url(), "active": true,
                            "triggers": [{"event": "c"}], "auth": {"type": "header", "name": "x-api-key", "value": "key-secret-456"}}))
        .await;
    for t in ["a", "b", "c"] {
        h.publish(&org, json!({"type": t, "data": {}})).await;
    }
    let got = receiver.wait_for(3, WAIT).await;
    let by_type = |t: &str| {
        got.iter()
            .find(|r| r.header("herald-event-type") == Some(t))
            .expect("received")
    };
    let a = by_type("a");
    let mut mac =
        Hmac::<Sha256>::new_from_slice(hex_hook["secret"].as_str().expect("secret").as_bytes())
            .expect("key");
    mac.update(&a.body);
    assert_eq!(
        a.header("x-webhook-signature"),
        Some(hex::encode(mac.finalize().into_bytes()).as_str())
    );
    assert!(a.header("webhook-signature").is_none());
    let basic = base64::engine::general_purpose::STANDARD.encode("u:p4ss-w0rd-xyz");
    assert_eq!(
        a.header("authorization"),
        Some(format!("Basic {basic}").as_str())
    );
    assert_eq!(
        by_type("b").header("authorization"),
        Some("Bearer tok-secret-123")
    );
    assert_eq!(by_type("c").header("x-api-key"), Some("key-secret-456"));

    // The log masks credentials, the API never shows them, Herald's log never has them.
    let (_, read) = h
        .call(
            "GET",
            &format!(
                "/v1/orgs/{org}/webhooks/{}",
                hex_hook["id"].as_str().expect("id")
            ),
            None,
        )
        .await;
    assert_eq!(read["auth"]["password"], "***");
    let items = h
        .wait_deliveries(&org, hex_hook["id"].as_str().expect("id"), WAIT, |i| {
            i.iter().any(|d| d["status"] == "succeeded")
        })
        .await;
    let (_, detail) = h
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
        detail["attempts"][0]["request_headers"]["authorization"],
        "Basic ***"
    );
    let log = h.log();
    for secret in [
        "p4ss-w0rd-xyz",
        "tok-secret-123",
        "key-secret-456",
        &basic,
        hex_hook["secret"].as_str().expect("secret"),
    ] {
        assert!(!log.contains(secret), "Herald's log shows a secret");
    }
}
