//! Recovery in seconds, not after the visibility timeout (150 s here, the
//! default): a worker killed with SIGKILL is taken over once its heartbeat
//! is gone; a Redis shut down mid-flow and started 3 s later finds every
//! live worker re-reading its own unfinished entries and writing the
//! outcomes it could not write, with no second send.

use herald::store::keys::{Keys, Shard, GROUP};
use herald_e2e::herald::{Api, HeraldProcess, Options, ADMIN_TOKEN};
use herald_e2e::receiver::{Received, Receiver};
use herald_e2e::redis::TestRedis;
use herald_e2e::tls::TestCa;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// Event ids among `got`, and how many requests each took.
fn by_event(got: &[Received]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for r in got {
        if let Some(id) = r.json()["id"].as_str() {
            *counts.entry(id.to_string()).or_insert(0) += 1;
        }
    }
    counts
}

/// The queue group's consumers (shard 0).
async fn consumers(redis: &TestRedis) -> Vec<String> {
    let client = redis::Client::open(redis.url()).expect("client");
    let mut con = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let reply: redis::streams::StreamInfoConsumersReply = redis::cmd("XINFO")
        .arg("CONSUMERS")
        .arg(Keys::new(1).queue(Shard(0)))
        .arg(GROUP)
        .query_async(&mut con)
        .await
        .expect("XINFO CONSUMERS");
    reply.consumers.into_iter().map(|c| c.name).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_is_taken_over_once_its_heartbeat_is_gone() {
    const EVENTS: usize = 3000;
    const BEFORE_KILL: usize = 500;
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    // Slow enough that each worker holds hundreds of deliveries at the kill.
    let receiver = Receiver::start(
        Some(ca.server.clone()),
        std::sync::Arc::new(|_, _| (200, vec![], Duration::from_secs(2))),
    )
    .await;
    let opts = |role| Options::trusting(&redis.url(), &ca, &[]).role(role);
    let api = HeraldProcess::start(opts("api")).await;
    let org = api.org().await;
    let hook = api
        .webhook(
            &org,
            json!({"name": "w", "url": receiver.url(), "active": true, "triggers": [{"event": "x"}]}),
        )
        .await;
    let wh = hook["id"].as_str().expect("id");
    let mut doomed = HeraldProcess::start(opts("worker")).await;
    let survivor = HeraldProcess::start(opts("worker")).await;
    api.publish_numbered(&org, "x", EVENTS, 8).await;
    receiver
        .wait_for(BEFORE_KILL, Duration::from_secs(120))
        .await;
    doomed.kill9();
    let killed = Instant::now();

    // The visibility timeout is 150 s: everything within 120 s means the
    // heartbeat, not the timeout, handed the dead worker's entries over.
    // Done is Herald's own record: every delivery succeeded, including
    // those the dead worker had sent but not recorded.
    let deadline = killed + Duration::from_secs(120);
    let took = loop {
        if by_event(&receiver.received()).len() == EVENTS && api.succeeded(&org, wh).await == EVENTS
        {
            break killed.elapsed();
        }
        assert!(
            Instant::now() < deadline,
            "{} of {EVENTS} events arrived, {} recorded as succeeded, in the 120 s after the kill\n{}",
            by_event(&receiver.received()).len(),
            api.succeeded(&org, wh).await,
            survivor.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        survivor
            .log()
            .contains("took over the deliveries of a dead worker"),
        "{}",
        survivor.log()
    );
    println!("every event delivered {took:?} after the kill");
    // The dead worker leaves the group once it holds nothing.
    let deadline = Instant::now() + Duration::from_secs(60);
    while consumers(&redis).await.len() > 1 {
        assert!(Instant::now() < deadline, "{:?}", consumers(&redis).await);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Publishes `e{i}` for i in `range` with retries while Herald answers 503
/// (Redis away), as a producer would; the same id makes a retry idempotent.
async fn publish_until_accepted(api: Api, key: String, org: String, range: std::ops::Range<usize>) {
    for i in range {
        let body = json!({"id": format!("e{i}"), "type": "x", "data": {"i": i}});
        loop {
            let answer = api
                .try_call_as(
                    &key,
                    "POST",
                    &format!("/v1/orgs/{org}/events"),
                    Some(body.to_string().into()),
                )
                .await;
            match answer {
                Ok((202, _)) => break,
                Ok((503, _)) | Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                Ok((status, body)) => panic!("publishing e{i}: {status} {body}"),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_shut_down_mid_flow_recovers_in_seconds_without_a_second_send() {
    const EVENTS: usize = 3000;
    let (mut redis, ca) = (TestRedis::start(), TestCa::new());
    let receiver = Receiver::start(
        Some(ca.server.clone()),
        std::sync::Arc::new(|_, _| (200, vec![], Duration::from_millis(20))),
    )
    .await;
    let opts = |role| Options::trusting(&redis.url(), &ca, &[]).role(role);
    let api = HeraldProcess::start(opts("api")).await;
    let _workers = [
        HeraldProcess::start(opts("worker")).await,
        HeraldProcess::start(opts("worker")).await,
    ];
    let org = api.org().await;
    api.webhook(
        &org,
        json!({"name": "w", "url": receiver.url(), "active": true, "triggers": [{"event": "x"}]}),
    )
    .await;
    let publishers: Vec<_> = (0..4)
        .map(|p| {
            let part = EVENTS / 4;
            tokio::spawn(publish_until_accepted(
                (*api).clone(),
                ADMIN_TOKEN.to_string(),
                org.clone(),
                p * part..(p + 1) * part,
            ))
        })
        .collect();
    receiver
        .wait_for(EVENTS / 3, Duration::from_secs(120))
        .await;
    redis.stop();
    tokio::time::sleep(Duration::from_secs(3)).await;
    redis.start_again();
    let back = Instant::now();
    for p in publishers {
        p.await.expect("publisher");
    }
    let deadline = back + Duration::from_secs(120);
    let took = loop {
        if by_event(&receiver.received()).len() == EVENTS {
            break back.elapsed();
        }
        assert!(
            Instant::now() < deadline,
            "{} of {EVENTS} events arrived in the 120 s after Redis came back",
            by_event(&receiver.received()).len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let counts = by_event(&receiver.received());
    let twice: HashSet<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    println!(
        "every event delivered {took:?} after Redis came back; {} sent twice",
        twice.len()
    );
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
}

/// Publishes as fast as 4 producers can until Redis dies under them;
/// returns each accepted event's id with when it was accepted.
async fn publish_until_refused(api: &Api, org: &str) -> Vec<(String, Instant)> {
    let tasks: Vec<_> = (0..4)
        .map(|p| {
            let (api, org) = (api.clone(), org.to_string());
            tokio::spawn(async move {
                let mut accepted = Vec::new();
                for i in 0.. {
                    let body = json!({"id": format!("p{p}-{i}"), "type": "x", "data": {"i": i}});
                    match api
                        .try_call_as(
                            ADMIN_TOKEN,
                            "POST",
                            &format!("/v1/orgs/{org}/events"),
                            Some(body.to_string().into()),
                        )
                        .await
                    {
                        Ok((202, answer)) => accepted.push((
                            answer["id"].as_str().unwrap_or_default().to_string(),
                            Instant::now(),
                        )),
                        _ => break,
                    }
                }
                accepted
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("publisher"));
    }
    all
}

/// Accepted events (by id) that Redis no longer holds.
async fn missing_events(
    redis: &TestRedis,
    org: &str,
    accepted: &[(String, Instant)],
) -> Vec<Instant> {
    let client = redis::Client::open(redis.url()).expect("client");
    let mut con = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let keys = Keys::new(1);
    let mut missing = Vec::new();
    for chunk in accepted.chunks(500) {
        let mut pipe = redis::pipe();
        for (id, _) in chunk {
            pipe.exists(keys.event(org, id));
        }
        let exists: Vec<bool> = loop {
            match pipe.query_async(&mut con).await {
                Ok(exists) => break exists,
                // Redis is still loading its append-only file.
                Err(e) if e.to_string().contains("loading") => {
                    tokio::time::sleep(Duration::from_millis(100)).await
                }
                Err(e) => panic!("EXISTS: {e}"),
            }
        };
        missing.extend(
            chunk
                .iter()
                .zip(exists)
                .filter(|(_, e)| !e)
                .map(|((_, at), _)| *at),
        );
    }
    missing
}

/// Redis killed with SIGKILL while events are published, with
/// `appendfsync everysec` (Redis's default with append-only on) and with
/// `appendfsync always`: no accepted event is lost in either. Herald
/// answers 202 only after Redis answered the publish script, and Redis
/// writes its append-only file before it answers; `appendfsync` decides
/// only when the kernel is told to put that write on disk, which matters
/// when the machine itself fails (up to about a second lost with
/// `everysec`, nothing with `always`), not when the process dies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_sigkill_loses_no_accepted_event_with_either_fsync_policy() {
    let ca = TestCa::new();
    for fsync in ["everysec", "always"] {
        let mut redis = TestRedis::start_with(&["--appendfsync", fsync]);
        // API only: accepted events stay in Redis, countable.
        let api = HeraldProcess::start(Options::trusting(&redis.url(), &ca, &[]).role("api")).await;
        let org = api.org().await;
        // Wait a moment so that the org itself is on disk in both modes.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let publishing = {
            let (api, org) = ((*api).clone(), org.clone());
            tokio::spawn(async move { publish_until_refused(&api, &org).await })
        };
        tokio::time::sleep(Duration::from_secs(3)).await;
        redis.kill9();
        let killed = Instant::now();
        let accepted = publishing.await.expect("publishing");
        redis.start_again();
        let missing = missing_events(&redis, &org, &accepted).await;
        let oldest_lost = missing.iter().map(|at| killed.duration_since(*at)).max();
        println!(
            "appendfsync {fsync}: {} events accepted, {} lost at the SIGKILL (accepted at most {:?} before it)",
            accepted.len(),
            missing.len(),
            oldest_lost.unwrap_or_default()
        );
        assert!(accepted.len() > 100, "too few events published to tell");
        assert!(
            missing.is_empty(),
            "appendfsync {fsync}: {} accepted events lost, the oldest accepted {oldest_lost:?} before the kill",
            missing.len()
        );
    }
}
