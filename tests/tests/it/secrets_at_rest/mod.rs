//! Secrets at rest, through the real binary and a real Redis: after a full
//! scenario (basic, bearer and custom-header auth, standard and hex
//! signing, secret rotation, deliveries, API keys) no secret is in clear in
//! any Redis key of any type, nor in Herald's debug log, its metrics or any
//! API response but the one-time create / secret routes; the master key
//! rotates online under load with no failed attempt; values stored in clear
//! by an older Herald are read and then sealed by `rotate-master`.

use base64::Engine as _;
use herald_e2e::herald::{HeraldProcess, Options, ADMIN_TOKEN, TEST_MASTER_KEY};
use herald_e2e::herald_bin;
use herald_e2e::receiver::{Received, Receiver};
use herald_e2e::redis::TestRedis;
use herald_e2e::tls::TestCa;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A second master key for rotations.
const NEW_MASTER_KEY: &str = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=";

fn key_id(b64: &str) -> String {
    use sha2::Digest as _;
    let key = B64.decode(b64).expect("base64 key");
    hex::encode(&sha2::Sha256::digest(key)[..4])
}

fn hex_hmac(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

fn verify_standard(secret: &str, r: &Received) -> bool {
    let (Some(id), Some(ts), Some(sig)) = (
        r.header("webhook-id"),
        r.header("webhook-timestamp"),
        r.header("webhook-signature"),
    ) else {
        return false;
    };
    let key = B64
        .decode(secret.trim_start_matches("whsec_"))
        .expect("base64 secret");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("key");
    mac.update(format!("{id}.{ts}.").as_bytes());
    mac.update(&r.body);
    let expected = format!("v1,{}", B64.encode(mac.finalize().into_bytes()));
    sig.split(' ').any(|s| s == expected)
}

/// Every value of a Redis reply as text.
fn flatten(v: &redis::Value, out: &mut String) {
    match v {
        redis::Value::BulkString(bytes) => out.push_str(&String::from_utf8_lossy(bytes)),
        redis::Value::SimpleString(s) => out.push_str(s),
        redis::Value::Array(items) | redis::Value::Set(items) => {
            for i in items {
                flatten(i, out);
                out.push('\n');
            }
        }
        redis::Value::Map(pairs) => {
            for (k, v) in pairs {
                flatten(k, out);
                out.push('=');
                flatten(v, out);
                out.push('\n');
            }
        }
        other => out.push_str(&format!("{other:?}")),
    }
}

/// Every key of the Redis at `url` with its whole content, by type:
/// strings, hashes, lists, sets, sorted sets, streams.
fn dump_redis(url: &str) -> (String, usize) {
    let mut con = redis::Client::open(url)
        .expect("url")
        .get_connection()
        .expect("redis connection");
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut con).expect("KEYS");
    let mut out = String::new();
    let mut types = std::collections::BTreeSet::new();
    for key in &keys {
        let kind: String = redis::cmd("TYPE").arg(key).query(&mut con).expect("TYPE");
        let mut cmd = match kind.as_str() {
            "string" => redis::cmd("GET"),
            "hash" => redis::cmd("HGETALL"),
            "list" => redis::cmd("LRANGE"),
            "set" => redis::cmd("SMEMBERS"),
            "zset" => redis::cmd("ZRANGE"),
            "stream" => redis::cmd("XRANGE"),
            _ => continue,
        };
        cmd.arg(key);
        match kind.as_str() {
            "list" => {
                cmd.arg(0).arg(-1);
            }
            "zset" => {
                cmd.arg(0).arg(-1).arg("WITHSCORES");
            }
            "stream" => {
                cmd.arg("-").arg("+");
            }
            _ => {}
        }
        let value: redis::Value = cmd.query(&mut con).expect("read key");
        out.push_str(&format!("--- {kind} {key}\n"));
        flatten(&value, &mut out);
        out.push('\n');
        types.insert(kind);
    }
    assert!(
        ["string", "hash", "set", "zset", "stream"]
            .iter()
            .all(|t| types.contains(*t)),
        "the scenario should leave keys of every kind, got {types:?}"
    );
    (out, keys.len())
}

/// What a full scenario leaves behind: the values that must not be found
/// in clear, and the API responses that are no create / secret route.
struct Scenario {
    secrets: Vec<String>,
    responses: Vec<String>,
    org: String,
}

/// Publishes `n` events of type `order.created` with `key`.
async fn publish_as(h: &HeraldProcess, key: &str, org: &str, n: usize) {
    for i in 0..n {
        let (status, body) = h
            .call_as(
                key,
                "POST",
                &format!("/v1/orgs/{org}/events"),
                Some(json!({"type": "order.created", "data": {"i": i}})),
            )
            .await;
        assert_eq!(status, 202, "{body}");
    }
}

/// Webhooks with every kind of receiver auth and both signing schemes, a
/// secret rotation on each, deliveries before and after, an API key used.
async fn full_scenario(h: &HeraldProcess, receiver: &Receiver) -> Scenario {
    let org = h.org().await;
    let mut secrets: Vec<String> = vec![ADMIN_TOKEN.to_string(), TEST_MASTER_KEY.to_string()];
    let mut responses = Vec::new();
    let (status, created) = h
        .call(
            "POST",
            &format!("/v1/orgs/{org}/api-keys"),
            Some(json!({"name": "ci", "permissions": ["webhooks:read", "webhooks:write", "events:write", "logs:read"]})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let api_key = created["key"].as_str().expect("key").to_string();
    secrets.push(api_key.clone());
    let auths = [
        json!({"type": "basic", "username": "shop", "password": "pw-Basic-7f3a91c2"}),
        json!({"type": "bearer", "token": "tok-Bearer-55e0b7d1"}),
        json!({"type": "header", "name": "x-api-key", "value": "hdr-Custom-a8c4e2f9"}),
    ];
    secrets.extend(
        [
            "pw-Basic-7f3a91c2",
            "tok-Bearer-55e0b7d1",
            "hdr-Custom-a8c4e2f9",
        ]
        .map(String::from),
    );
    secrets.push(B64.encode("shop:pw-Basic-7f3a91c2"));
    let mut hooks = Vec::new();
    for (i, auth) in auths.iter().enumerate() {
        for scheme in ["standard", "hex"] {
            let (status, hook) = h
                .call_as(
                    &api_key,
                    "POST",
                    &format!("/v1/orgs/{org}/webhooks"),
                    Some(json!({"name": format!("h{i}-{scheme}"), "url": receiver.url(), "active": true,
                                "signature": scheme, "auth": auth,
                                "triggers": [{"event": "order.created"}]})),
                )
                .await;
            assert_eq!(status, 201, "{hook}");
            let id = hook["id"].as_str().expect("id").to_string();
            secrets.push(hook["secret"].as_str().expect("secret").to_string());
            hooks.push(id);
        }
    }
    publish_as(h, &api_key, &org, 2).await;
    receiver.wait_for(hooks.len() * 2, WAIT).await;
    for id in &hooks {
        let (status, rotated) = h
            .call_as(
                &api_key,
                "POST",
                &format!("/v1/orgs/{org}/webhooks/{id}/rotate-secret"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{rotated}");
        secrets.push(rotated["secret"].as_str().expect("secret").to_string());
        let (status, read) = h
            .call_as(
                &api_key,
                "GET",
                &format!("/v1/orgs/{org}/webhooks/{id}/secret"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{read}");
        assert_eq!(read["previous"].as_array().map(Vec::len), Some(1));
    }
    let (status, _) = h
        .call_as(
            &api_key,
            "POST",
            &format!("/v1/orgs/{org}/webhooks/{}/test", hooks[0]),
            Some(json!({"type": "order.created"})),
        )
        .await;
    assert_eq!(status, 200);
    publish_as(h, &api_key, &org, 2).await;
    receiver.wait_for(hooks.len() * 4 + 1, WAIT).await;
    // The base64 part of every whsec_ secret, on its own, too.
    let keys: Vec<String> = secrets
        .iter()
        .filter_map(|s| s.strip_prefix("whsec_").map(String::from))
        .collect();
    secrets.extend(keys);
    // Every read route that is no one-time secret route.
    let mut paths = vec![
        "/v1/orgs".to_string(),
        format!("/v1/orgs/{org}"),
        format!("/v1/orgs/{org}/api-keys"),
        format!("/v1/orgs/{org}/webhooks"),
        "/v1/plugins".to_string(),
        "/healthz".to_string(),
        "/readyz".to_string(),
    ];
    for id in &hooks {
        paths.push(format!("/v1/orgs/{org}/webhooks/{id}"));
        paths.push(format!("/v1/orgs/{org}/webhooks/{id}/deliveries?limit=100"));
        paths.push(format!("/v1/orgs/{org}/webhooks/{id}/stats"));
        let items = h
            .wait_deliveries(&org, id, WAIT, |items| {
                items.len() >= 4 && items.iter().all(|d| d["status"] == "succeeded")
            })
            .await;
        for d in items {
            paths.push(format!(
                "/v1/orgs/{org}/deliveries/{}",
                d["id"].as_str().expect("id")
            ));
        }
    }
    for path in paths {
        let (status, body) = h.call_as(&api_key, "GET", &path, None).await;
        let (status, body) = if status == 200 {
            (status, body)
        } else {
            h.call("GET", &path, None).await
        };
        assert_eq!(status, 200, "GET {path}: {body}");
        responses.push(format!("GET {path}: {body}"));
    }
    // Check the receivers got what they should, hex rotation included.
    let got = receiver.received();
    assert!(got
        .iter()
        .any(|r| r.header("x-webhook-signature-new").is_some()));
    Scenario {
        secrets,
        responses,
        org,
    }
}

fn assert_clean(what: &str, text: &str, secrets: &[String]) {
    for secret in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{what} holds the secret {secret:?} in clear"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_holds_no_secret_in_clear_after_a_full_scenario() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let h = HeraldProcess::start(Options::trusting(&redis.url(), &ca, &[])).await;
    let s = full_scenario(&h, &receiver).await;
    let (dump, keys) = dump_redis(&redis.url());
    assert!(keys > 20, "only {keys} keys");
    assert_clean("Redis", &dump, &s.secrets);
    // The secrets are there, sealed under the configured key.
    let sealed = format!("enc:v1:{}:", key_id(TEST_MASTER_KEY));
    assert!(
        dump.matches(&sealed).count() >= 6 * 3,
        "sealed values under {sealed}"
    );
    assert!(!s.org.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_the_debug_log_the_metrics_or_api_responses() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let h = HeraldProcess::start(Options::trusting(
        &redis.url(),
        &ca,
        &[("HERALD_LOG", "debug")],
    ))
    .await;
    let s = full_scenario(&h, &receiver).await;
    let log = h.log();
    assert!(
        log.lines().filter(|l| l.contains("DEBUG")).count() > 10,
        "the log is at debug level"
    );
    assert_clean("Herald's log", &log, &s.secrets);
    let (status, metrics) = h.call("GET", "/metrics", None).await;
    assert_eq!(status, 200);
    let metrics = metrics.to_string();
    assert!(metrics.contains("herald_"), "{metrics}");
    assert_clean("/metrics", &metrics, &s.secrets);
    assert!(s.responses.len() > 20);
    for r in &s.responses {
        assert_clean("an API response", r, &s.secrets);
    }
}

/// Runs `herald secrets rotate-master` against `redis_url` with `current`
/// sealing and `old` opening; returns its stdout.
fn rotate_master(redis_url: &str, current: &str, old: &str) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let out = std::process::Command::new(herald_bin())
        .args(["secrets", "rotate-master"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HERALD_REDIS_URL", redis_url)
        .env("HERALD_MASTER_KEY", current)
        .env("HERALD_OLD_MASTER_KEYS", old)
        .env("HERALD_DATA_DIR", dir.path())
        .output()
        .expect("herald runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "rotate-master failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The sealed values of every stored webhook, by key id.
fn stored_key_ids(redis_url: &str) -> Vec<String> {
    let (dump, _) = dump_redis(redis_url);
    dump.split("enc:v1:")
        .skip(1)
        .map(|rest| rest.split(':').next().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_master_key_rotates_under_load_with_no_failed_attempt() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    // The running Herald holds both keys (step 1 of the README's procedure).
    let h = HeraldProcess::start(Options::trusting(
        &redis.url(),
        &ca,
        &[
            ("HERALD_MASTER_KEY", TEST_MASTER_KEY),
            ("HERALD_OLD_MASTER_KEYS", NEW_MASTER_KEY),
            ("HERALD_LOG", "warn"),
        ],
    ))
    .await;
    let org = h.org().await;
    let mut hooks: Vec<(String, String, &str)> = Vec::new();
    for i in 0..8 {
        let scheme = if i % 2 == 0 { "standard" } else { "hex" };
        let hook = h
            .webhook(
                &org,
                json!({"name": format!("w{i}"), "url": receiver.url(), "active": true, "signature": scheme,
                       "headers": {"x-hook": i.to_string()},
                       "auth": {"type": "bearer", "token": format!("load-token-{i}")},
                       "retry": {"schedule": ["1s"]},
                       "triggers": [{"event": "load"}]}),
            )
            .await;
        hooks.push((
            hook["id"].as_str().expect("id").to_string(),
            hook["secret"].as_str().expect("secret").to_string(),
            scheme,
        ));
    }
    let (old_id, new_id) = (key_id(TEST_MASTER_KEY), key_id(NEW_MASTER_KEY));
    assert!(stored_key_ids(&redis.url()).iter().all(|id| *id == old_id));

    let events = 600;
    let publisher = {
        let (api, org) = ((*h).clone(), org.clone());
        tokio::spawn(async move { api.publish_numbered(&org, "load", events, 2).await })
    };
    // Concurrent API changes while the rotation runs: none may be lost.
    let patcher = {
        let (api, org, ids) = (
            (*h).clone(),
            org.clone(),
            hooks.iter().map(|h| h.0.clone()).collect::<Vec<_>>(),
        );
        tokio::spawn(async move {
            for round in 0..5 {
                for id in &ids {
                    let (status, body) = api
                        .call(
                            "PATCH",
                            &format!("/v1/orgs/{org}/webhooks/{id}"),
                            Some(json!({"description": format!("round {round}")})),
                        )
                        .await;
                    assert_eq!(status, 200, "{body}");
                }
            }
        })
    };
    // Back and forth between the keys while events flow (each run opens
    // with either key), at least three times.
    let total = events * hooks.len();
    let (mut runs, mut seen) = (0, Vec::new());
    while !publisher.is_finished() || runs < 3 {
        let (current, old) = if runs % 2 == 0 {
            (NEW_MASTER_KEY, TEST_MASTER_KEY)
        } else {
            (TEST_MASTER_KEY, NEW_MASTER_KEY)
        };
        let url = redis.url();
        let out = tokio::task::spawn_blocking(move || rotate_master(&url, current, old))
            .await
            .expect("rotation");
        assert!(out.contains("re-sealed"), "{out}");
        seen.push(receiver.received().len());
        runs += 1;
    }
    assert!(
        seen.iter().any(|n| *n > 0 && *n < total),
        "deliveries were flowing during the rotations: {seen:?} of {total}"
    );
    patcher.await.expect("patcher");
    publisher.await.expect("publisher");
    // The patches sealed under the running Herald's key; sweep them again.
    let last = rotate_master(&redis.url(), NEW_MASTER_KEY, TEST_MASTER_KEY);
    assert!(last.contains(&new_id), "{last}");

    let got = receiver.wait_for(total, Duration::from_secs(120)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got_now = receiver.received();
    assert_eq!(got_now.len(), total, "each delivery sent once");
    for r in &got {
        let i: usize = r.header("x-hook").expect("x-hook").parse().expect("index");
        let (_, secret, scheme) = &hooks[i];
        if *scheme == "standard" {
            assert!(verify_standard(secret, r), "standard signature verifies");
        } else {
            assert_eq!(
                r.header("x-webhook-signature"),
                Some(hex_hmac(secret, &r.body).as_str())
            );
        }
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer load-token-{i}").as_str())
        );
    }
    for (id, _, _) in &hooks {
        let (status, stats) = h
            .call("GET", &format!("/v1/orgs/{org}/webhooks/{id}/stats"), None)
            .await;
        assert_eq!(status, 200, "{stats}");
        let day = &stats["24h"];
        assert_eq!(day["succeeded"], json!(events), "{stats}");
        assert_eq!(day["attempts"], json!(events), "no failed attempt: {stats}");
        assert_eq!(day["retries"], json!(0), "{stats}");
        let (_, hook) = h
            .call("GET", &format!("/v1/orgs/{org}/webhooks/{id}"), None)
            .await;
        assert_eq!(hook["description"], "round 4", "no API change was lost");
    }
    let ids = stored_key_ids(&redis.url());
    assert_eq!(ids.len(), hooks.len() * 2, "{ids:?}");
    assert!(
        ids.iter().all(|id| *id == new_id),
        "only the new key id remains: {ids:?}"
    );
    // A Herald that has only the new key reads them all.
    drop(h);
    let h2 = HeraldProcess::start(Options::trusting(
        &redis.url(),
        &ca,
        &[("HERALD_MASTER_KEY", NEW_MASTER_KEY)],
    ))
    .await;
    h2.publish(&org, json!({"type": "load", "data": {"last": true}}))
        .await;
    let got = receiver.wait_for(total + hooks.len(), WAIT).await;
    let last: Vec<&Received> = got.iter().skip(total).collect();
    assert_eq!(last.len(), hooks.len());
    assert!(h2.log().contains(&new_id), "startup names the key id");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_secrets_from_before_are_read_then_sealed_by_rotate_master() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let h = HeraldProcess::start(Options::trusting(&redis.url(), &ca, &[])).await;
    let org = h.org().await;
    let hook = h
        .webhook(
            &org,
            json!({"name": "old", "url": receiver.url(), "active": true,
                   "auth": {"type": "bearer", "token": "legacy-token-1"},
                   "triggers": [{"event": "e"}]}),
        )
        .await;
    let id = hook["id"].as_str().expect("id");
    // As an older Herald stored it: the same document with plain values.
    let mut con = redis::Client::open(redis.url())
        .expect("url")
        .get_connection()
        .expect("connection");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("*:wh:{id}"))
        .query(&mut con)
        .expect("KEYS");
    assert_eq!(keys.len(), 1, "{keys:?}");
    let key = keys[0].clone();
    let stored: String = redis::cmd("GET").arg(&key).query(&mut con).expect("GET");
    let mut doc: Value = serde_json::from_str(&stored).expect("json");
    assert!(doc["auth"]["token"]
        .as_str()
        .is_some_and(|t| t.starts_with("enc:v1:")));
    let plain_secret = "whsec_cGxhaW4tc2VjcmV0LWZyb20tYmVmb3JlLTEyMzQ1Ng==";
    doc["auth"]["token"] = json!("legacy-token-2");
    doc["secrets"] = json!([{"value": plain_secret, "expires_at_ms": null}]);
    let _: () = redis::cmd("SET")
        .arg(&key)
        .arg(doc.to_string())
        .query(&mut con)
        .expect("SET");
    let _: () = redis::cmd("PUBLISH")
        .arg("herald:changes")
        .arg(id)
        .query(&mut con)
        .expect("PUBLISH");
    tokio::time::sleep(Duration::from_millis(300)).await;
    h.publish(&org, json!({"type": "e", "data": {}})).await;
    let got = receiver.wait_for(1, WAIT).await;
    assert_eq!(
        got[0].header("authorization"),
        Some("Bearer legacy-token-2")
    );
    assert!(verify_standard(plain_secret, &got[0]));

    let out = rotate_master(&redis.url(), TEST_MASTER_KEY, NEW_MASTER_KEY);
    assert!(out.contains("re-sealed 1 of 1"), "{out}");
    let stored: String = redis::cmd("GET").arg(&key).query(&mut con).expect("GET");
    assert!(!stored.contains("legacy-token-2") && !stored.contains(plain_secret));
    let again = rotate_master(&redis.url(), TEST_MASTER_KEY, NEW_MASTER_KEY);
    assert!(again.contains("re-sealed 0 of 1"), "{again}");
    h.publish(&org, json!({"type": "e", "data": {}})).await;
    let got = receiver.wait_for(2, WAIT).await;
    assert_eq!(
        got[1].header("authorization"),
        Some("Bearer legacy-token-2")
    );
}

#[test]
fn a_shared_redis_without_a_master_key_refuses_to_start() {
    let dir = tempfile::tempdir().expect("dir");
    let out = std::process::Command::new(herald_bin())
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HERALD_REDIS_URL", "redis://127.0.0.1:1/")
        .env("HERALD_DATA_DIR", dir.path())
        .output()
        .expect("herald runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("HERALD_MASTER_KEY") && stderr.contains("HERALD_MASTER_KEY_FILE"),
        "{stderr}"
    );
    assert!(!dir.path().join("master.key").exists());
}

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
