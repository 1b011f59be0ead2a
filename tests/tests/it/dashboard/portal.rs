//! Portal links over HTTP: one use, one org, CSRF on every change,
//! cookie attributes, read-only sessions refused by the server, expiry.

use super::{api_only, code_of, org_key, session_cookie};
use herald_e2e::redis::TestRedis;
use serde_json::{json, Value};

#[tokio::test]
async fn portal_links_open_one_org_once_and_changes_need_the_csrf_token() {
    let redis = TestRedis::start();
    let herald = api_only(&redis).await;
    let (a, b) = (herald.org().await, herald.org().await);
    let (status, link) = herald
        .call("POST", &format!("/v1/orgs/{a}/portal-sessions"), None)
        .await;
    assert_eq!(status, 201, "{link}");
    assert_eq!(link["read_only"], false);
    assert!(link["path"]
        .as_str()
        .unwrap_or_default()
        .starts_with("/ui/portal#code="));
    let code = code_of(&link);

    // Opening it from another site is refused, and leaves the link usable.
    let body = json!({"code": code}).to_string();
    let (status, _, _) = herald
        .raw(
            "POST",
            "/ui/session/portal",
            &[
                ("content-type", "application/json"),
                ("origin", "https://evil.example"),
                ("host", "herald"),
            ],
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, 403);
    let (status, headers, session) = herald
        .raw(
            "POST",
            "/ui/session/portal",
            &[("content-type", "application/json")],
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, 201, "{session}");
    let (cookie, header) = session_cookie(&headers);
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(header.contains(attribute), "{attribute} missing: {header}");
    }
    assert_eq!(session["org"], a.as_str());
    let csrf = session["csrf"].as_str().expect("csrf").to_string();
    // Once only.
    let (status, _, again) = herald
        .raw(
            "POST",
            "/ui/session/portal",
            &[("content-type", "application/json")],
            Some(body),
        )
        .await;
    assert_eq!(status, 401, "{again}");

    let as_session =
        |method: &'static str, path: String, csrf: Option<&str>, body: Option<Value>| {
            let cookie = cookie.clone();
            let csrf = csrf.map(str::to_string);
            let herald = &herald;
            async move {
                let mut headers = vec![
                    ("cookie", cookie.as_str()),
                    ("content-type", "application/json"),
                ];
                if let Some(token) = csrf.as_deref() {
                    headers.push(("x-csrf-token", token));
                }
                let (status, _, body) = herald
                    .raw(method, &path, &headers, body.map(|b| b.to_string()))
                    .await;
                (status, body)
            }
        };
    assert_eq!(
        as_session("GET", format!("/v1/orgs/{a}/webhooks"), None, None)
            .await
            .0,
        200
    );
    assert_eq!(
        as_session("GET", format!("/v1/orgs/{b}/webhooks"), None, None)
            .await
            .0,
        404
    );
    assert_eq!(
        as_session("GET", "/v1/orgs".into(), None, None).await.0,
        403
    );
    assert_eq!(
        as_session(
            "POST",
            format!("/v1/orgs/{a}/events"),
            Some(&csrf),
            Some(json!({"type": "x", "data": {}}))
        )
        .await
        .0,
        403
    );
    let hook = json!({"name": "h", "url": "https://example.com/h", "triggers": [{"event": "order.created"}]});
    let (status, refused) = as_session(
        "POST",
        format!("/v1/orgs/{a}/webhooks"),
        None,
        Some(hook.clone()),
    )
    .await;
    assert_eq!(status, 403, "{refused}");
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("X-CSRF-Token"));
    let (status, _) = as_session(
        "POST",
        format!("/v1/orgs/{a}/webhooks"),
        Some("wrong"),
        Some(hook.clone()),
    )
    .await;
    assert_eq!(status, 403);
    let (status, created) = as_session(
        "POST",
        format!("/v1/orgs/{a}/webhooks"),
        Some(&csrf),
        Some(hook),
    )
    .await;
    assert_eq!(status, 201, "{created}");

    // Signing out ends it.
    let (status, _) = as_session("DELETE", "/ui/session".into(), Some(&csrf), None).await;
    assert_eq!(status, 204);
    assert_eq!(
        as_session("GET", format!("/v1/orgs/{a}/webhooks"), None, None)
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn read_only_and_expired_sessions_are_refused_by_the_server() {
    let redis = TestRedis::start();
    let herald = api_only(&redis).await;
    let a = herald.org().await;
    let hook = herald
        .webhook(
            &a,
            json!({"name": "h", "url": "https://example.com/h", "triggers": [{"event": "e"}]}),
        )
        .await;
    let id = hook["id"].as_str().expect("id");
    // A key without webhooks:write can only make read-only links.
    let (reader, _) = org_key(&herald, &a, json!(["webhooks:read", "logs:read"])).await;
    let (status, link) = herald
        .call_as(
            &reader,
            "POST",
            &format!("/v1/orgs/{a}/portal-sessions"),
            Some(json!({"expires_in": "2h"})),
        )
        .await;
    assert_eq!(status, 201, "{link}");
    assert_eq!(link["read_only"], true);
    let (status, bad) = herald
        .call(
            "POST",
            &format!("/v1/orgs/{a}/portal-sessions"),
            Some(json!({"expires_in": "30d"})),
        )
        .await;
    assert_eq!(status, 400, "{bad}");
    assert!(bad["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("1m to 7d"));

    let body = json!({"code": code_of(&link)}).to_string();
    let (_, headers, session) = herald
        .raw(
            "POST",
            "/ui/session/portal",
            &[("content-type", "application/json")],
            Some(body),
        )
        .await;
    let (cookie, _) = session_cookie(&headers);
    let csrf = session["csrf"].as_str().expect("csrf");
    assert_eq!(session["read_only"], true);
    let (status, _, refused) = herald
        .raw(
            "PATCH",
            &format!("/v1/orgs/{a}/webhooks/{id}"),
            &[
                ("cookie", &cookie),
                ("x-csrf-token", csrf),
                ("content-type", "application/json"),
            ],
            Some(json!({"active": true}).to_string()),
        )
        .await;
    assert_eq!(status, 403, "{refused}");
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("read-only"));
    let (status, _, _) = herald
        .raw(
            "GET",
            &format!("/v1/orgs/{a}/webhooks/{id}/deliveries"),
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert_eq!(status, 200);

    // When Redis expires the session, the cookie is worth nothing.
    let client = redis::Client::open(redis.url()).expect("client");
    let mut con = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("herald:{herald}:ui-session:*")
        .query_async(&mut con)
        .await
        .expect("KEYS");
    assert_eq!(keys.len(), 1, "{keys:?}");
    let _: () = redis::cmd("PEXPIRE")
        .arg(&keys[0])
        .arg(1)
        .query_async(&mut con)
        .await
        .expect("PEXPIRE");
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let (status, _, ended) = herald
        .raw(
            "GET",
            &format!("/v1/orgs/{a}/webhooks"),
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert_eq!(status, 401, "{ended}");
}
