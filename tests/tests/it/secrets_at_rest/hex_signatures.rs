//! Hex receivers during a signing-secret rotation: the old secret keeps
//! `X-Webhook-Signature` through the grace period.

use super::*;

/// Sets the expiry of every previous secret of webhook `id` to the past,
/// as if the 24 h grace period were over, and announces the change.
fn expire_previous_secrets(redis_url: &str, id: &str) {
    let mut con = redis::Client::open(redis_url)
        .expect("url")
        .get_connection()
        .expect("connection");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("*:wh:{id}"))
        .query(&mut con)
        .expect("KEYS");
    let key = keys.first().expect("webhook key");
    let stored: String = redis::cmd("GET").arg(key).query(&mut con).expect("GET");
    let mut doc: Value = serde_json::from_str(&stored).expect("json");
    for s in doc["secrets"].as_array_mut().expect("secrets").iter_mut() {
        if !s["expires_at_ms"].is_null() {
            s["expires_at_ms"] = json!(1);
        }
    }
    let _: () = redis::cmd("SET")
        .arg(key)
        .arg(doc.to_string())
        .query(&mut con)
        .expect("SET");
    let _: () = redis::cmd("PUBLISH")
        .arg("herald:changes")
        .arg(id)
        .query(&mut con)
        .expect("PUBLISH");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hex_receivers_keep_the_old_secret_through_the_grace_period() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let h = HeraldProcess::start(Options::trusting(&redis.url(), &ca, &[])).await;
    let org = h.org().await;
    let hook = h
        .webhook(
            &org,
            json!({"name": "legacy", "url": receiver.url(), "active": true, "signature": "hex",
                   "triggers": [{"event": "e"}]}),
        )
        .await;
    let (id, old) = (
        hook["id"].as_str().expect("id"),
        hook["secret"].as_str().expect("secret"),
    );
    h.publish(&org, json!({"type": "e", "data": {"n": 1}}))
        .await;
    let got = receiver.wait_for(1, WAIT).await;
    assert_eq!(
        got[0].header("x-webhook-signature"),
        Some(hex_hmac(old, &got[0].body).as_str())
    );
    assert_eq!(got[0].header("x-webhook-signature-new"), None);

    let (status, rotated) = h
        .call(
            "POST",
            &format!("/v1/orgs/{org}/webhooks/{id}/rotate-secret"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    let new = rotated["secret"].as_str().expect("secret");
    // During the grace period: the old secret still signs the header a hex
    // receiver verifies; the new one signs X-Webhook-Signature-New.
    h.publish(&org, json!({"type": "e", "data": {"n": 2}}))
        .await;
    let got = receiver.wait_for(2, WAIT).await;
    let r = &got[1];
    assert_eq!(
        r.header("x-webhook-signature"),
        Some(hex_hmac(old, &r.body).as_str()),
        "the old secret keeps signing X-Webhook-Signature"
    );
    assert_eq!(
        r.header("x-webhook-signature-new"),
        Some(hex_hmac(new, &r.body).as_str())
    );

    // After the grace period: the new secret alone, in the usual header.
    expire_previous_secrets(&redis.url(), id);
    tokio::time::sleep(Duration::from_millis(300)).await;
    h.publish(&org, json!({"type": "e", "data": {"n": 3}}))
        .await;
    let got = receiver.wait_for(3, WAIT).await;
    let r = &got[2];
    assert_eq!(
        r.header("x-webhook-signature"),
        Some(hex_hmac(new, &r.body).as_str())
    );
    assert_eq!(r.header("x-webhook-signature-new"), None);
}
