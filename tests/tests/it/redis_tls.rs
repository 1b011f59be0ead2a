//! Herald on a managed-style Redis: TLS only through a CA the test made,
//! an ACL user limited by the README's own `ACL SETUSER` line (the default
//! user switched off), and the settings that guard TLS: a wrong CA fails
//! with a message, `#insecure` is refused without `HERALD_REDIS_TLS_INSECURE`.

use herald_e2e::herald::{HeraldProcess, Options};
use herald_e2e::receiver::Receiver;
use herald_e2e::redis::{free_port, TestRedis};
use herald_e2e::tls::TestCa;
use herald_e2e::{herald_bin, workspace_root};
use serde_json::json;
use std::process::Command;
use std::time::Duration;

const PASSWORD: &str = "acl-test-password-0f3c";
const ADMIN_PASSWORD: &str = "admin-test-password-77e1";

/// The README's `ACL SETUSER herald …` line, with the test's password.
fn readme_acl_line() -> Vec<String> {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).expect("README");
    let line = readme
        .lines()
        .find(|l| l.trim_start().starts_with("ACL SETUSER herald "))
        .expect("the README documents the ACL line operators copy");
    line.split_whitespace()
        .map(|word| word.replace("<password>", PASSWORD))
        .collect()
}

/// `redis-cli` as the test's own admin user (the default user is switched
/// off once Herald runs).
fn cli(port: u16, args: &[String]) -> String {
    let out = Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args([
            "--user",
            "admin",
            "--pass",
            ADMIN_PASSWORD,
            "--no-auth-warning",
        ])
        .args(args)
        .output()
        .expect("redis-cli");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A `redis-server` serving TLS on its own port with `ca`'s certificate
/// (plain TCP stays open on another port for the test's own setup).
fn tls_redis(ca: &TestCa) -> (TestRedis, u16) {
    let leaf = ca.leaf(&["localhost", "127.0.0.1"], false);
    let tls_port = free_port();
    let redis = TestRedis::start_with(&[
        "--tls-port",
        &tls_port.to_string(),
        "--tls-cert-file",
        &leaf.cert_file.display().to_string(),
        "--tls-key-file",
        &leaf.key_file.display().to_string(),
        "--tls-ca-cert-file",
        &ca.ca_file.display().to_string(),
        "--tls-auth-clients",
        "no",
    ]);
    (redis, tls_port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_and_an_acl_user_limited_to_what_herald_needs() {
    let ca = TestCa::new();
    let (redis, tls_port) = tls_redis(&ca);
    let admin = Command::new("redis-cli")
        .args(["-p", &redis.port().to_string()])
        .args([
            "ACL",
            "SETUSER",
            "admin",
            "on",
            &format!(">{ADMIN_PASSWORD}"),
        ])
        .args(["~*", "&*", "+@all"])
        .output()
        .expect("redis-cli");
    assert!(String::from_utf8_lossy(&admin.stdout).contains("OK"));
    let acl = readme_acl_line();
    assert_eq!(cli(redis.port(), &acl).trim(), "OK", "{acl:?}");
    let url = format!("rediss://herald:{PASSWORD}@localhost:{tls_port}/");
    let ca_file = ca.ca_file.display().to_string();
    let h = HeraldProcess::start(Options::trusting(
        &url,
        &ca,
        &[("HERALD_REDIS_CA_FILE", ca_file.as_str())],
    ))
    .await;
    // Only Herald's user from here on.
    let off = ["ACL", "SETUSER", "default", "off"].map(String::from);
    assert_eq!(cli(redis.port(), &off).trim(), "OK");

    let flaky = Receiver::start(
        Some(ca.server.clone()),
        std::sync::Arc::new(|n, _| (if n < 1 { 500 } else { 200 }, vec![], Duration::ZERO)),
    )
    .await;
    let org = h.org().await;
    let hook = h
        .webhook(
            &org,
            // A rate limit too: its script reads Redis's clock (`TIME`).
            json!({"name": "t", "url": flaky.url(), "active": true, "triggers": [{"event": "x"}],
                   "retry": {"schedule": ["100ms"]}, "rate_limit": {"per_second": 50, "burst": 5}}),
        )
        .await;
    let wh = hook["id"].as_str().expect("id");
    h.publish_numbered(&org, "x", 20, 2).await;
    let done = h
        .wait_deliveries(&org, wh, Duration::from_secs(60), |items| {
            items.len() == 20 && items.iter().all(|d| d["status"] == "succeeded")
        })
        .await;
    assert_eq!(done.len(), 20);
    // A change (the change feed, a transaction with PUBLISH), stats, and
    // deleting the org (SCAN of its keys) all work as that user.
    let (status, _) = h
        .call(
            "PATCH",
            &format!("/v1/orgs/{org}/webhooks/{wh}"),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, stats) = h
        .call("GET", &format!("/v1/orgs/{org}/webhooks/{wh}/stats"), None)
        .await;
    assert_eq!(status, 200, "{stats}");
    let (status, body) = h.call("DELETE", &format!("/v1/orgs/{org}"), None).await;
    assert!(status == 204 || status == 200, "{status} {body}");
    // Nothing was refused to Herald's user along the way.
    let log = h.log();
    assert!(!log.contains("NOPERM"), "{log}");
    let denied = ["ACL", "LOG"].map(String::from);
    let denied = cli(redis.port(), &denied);
    assert!(denied.trim().is_empty(), "ACL LOG: {denied}");
}

/// `herald serve` with `env`, expected to stop by itself: its exit status
/// and what it said.
async fn serve_fails(env: &[(&str, String)]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("dir");
    let mut cmd = tokio::process::Command::new(herald_bin());
    cmd.arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HERALD_LISTEN", "127.0.0.1:0")
        .env("HERALD_DATA_DIR", dir.path())
        .env("HERALD_MASTER_KEY", herald_e2e::herald::TEST_MASTER_KEY)
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(Duration::from_secs(120), cmd.output())
        .await
        .expect("herald stops by itself")
        .expect("herald runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_ca_and_an_unasked_insecure_url_are_refused_with_a_reason() {
    let (ca, other) = (TestCa::new(), TestCa::new());
    let (_redis, tls_port) = tls_redis(&ca);
    let url = format!("rediss://localhost:{tls_port}/");
    let (code, said) = serve_fails(&[
        ("HERALD_REDIS_URL", url.clone()),
        ("HERALD_REDIS_CA_FILE", other.ca_file.display().to_string()),
    ])
    .await;
    assert_ne!(code, Some(0), "{said}");
    assert!(
        said.contains("cannot use Redis at rediss://localhost"),
        "{said}"
    );
    assert!(said.to_lowercase().contains("certificate"), "{said}");

    let (code, said) = serve_fails(&[("HERALD_REDIS_URL", format!("{url}#insecure"))]).await;
    assert_ne!(code, Some(0), "{said}");
    assert!(said.contains("HERALD_REDIS_TLS_INSECURE=true"), "{said}");

    let (code, said) = serve_fails(&[
        ("HERALD_REDIS_URL", url.clone()),
        ("HERALD_REDIS_CLUSTER_NODES", url),
    ])
    .await;
    assert_ne!(code, Some(0), "{said}");
    assert!(said.contains("not both"), "{said}");
}
