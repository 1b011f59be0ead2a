//! Signing in with a key (the session ends when the key is revoked), and
//! the security headers and caching of the page and its files.

use super::{api_only, org_key, session_cookie};
use herald_e2e::herald::ADMIN_TOKEN;
use herald_e2e::redis::TestRedis;
use serde_json::json;

#[tokio::test]
async fn sign_in_sessions_end_with_their_key_and_the_pages_are_locked_down() {
    let redis = TestRedis::start();
    let herald = api_only(&redis).await;
    let a = herald.org().await;
    let (key, key_id) = org_key(&herald, &a, json!(["webhooks:read", "logs:read"])).await;
    let json_type = ("content-type", "application/json");
    let (status, _, wrong) = herald
        .raw(
            "POST",
            "/ui/session",
            &[json_type],
            Some(json!({"token": "hk_nope_nope"}).to_string()),
        )
        .await;
    assert_eq!(status, 401, "{wrong}");
    let (status, headers, session) = herald
        .raw(
            "POST",
            "/ui/session",
            &[json_type],
            Some(json!({"token": key}).to_string()),
        )
        .await;
    assert_eq!(status, 201, "{session}");
    let (cookie, _) = session_cookie(&headers);
    let (status, _, me) = herald
        .raw("GET", "/ui/session", &[("cookie", &cookie)], None)
        .await;
    assert_eq!((status, me["org"].as_str()), (200, Some(a.as_str())));
    let (status, _) = herald
        .call("DELETE", &format!("/v1/orgs/{a}/api-keys/{key_id}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, _, revoked) = herald
        .raw(
            "GET",
            &format!("/v1/orgs/{a}/webhooks"),
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert_eq!(status, 401, "{revoked}");
    assert!(revoked["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("revoked"));

    // The operator signs in the same way.
    let (status, _, op) = herald
        .raw(
            "POST",
            "/ui/session",
            &[json_type],
            Some(json!({"token": ADMIN_TOKEN}).to_string()),
        )
        .await;
    assert_eq!((status, &op["operator"]), (201, &json!(true)));

    // The page and its files: strict CSP, no framing, no sniffing, ETags.
    let (status, headers, page) = herald.raw("GET", "/ui/", &[], None).await;
    assert_eq!(status, 200);
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let csp = header("content-security-policy");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(header("x-frame-options"), "DENY");
    assert_eq!(header("x-content-type-options"), "nosniff");
    let html = page.as_str().unwrap_or_default();
    assert!(html.contains("<script type=\"module\" src=\"/ui/assets/app.js\"></script>"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "the page loads nothing from elsewhere"
    );
    let (status, headers, _) = herald.raw("GET", "/ui/assets/core.js", &[], None).await;
    assert_eq!(status, 200);
    let etag = headers
        .iter()
        .find(|(n, _)| n == "etag")
        .map(|(_, v)| v.clone())
        .expect("etag");
    let (status, _, _) = herald
        .raw(
            "GET",
            "/ui/assets/core.js",
            &[("if-none-match", &etag)],
            None,
        )
        .await;
    assert_eq!(status, 304);
    let (status, _, missing) = herald.raw("GET", "/ui/assets/nope.js", &[], None).await;
    assert_eq!(status, 404, "{missing}");
}
