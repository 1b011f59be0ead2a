//! The audit log: every route that changes something writes exactly one
//! entry (who, what, when, from where, before and after), a read of a
//! signing secret is recorded, nothing secret is ever in an entry, refused
//! requests and event publishing write none, and the operator's and an
//! org's lists filter and page.

use super::audit_log::{own_logs_and_paging, Audited};
use super::{register, setup};
use herald_e2e::herald::ADMIN_TOKEN;
use herald_e2e::receiver::Receiver;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_writes_exactly_one_entry_and_no_secret() {
    let (_redis, ca, h) = setup(|_| {}).await;
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let mut log = Audited {
        h: &h,
        seen: 0,
        secrets: vec![ADMIN_TOKEN.to_string()],
    };
    let op = ADMIN_TOKEN;

    let (org, entry) = log
        .call(
            op,
            ("POST", "/v1/orgs", Some(json!({"name": "Acme"}))),
            201,
            "org.create",
        )
        .await;
    let org = org["id"].as_str().expect("org").to_string();
    assert_eq!(entry["actor"], json!({"type": "operator", "id": null}));
    assert_eq!(entry["org"], org.as_str());
    assert_eq!(entry["after"]["name"], "Acme");
    let orgs = format!("/v1/orgs/{org}");
    let (_, entry) = log
        .call(
            op,
            ("PATCH", &orgs, Some(json!({"name": "Acme Ltd"}))),
            200,
            "org.update",
        )
        .await;
    assert_eq!(
        (
            entry["before"]["name"].as_str(),
            entry["after"]["name"].as_str()
        ),
        (Some("Acme"), Some("Acme Ltd"))
    );

    let all = [
        "keys:write",
        "webhooks:write",
        "webhooks:read",
        "logs:read",
        "events:write",
    ];
    let (created, entry) = log
        .call(
            op,
            (
                "POST",
                &format!("{orgs}/api-keys"),
                Some(json!({"name": "admin", "permissions": all})),
            ),
            201,
            "key.create",
        )
        .await;
    let key = created["key"].as_str().expect("key").to_string();
    let key_id = created["id"].as_str().expect("id").to_string();
    log.secrets.push(key.clone());
    assert_eq!(entry["target"], key_id.as_str());
    assert!(entry["after"].get("key").is_none(), "{entry}");
    log.no_secret_anywhere().await;

    // An org key's changes name the key.
    let hooks = format!("{orgs}/webhooks");
    let body = json!({"name": "w", "url": receiver.url(), "active": true, "triggers": [{"event": "a"}],
                      "auth": {"type": "basic", "username": "u", "password": "p4ss-w0rd-audit"}});
    log.secrets.push("p4ss-w0rd-audit".into());
    let (hook, entry) = log
        .call(&key, ("POST", &hooks, Some(body)), 201, "webhook.create")
        .await;
    let wh = hook["id"].as_str().expect("id").to_string();
    log.secrets
        .push(hook["secret"].as_str().expect("secret").to_string());
    assert_eq!(entry["actor"], json!({"type": "key", "id": key_id}));
    assert_eq!(entry["target"], wh.as_str());
    assert_eq!(entry["after"]["auth"]["password"], "***");
    let hook_path = format!("{hooks}/{wh}");
    let (_, entry) = log
        .call(
            &key,
            ("PATCH", &hook_path, Some(json!({"name": "renamed"}))),
            200,
            "webhook.update",
        )
        .await;
    assert_eq!(
        (
            entry["before"]["name"].as_str(),
            entry["after"]["name"].as_str()
        ),
        (Some("w"), Some("renamed"))
    );
    let (secret, entry) = log
        .call(
            &key,
            ("GET", &format!("{hook_path}/secret"), None),
            200,
            "webhook.secret.read",
        )
        .await;
    assert!(secret["secret"].is_string());
    assert_eq!(entry["target"], wh.as_str());
    let (rotated, _) = log
        .call(
            &key,
            ("POST", &format!("{hook_path}/rotate-secret"), None),
            200,
            "webhook.secret.rotate",
        )
        .await;
    log.secrets
        .push(rotated["secret"].as_str().expect("secret").to_string());
    log.no_secret_anywhere().await;
    log.call(
        &key,
        ("POST", &format!("{hook_path}/test"), Some(json!({}))),
        200,
        "webhook.test",
    )
    .await;

    // Publishing and dry runs change no configuration: not audited.
    let (status, _) = h
        .call_as(
            &key,
            "POST",
            &format!("{orgs}/events"),
            Some(json!({"id": "e1", "type": "a", "data": {}})),
        )
        .await;
    assert_eq!(status, 202);
    let (status, _) = h
        .call_as(
            &key,
            "POST",
            &format!("{hook_path}/dry-run"),
            Some(json!({"events": [{"type": "a", "data": {}}]})),
        )
        .await;
    assert_eq!(status, 200);
    log.none("publishing and a dry run").await;
    // Refused requests change nothing: not audited.
    let (status, _) = h
        .call_as(
            &key,
            "PATCH",
            &hook_path,
            Some(json!({"url": "ftp://nope"})),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = h
        .call_as(
            &key,
            "PUT",
            "/v1/event-types/a",
            Some(json!({"description": "x"})),
        )
        .await;
    assert_eq!(status, 403);
    log.none("refused requests").await;

    let done = |d: &Value| d["status"] == "succeeded";
    let deliveries = h
        .wait_deliveries(&org, &wh, super::WAIT, |d| d.iter().any(done))
        .await;
    let delivery = deliveries
        .iter()
        .find(|d| done(d))
        .and_then(|d| d["id"].as_str())
        .expect("delivery")
        .to_string();
    let (_, entry) = log
        .call(
            &key,
            ("POST", &format!("{orgs}/deliveries/{delivery}/retry"), None),
            200,
            "delivery.retry",
        )
        .await;
    assert_eq!(entry["target"], delivery.as_str());
    log.call(
        &key,
        (
            "POST",
            &format!("{hook_path}/replay"),
            Some(json!({"since": "2020-01-01T00:00:00Z", "status": "dead"})),
        ),
        200,
        "delivery.replay",
    )
    .await;
    let (link, entry) = log
        .call(
            &key,
            ("POST", &format!("{orgs}/portal-sessions"), Some(json!({}))),
            201,
            "portal_session.create",
        )
        .await;
    let code = link["path"]
        .as_str()
        .expect("path")
        .split("code=")
        .nth(1)
        .expect("code")
        .to_string();
    log.secrets.push(code.clone());
    assert_eq!(entry["after"]["read_only"], false);
    log.no_secret_anywhere().await;

    // The operator's global resources: the catalogue and plugins.
    let (_, entry) = log
        .call(
            op,
            (
                "PUT",
                "/v1/event-types/a",
                Some(json!({"description": "first"})),
            ),
            200,
            "event_type.put",
        )
        .await;
    assert!(
        entry["before"].is_null() && entry["org"].is_null(),
        "{entry}"
    );
    let (_, entry) = log
        .call(
            op,
            (
                "PUT",
                "/v1/event-types/a",
                Some(json!({"description": "second"})),
            ),
            200,
            "event_type.put",
        )
        .await;
    assert_eq!(
        (
            entry["before"]["description"].as_str(),
            entry["after"]["description"].as_str()
        ),
        (Some("first"), Some("second"))
    );
    register(&h, "audited", "threshold-filter").await;
    log.one("plugin.register").await;
    assert_eq!(log.newest().await["target"], "audited@1.0.0");
    log.call(
        op,
        ("DELETE", "/v1/plugins/audited/1.0.0", None),
        204,
        "plugin.delete",
    )
    .await;

    // Dashboard sessions: signing in, redeeming a portal link, signing out.
    let (status, headers, session) = h
        .raw(
            "POST",
            "/ui/session",
            &[("content-type", "application/json")],
            Some(json!({"token": key}).to_string()),
        )
        .await;
    assert_eq!(status, 201, "{session}");
    log.one("session.open").await;
    let entry = log.newest().await;
    assert_eq!(entry["actor"]["id"], key_id.as_str(), "{entry}");
    assert!(
        entry["target"]
            .as_str()
            .is_some_and(|t| t.starts_with("ses_")),
        "{entry}"
    );
    let cookie = headers
        .iter()
        .find(|(n, _)| n == "set-cookie")
        .expect("cookie")
        .1
        .split(';')
        .next()
        .expect("cookie")
        .to_string();
    let csrf = session["csrf"].as_str().expect("csrf").to_string();
    log.secrets.extend([cookie.clone(), csrf.clone()]);
    let (status, _, _) = h
        .raw(
            "PATCH",
            &hook_path,
            &[
                ("content-type", "application/json"),
                ("cookie", &cookie),
                ("x-csrf-token", &csrf),
            ],
            Some(json!({"name": "by session"}).to_string()),
        )
        .await;
    assert_eq!(status, 200);
    log.one("webhook.update").await;
    assert_eq!(log.newest().await["actor"]["type"], "session");
    let (status, _, _) = h
        .raw(
            "DELETE",
            "/ui/session",
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
            None,
        )
        .await;
    assert_eq!(status, 204);
    log.one("session.close").await;
    let (status, _, _) = h
        .raw(
            "POST",
            "/ui/session/portal",
            &[("content-type", "application/json")],
            Some(json!({"code": code}).to_string()),
        )
        .await;
    assert_eq!(status, 201);
    log.one("portal_session.redeem").await;
    let entry = log.newest().await;
    assert_eq!(
        (entry["actor"]["type"].as_str(), entry["org"].as_str()),
        (Some("anonymous"), Some(org.as_str()))
    );

    own_logs_and_paging(&mut log, &org, &key, &key_id, &hook_path).await;
}
