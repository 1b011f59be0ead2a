//! The master key rotated online under load, values stored in clear by an
//! older Herald sealed by `rotate-master`, and a shared Redis without a
//! master key refused.

use super::*;

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
