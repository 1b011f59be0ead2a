//! API keys, plugin registration, secret rotation and deleting an org.

use super::{key, message, register, setup, WAIT};
use herald_e2e::receiver::Receiver;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_plugins_secrets_and_org_deletion() {
    let (redis, ca, h) = setup(|_| ()).await;
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let org = h.org().await;

    let (status, orgs) = h.call("GET", "/v1/orgs", None).await;
    assert_eq!(status, 200);
    assert!(
        orgs["items"]
            .as_array()
            .is_some_and(|o| o.iter().any(|x| x["id"] == org.as_str())),
        "{orgs}"
    );

    // Keys: shown once, listed without secrets, cannot grant more than held, revocable.
    let admin = key(&h, &org, &["keys:write", "webhooks:read"]).await;
    let (_, listed) = h
        .call_as(&admin, "GET", &format!("/v1/orgs/{org}/api-keys"), None)
        .await;
    assert!(
        !listed.to_string().contains(&admin[admin.len() - 20..]),
        "no secret in the list"
    );
    let (status, err) = h
        .call_as(
            &admin,
            "POST",
            &format!("/v1/orgs/{org}/api-keys"),
            Some(json!({"name": "x", "permissions": ["events:write"]})),
        )
        .await;
    assert_eq!(status, 403, "{err}");
    let (status, err) = h
        .call_as(
            &admin,
            "POST",
            &format!("/v1/orgs/{org}/api-keys"),
            Some(json!({"name": "x", "permissions": ["root"]})),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    let reader = key(&h, &org, &["webhooks:read"]).await;
    let reader_id = reader.split('_').nth(1).expect("id");
    assert_eq!(
        h.call_as(&reader, "GET", &format!("/v1/orgs/{org}/webhooks"), None)
            .await
            .0,
        200
    );
    assert_eq!(
        h.call_as(
            &admin,
            "DELETE",
            &format!("/v1/orgs/{org}/api-keys/{reader_id}"),
            None
        )
        .await
        .0,
        204
    );
    assert_eq!(
        h.call_as(&reader, "GET", &format!("/v1/orgs/{org}/webhooks"), None)
            .await
            .0,
        401,
        "revoked"
    );

    // Plugins: immutable versions, listed for any key, deletion refused while used.
    register(&h, "threshold", "threshold-filter").await;
    let same = std::fs::read(herald_e2e::plugin_wasm("threshold-filter")).expect("wasm");
    assert_eq!(
        h.call_raw("PUT", "/v1/plugins/threshold/1.0.0", same)
            .await
            .0,
        200,
        "same bytes again: no-op"
    );
    let other = std::fs::read(herald_e2e::plugin_wasm("field-match-filter")).expect("wasm");
    assert_eq!(
        h.call_raw("PUT", "/v1/plugins/threshold/1.0.0", other)
            .await
            .0,
        409
    );
    let (status, err) = h
        .call_raw("PUT", "/v1/plugins/junk/1.0.0", b"not wasm".to_vec())
        .await;
    assert_eq!(status, 400);
    assert!(message(&err).contains("not a WebAssembly file"), "{err}");
    // A version names fixed bytes: `latest` or `v1` is not one.
    for bad in ["latest", "v1", "1.0"] {
        let (status, err) = h
            .call_raw(
                "PUT",
                &format!("/v1/plugins/threshold/{bad}"),
                b"x".to_vec(),
            )
            .await;
        assert_eq!(status, 400, "{bad}: {err}");
        assert!(message(&err).contains("not a semantic version"), "{err}");
    }
    let (_, plugins) = h.call_as(&admin, "GET", "/v1/plugins", None).await;
    assert_eq!(plugins["items"][0]["world"], "filter-plugin");
    let hook = h
        .webhook(&org, json!({"name": "p", "url": receiver.url(), "active": true, "triggers": [{"event": "x"}],
                               "plugins": {"filters": [{"plugin": "threshold@1.0.0", "config": {"path": "data.n", "above": 1}}]}}))
        .await;
    let wh = hook["id"].as_str().expect("id");
    // `used_by` names the webhooks using a plugin (for the operator).
    let (_, plugins) = h.call("GET", "/v1/plugins", None).await;
    assert!(
        plugins["items"][0]["used_by"].to_string().contains(wh),
        "{plugins}"
    );
    let (status, err) = h.call("DELETE", "/v1/plugins/threshold/1.0.0", None).await;
    assert_eq!(status, 409);
    assert!(message(&err).contains(wh), "{err}");

    // Secret rotation: both secrets sign for the grace period.
    let old = hook["secret"].as_str().expect("secret").to_string();
    let (_, read) = h
        .call("GET", &format!("/v1/orgs/{org}/webhooks/{wh}/secret"), None)
        .await;
    assert_eq!(read["secret"], old.as_str());
    let (status, rotated) = h
        .call(
            "POST",
            &format!("/v1/orgs/{org}/webhooks/{wh}/rotate-secret"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_ne!(rotated["secret"], old.as_str());
    // No wait: the process that rotates drops its cached copy of the webhook
    // at once, so the very next delivery is signed by both secrets.
    h.publish(&org, json!({"type": "x", "data": {"n": 5}}))
        .await;
    let got = receiver.wait_for(1, WAIT).await;
    assert_eq!(
        got[0]
            .header("webhook-signature")
            .map(|s| s.split(' ').count()),
        Some(2),
        "old and new sign"
    );

    h.call(
        "PATCH",
        &format!("/v1/orgs/{org}/webhooks/{wh}"),
        Some(json!({"plugins": {"filters": []}})),
    )
    .await;
    assert_eq!(
        h.call("DELETE", "/v1/plugins/threshold/1.0.0", None)
            .await
            .0,
        204
    );

    // Deleting the org deletes its webhooks, keys and logs (once the
    // delivery above is recorded: a worker finishing it later would write again).
    h.wait_deliveries(&org, wh, WAIT, |i| {
        i.iter().all(|d| d["status"] == "succeeded")
    })
    .await;
    assert_eq!(
        h.call("DELETE", &format!("/v1/orgs/{org}"), None).await.0,
        204
    );
    assert_eq!(h.call("GET", &format!("/v1/orgs/{org}"), None).await.0, 404);
    assert_eq!(
        h.call_as(&admin, "GET", &format!("/v1/orgs/{org}/webhooks"), None)
            .await
            .0,
        401,
        "its keys are gone"
    );
    // On a cluster, KEYS goes to every master and the replies are joined.
    let mut con = redis.connection().await;
    let left: Vec<String> = redis::cmd("KEYS")
        .arg(format!("*{org}*"))
        .query_async(&mut con)
        .await
        .expect("keys");
    assert!(left.is_empty(), "left behind: {left:?}");
    let left: Vec<String> = redis::cmd("KEYS")
        .arg(format!("*{wh}*"))
        .query_async(&mut con)
        .await
        .expect("keys");
    assert!(left.is_empty(), "left behind: {left:?}");
}
