//! Dashboard sessions over HTTP: portal links (one use, one org, read-only,
//! expiry), sign-in with a key (ended by revoking it), CSRF on every
//! change, cookie attributes, and the security headers of `/ui`.

use herald_e2e::herald::{HeraldInProcess, ADMIN_TOKEN};
use herald_e2e::redis::TestRedis;
use serde_json::{json, Value};

/// The session cookie of a `Set-Cookie` among `headers`, and the whole header.
fn session_cookie(headers: &[(String, String)]) -> (String, String) {
    let header = headers
        .iter()
        .find(|(n, v)| n == "set-cookie" && v.starts_with("herald_session="))
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no session cookie in {headers:?}"));
    let value = header
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    (value, header)
}

/// The code of a portal link's URL.
fn code_of(link: &Value) -> String {
    let url = link["url"].as_str().expect("url");
    url.split_once("#code=")
        .expect("code in the fragment")
        .1
        .to_string()
}

async fn org_key(herald: &HeraldInProcess, org: &str, permissions: Value) -> (String, String) {
    let (status, key) = herald
        .call(
            "POST",
            &format!("/v1/orgs/{org}/api-keys"),
            Some(json!({"name": "backend", "permissions": permissions})),
        )
        .await;
    assert_eq!(status, 201, "{key}");
    (
        key["key"].as_str().expect("key").to_string(),
        key["id"].as_str().expect("id").to_string(),
    )
}

#[tokio::test]
async fn portal_links_open_one_org_once_and_changes_need_the_csrf_token() {
    let redis = TestRedis::start();
    let herald = HeraldInProcess::start(
        {
            let mut s = herald::config::Settings::default();
            herald_e2e::backend::UsesRedis::apply_to(&redis, &mut s);
            s
        },
        herald::serve::Role::Api,
    )
    .await;
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
    let mut settings = herald::config::Settings::default();
    herald_e2e::backend::UsesRedis::apply_to(&redis, &mut settings);
    let herald = HeraldInProcess::start(settings, herald::serve::Role::Api).await;
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

#[tokio::test]
async fn sign_in_sessions_end_with_their_key_and_the_pages_are_locked_down() {
    let redis = TestRedis::start();
    let mut settings = herald::config::Settings::default();
    herald_e2e::backend::UsesRedis::apply_to(&redis, &mut settings);
    let herald = HeraldInProcess::start(settings, herald::serve::Role::Api).await;
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
