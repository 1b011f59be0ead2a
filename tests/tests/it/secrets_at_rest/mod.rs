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
        // ed25519 webhooks hold `whsk_` signing keys: sealed like the rest.
        for scheme in ["standard", "hex", "ed25519"] {
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

mod hex_signatures;
mod rotation;
