//! A full Redis (`maxmemory` with `noeviction`): publishing answers 503
//! and loses nothing already accepted; outcomes that could not be written
//! are written once memory frees, and delivery resumes by itself.

use herald_e2e::herald::{HeraldProcess, Options};
use herald_e2e::receiver::{Received, Receiver};
use herald_e2e::redis::TestRedis;
use herald_e2e::tls::TestCa;
use serde_json::json;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// The event ids among `got`.
fn by_event(got: &[Received]) -> HashSet<String> {
    got.iter()
        .filter_map(|r| r.json()["id"].as_str().map(str::to_string))
        .collect()
}

/// Sets a Redis setting with `CONFIG SET`.
async fn config_set(redis: &TestRedis, name: &str, value: &str) {
    let client = redis::Client::open(redis.url()).expect("client");
    let mut con = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    redis::cmd("CONFIG")
        .arg("SET")
        .arg(name)
        .arg(value)
        .query_async::<()>(&mut con)
        .await
        .expect("CONFIG SET");
}

/// Redis's `used_memory`.
async fn used_memory(redis: &TestRedis) -> u64 {
    let client = redis::Client::open(redis.url()).expect("client");
    let mut con = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let info: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(&mut con)
        .await
        .expect("INFO");
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("used_memory")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_redis_answers_503_loses_nothing_and_delivery_resumes() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let herald = HeraldProcess::start(Options::trusting(&redis.url(), &ca, &[])).await;
    let org = herald.org().await;
    let hook = herald
        .webhook(
            &org,
            json!({"name": "w", "url": receiver.url(), "active": true, "triggers": [{"event": "x"}]}),
        )
        .await;
    let wh = hook["id"].as_str().expect("id");
    config_set(&redis, "maxmemory-policy", "noeviction").await;
    let limit = used_memory(&redis).await + 2_000_000;
    config_set(&redis, "maxmemory", &limit.to_string()).await;
    // 8 KiB events until Redis is full.
    let filler = "x".repeat(8192);
    let mut accepted = 0;
    let refusal = loop {
        let body = json!({"id": format!("e{accepted}"), "type": "x", "data": {"filler": filler}});
        let (status, answer) = herald
            .call("POST", &format!("/v1/orgs/{org}/events"), Some(body))
            .await;
        match status {
            202 => accepted += 1,
            503 => break answer,
            other => panic!("publishing: {other} {answer}\n{}", herald.log()),
        }
        assert!(accepted < 10_000, "Redis never filled up");
    };
    assert_eq!(refusal["error"]["code"], "unavailable", "{refusal}");
    let message = refusal["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("maxmemory"), "{message}");
    // Memory frees (the operator raises the limit): delivery resumes and
    // every accepted event is delivered and recorded.
    config_set(&redis, "maxmemory", "0").await;
    let deadline = Instant::now() + Duration::from_secs(120);
    while herald.succeeded(&org, wh).await < accepted {
        assert!(
            Instant::now() < deadline,
            "{} of {accepted} accepted events recorded as delivered\n{}",
            herald.succeeded(&org, wh).await,
            herald.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let arrived = by_event(&receiver.received());
    assert!((0..accepted).all(|i| arrived.contains(&format!("e{i}"))));
    println!("{accepted} events accepted before Redis was full; all delivered once memory freed");
}

/// A transaction whose commands were queued while Redis had room, but
/// whose `EXEC` Redis refused because memory filled up meanwhile (`OOM`),
/// was not applied: Herald's store must count it as Redis being unavailable
/// (to write again when memory frees), not as a fault in the data. Here
/// the queued arguments themselves take the memory past the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_refused_for_memory_is_written_again_later() {
    let redis = TestRedis::start();
    config_set(&redis, "maxmemory-policy", "noeviction").await;
    let limit = used_memory(&redis).await + 3_000_000;
    config_set(&redis, "maxmemory", &limit.to_string()).await;
    let client = redis::Client::open(redis.url()).expect("client");
    let mut con = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let big = "x".repeat(2_000_000);
    let mut pipe = redis::pipe();
    pipe.atomic()
        .set("a", &big)
        .ignore()
        .set("b", &big)
        .ignore();
    let refused = pipe
        .query_async::<()>(&mut con)
        .await
        .expect_err("EXEC over maxmemory");
    let error = herald::store::StoreError::Redis(refused);
    assert!(error.is_unavailable(), "not retryable: {error}");
    config_set(&redis, "maxmemory", "0").await;
    pipe.query_async::<()>(&mut con)
        .await
        .expect("written once memory frees");
}
