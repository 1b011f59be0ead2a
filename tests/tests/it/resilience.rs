//! Nothing accepted is lost: a worker killed with SIGKILL mid-flight, a
//! Redis restart, a vanished consumer group; and the embedded Redis default.

use herald::store::keys::{self, Keys, Shard};
use herald_e2e::herald::{HeraldProcess, Options};
use herald_e2e::receiver::Receiver;
use herald_e2e::redis::{free_port, TestRedis};
use herald_e2e::tls::TestCa;
use serde_json::json;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_flight_loses_nothing() {
    const EVENTS: usize = 5000;
    /// Requests answered before the receiver holds every further one.
    const BEFORE_KILL: usize = 1000;
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    // A receiver slow enough that hundreds of deliveries are in flight at any
    // time; after BEFORE_KILL requests it holds the rest until the gate
    // opens, so the kill is mid-flight however slow or fast the machine is.
    let open = Arc::new(AtomicBool::new(false));
    let gate = open.clone();
    let receiver = Receiver::start(
        Some(ca.server.clone()),
        Arc::new(move |n, _| {
            let held = n >= BEFORE_KILL && !gate.load(Ordering::SeqCst);
            let delay = if held { 60 } else { 0 };
            (
                200,
                vec![],
                Duration::from_millis(50) + Duration::from_secs(delay),
            )
        }),
    )
    .await;
    // Short timeouts so that work claimed by the killed worker is taken over quickly.
    let fast = [
        ("HERALD_MAX_TIMEOUT", "2s"),
        ("HERALD_DEFAULT_TIMEOUT", "2s"),
        ("HERALD_VISIBILITY_TIMEOUT", "8s"),
    ];
    let api = HeraldProcess::start(Options::trusting(&redis.url(), &ca, &fast).role("api")).await;
    let org = api.org().await;
    let hook = api
        .webhook(
            &org,
            // Short retries: should a held request time out before the kill
            // (a very slow machine), its retry comes soon after the gate opens.
            json!({"name": "w", "url": receiver.url(), "active": true, "triggers": [{"event": "x"}],
                   "retry": {"schedule": ["1s", "1s", "1s"]}}),
        )
        .await;
    let wh = hook["id"].as_str().expect("id");
    api.publish_numbered(&org, "x", EVENTS, 8).await;

    let worker_opts = Options::trusting(&redis.url(), &ca, &fast).role("worker");
    let mut worker = HeraldProcess::start(worker_opts.clone()).await;
    receiver
        .wait_for(BEFORE_KILL, Duration::from_secs(60))
        .await;
    worker.kill9();
    let at_kill = receiver.received().len();
    open.store(true, Ordering::SeqCst);

    let _restarted = HeraldProcess::start(worker_opts).await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        let got = receiver.received();
        let events: HashSet<String> = got
            .iter()
            .filter_map(|r| r.json()["id"].as_str().map(String::from))
            .collect();
        if events.len() == EVENTS {
            // Duplicates are allowed, but a duplicate carries the same webhook-id.
            let mut ids_by_event = std::collections::HashMap::new();
            for r in &got {
                let event = r.json()["id"].as_str().unwrap_or_default().to_string();
                let id = r.header("webhook-id").unwrap_or_default().to_string();
                let first = ids_by_event.entry(event).or_insert_with(|| id.clone());
                assert_eq!(*first, id, "a redelivery carries the same webhook-id");
            }
            // Herald's own record: every delivery succeeded, including those
            // the killed worker had claimed (taken over after the visibility timeout).
            if api.succeeded(&org, wh).await == EVENTS {
                println!(
                    "delivered {} events in {} requests ({} duplicates); {at_kill} requests before the kill",
                    events.len(),
                    got.len(),
                    got.len() - events.len()
                );
                return;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {EVENTS} events arrived after the restart",
            events.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survives_a_redis_restart_and_a_vanished_group() {
    let (mut redis, ca) = (TestRedis::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let h = HeraldProcess::start(Options::trusting(&redis.url(), &ca, &[])).await;
    let org = h.org().await;
    h.webhook(
        &org,
        json!({"name": "w", "url": receiver.url(), "active": true, "triggers": [{"event": "x"}]}),
    )
    .await;
    h.publish(&org, json!({"type": "x", "data": {"n": 1}}))
        .await;
    receiver.wait_for(1, Duration::from_secs(20)).await;

    redis.restart();
    // The API reconnects on its own; a publish may need a retry while it does.
    let mut published = false;
    for _ in 0..50 {
        let (status, _) = h
            .call(
                "POST",
                &format!("/v1/orgs/{org}/events"),
                Some(json!({"id": "after-restart", "type": "x", "data": {"n": 2}})),
            )
            .await;
        if status == 202 {
            published = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        published,
        "publishing works again after the restart:\n{}",
        h.log()
    );
    receiver.wait_for(2, Duration::from_secs(30)).await;

    let client = redis::Client::open(redis.url()).expect("client");
    let mut con = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let _: i64 = redis::cmd("XGROUP")
        .arg("DESTROY")
        .arg(Keys::new(1).queue(Shard(0)))
        .arg(keys::GROUP)
        .query_async(&mut con)
        .await
        .expect("destroy");
    h.publish(&org, json!({"type": "x", "data": {"n": 3}}))
        .await;
    // At-least-once: duplicates of earlier deliveries may arrive too; what
    // matters is that the new event gets through.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !receiver
        .received()
        .iter()
        .any(|r| r.json()["data"]["n"] == 3)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not delivered after the group was recreated:\n{}",
            h.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_redis_when_none_is_configured() {
    let port = free_port();
    let mut h = HeraldProcess::start(Options {
        redis_url: None,
        env: vec![("HERALD_EMBEDDED_REDIS_PORT".into(), port.to_string())],
        role: None,
    })
    .await;
    assert!(
        h.log().contains("started an embedded redis-server"),
        "{}",
        h.log()
    );
    let org = h.org().await;
    assert!(org.starts_with("org_"));
    assert_eq!(h.terminate(), Some(0));
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "stopping Herald stops its redis-server"
    );

    // Neither a URL, nor a server, nor redis-server installed: a message saying how to fix it.
    let out = std::process::Command::new(herald_e2e::herald_bin())
        .arg("serve")
        .env_clear()
        .env("PATH", "/nonexistent")
        .env("HERALD_EMBEDDED_REDIS_PORT", free_port().to_string())
        .env("HERALD_DATA_DIR", tempfile::tempdir().expect("dir").path())
        .output()
        .expect("herald runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("HERALD_REDIS_URL") && stderr.contains("apt install redis-server"),
        "{stderr}"
    );
}
