//! Asymmetric signatures (Standard Webhooks `v1a`): a webhook with
//! `signature: "ed25519"` signs with its `whsk_` key, and a receiver that
//! knows only the `whpk_` public key verifies every delivery. The check
//! here uses ed25519-dalek, an implementation Herald does not use (Herald
//! signs with ring), so a fault in Herald's signing cannot hide itself.

use super::{herald, verify_standard, WAIT};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, VerifyingKey};
use herald_e2e::backend::TestBackend;
use herald_e2e::receiver::{Received, Receiver};
use herald_e2e::tls::TestCa;
use serde_json::json;

/// The verifying key of a `whpk_…` public key.
fn verifying_key(public: &str) -> VerifyingKey {
    let bytes: [u8; 32] = B64
        .decode(public.strip_prefix("whpk_").expect("whpk_ prefix"))
        .expect("base64")
        .try_into()
        .expect("32 bytes");
    VerifyingKey::from_bytes(&bytes).expect("a valid public key")
}

/// Whether one of the `v1a` signatures of `r` verifies with `public` over
/// `id.timestamp.body` (`body` in place of the received body, if given).
fn verifies(r: &Received, public: &str, body: Option<&[u8]>) -> bool {
    let (id, ts, header) = (
        r.header("webhook-id").expect("webhook-id"),
        r.header("webhook-timestamp").expect("webhook-timestamp"),
        r.header("webhook-signature").expect("webhook-signature"),
    );
    let mut message = format!("{id}.{ts}.").into_bytes();
    message.extend_from_slice(body.unwrap_or(&r.body));
    let key = verifying_key(public);
    header.split(' ').any(|part| {
        let Some(b64) = part.strip_prefix("v1a,") else {
            return false;
        };
        let bytes = B64.decode(b64).expect("base64 signature");
        let signature = Signature::from_slice(&bytes).expect("64 bytes");
        key.verify_strict(&message, &signature).is_ok()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ed25519_signatures_verify_with_the_public_key_through_a_rotation() {
    let (redis, ca) = (TestBackend::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let h = herald(&redis, &ca).await;
    let org = h.org().await;
    let hook = h
        .webhook(
            &org,
            json!({"name": "asym", "url": receiver.url(), "active": true,
                   "signature": "ed25519", "triggers": [{"event": "a"}]}),
        )
        .await;
    let wh = hook["id"].as_str().expect("id").to_string();
    assert_eq!(hook["signature"], "ed25519");
    assert!(
        hook["secret"]
            .as_str()
            .is_some_and(|s| s.starts_with("whsk_")),
        "{hook}"
    );
    let first_key = hook["public_key"].as_str().expect("public_key").to_string();
    let (status, read) = h
        .call("GET", &format!("/v1/orgs/{org}/webhooks/{wh}"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        read["public_key"],
        first_key.as_str(),
        "readable with the webhook"
    );
    assert!(read.get("secret").is_none());

    h.publish(&org, json!({"id": "e1", "type": "a", "data": {"n": 1}}))
        .await;
    let got = receiver.wait_for(1, WAIT).await;
    let r = &got[0];
    let header = r.header("webhook-signature").expect("signature");
    assert!(
        header.starts_with("v1a,") && !header.contains(' '),
        "{header}"
    );
    assert!(verifies(r, &first_key, None), "{header}");
    assert!(
        !verifies(r, &first_key, Some(b"{\"forged\":true}")),
        "a changed body fails"
    );

    // Rotation: the new key signs at once, the old one beside it.
    let (status, rotated) = h
        .call(
            "POST",
            &format!("/v1/orgs/{org}/webhooks/{wh}/rotate-secret"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    let second_key = rotated["public_key"]
        .as_str()
        .expect("new public key")
        .to_string();
    assert_ne!(second_key, first_key);
    let (_, secrets) = h
        .call("GET", &format!("/v1/orgs/{org}/webhooks/{wh}/secret"), None)
        .await;
    assert_eq!(secrets["public_key"], second_key.as_str(), "{secrets}");
    assert_eq!(
        secrets["previous"][0]["public_key"],
        first_key.as_str(),
        "{secrets}"
    );
    h.publish(&org, json!({"id": "e2", "type": "a", "data": {"n": 2}}))
        .await;
    let got = receiver.wait_for(2, WAIT).await;
    let r = got.iter().find(|r| r.json()["id"] == "e2").expect("e2");
    let header = r.header("webhook-signature").expect("signature");
    assert_eq!(header.split(' ').count(), 2, "{header}");
    assert!(
        verifies(r, &first_key, None),
        "the old key still signs: {header}"
    );
    assert!(
        verifies(r, &second_key, None),
        "the new key signs: {header}"
    );

    // Back to HMAC: a whsec_ secret of its own, no public key.
    let (status, changed) = h
        .call(
            "PATCH",
            &format!("/v1/orgs/{org}/webhooks/{wh}"),
            Some(json!({"signature": "standard"})),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert!(changed["public_key"].is_null(), "{changed}");
    let (_, secrets) = h
        .call("GET", &format!("/v1/orgs/{org}/webhooks/{wh}/secret"), None)
        .await;
    let secret = secrets["secret"].as_str().expect("secret");
    assert!(secret.starts_with("whsec_"), "{secrets}");
    h.publish(&org, json!({"id": "e3", "type": "a", "data": {"n": 3}}))
        .await;
    let got = receiver.wait_for(3, WAIT).await;
    let r = got.iter().find(|r| r.json()["id"] == "e3").expect("e3");
    let (id, ts, sig) = (
        r.header("webhook-id").expect("id"),
        r.header("webhook-timestamp").expect("ts"),
        r.header("webhook-signature").expect("sig"),
    );
    assert!(verify_standard(secret, id, ts, &r.body, sig), "{sig}");
}
