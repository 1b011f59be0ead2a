//! Herald on a Redis Cluster of local `redis-server`s (3 masters, 3
//! replicas, [`TestCluster`]): the queue shards spread over every master,
//! several worker processes share the work, and a master killed or slots
//! moved under load lose nothing Herald accepted. The core end-to-end tests
//! also run on a cluster (`HERALD_TEST_REDIS=cluster`, see `tests/run.sh`).

use herald::store::keys::{slot, Keys};
use herald_e2e::backend::TestBackend;
use herald_e2e::cluster::TestCluster;
use herald_e2e::herald::{Api, HeraldProcess, Options, ADMIN_TOKEN};
use herald_e2e::receiver::{Received, Receiver};
use herald_e2e::tls::TestCa;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// How many requests each (webhook, event) pair took.
fn sends(got: &[Received]) -> HashMap<(String, String), usize> {
    let mut counts = HashMap::new();
    for r in got {
        let id = r.json()["id"].as_str().unwrap_or_default().to_string();
        let hook = r.path.clone();
        *counts.entry((hook, id)).or_insert(0) += 1;
    }
    counts
}

/// Publishes `e{i}` for `i` in `range` in batches of 100, each batch
/// retried until accepted (ids make a retry idempotent), as a producer
/// would while a slot has no master; returns how many tries failed.
async fn publish_until_accepted(api: Api, org: String, range: std::ops::Range<usize>) -> usize {
    publish_paced(api, org, range, Duration::ZERO).await
}

/// The same, pausing `pause` after each accepted batch.
async fn publish_paced(
    api: Api,
    org: String,
    range: std::ops::Range<usize>,
    pause: Duration,
) -> usize {
    let mut failed = 0;
    let ids: Vec<usize> = range.collect();
    let deadline = Instant::now() + Duration::from_secs(300);
    for chunk in ids.chunks(100) {
        let events: Vec<_> = chunk
            .iter()
            .map(|i| json!({"id": format!("e{i}"), "type": "x", "data": {"i": i}}))
            .collect();
        let body = json!({ "events": events }).to_string();
        loop {
            let answer = api
                .try_call_as(
                    ADMIN_TOKEN,
                    "POST",
                    &format!("/v1/orgs/{org}/events/batch"),
                    Some(body.clone().into()),
                )
                .await;
            match answer {
                Ok((202, _)) => {
                    tokio::time::sleep(pause).await;
                    break;
                }
                Ok((503, _)) | Ok((500, _)) | Err(_) => {
                    assert!(
                        Instant::now() < deadline,
                        "a batch was refused for 300 s: {answer:?}"
                    );
                    failed += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Ok((status, body)) => panic!("publishing a batch: {status} {body}"),
            }
        }
    }
    failed
}

/// One publisher task per org, each publishing `e0`…`e{events-1}` with
/// `pause` after each batch; each answers how many tries were refused.
fn spawn_publishers(
    api: &Api,
    orgs: &[(String, String)],
    events: usize,
    pause: Duration,
) -> Vec<tokio::task::JoinHandle<usize>> {
    orgs.iter()
        .map(|(org, _)| tokio::spawn(publish_paced(api.clone(), org.clone(), 0..events, pause)))
        .collect()
}

/// Herald processes on `cluster`: one API and `workers` workers.
async fn heralds(
    cluster: &TestBackend,
    ca: &TestCa,
    workers: usize,
) -> (HeraldProcess, Vec<HeraldProcess>) {
    heralds_with(cluster, ca, workers, &[]).await
}

/// The same, with `api_env` for the API process.
async fn heralds_with(
    cluster: &TestBackend,
    ca: &TestCa,
    workers: usize,
    api_env: &[(&str, &str)],
) -> (HeraldProcess, Vec<HeraldProcess>) {
    let opts = |role, extra: &[(&str, &str)]| {
        let mut env = vec![("HERALD_WORKER_CONCURRENCY", "256")];
        env.extend_from_slice(extra);
        Options::trusting(cluster, ca, &env).role(role)
    };
    let api = HeraldProcess::start(opts("api", api_env)).await;
    let mut started = Vec::new();
    for _ in 0..workers {
        started.push(HeraldProcess::start(opts("worker", &[])).await);
    }
    (api, started)
}

/// Orgs, each with one webhook to `receiver` for `x`; (org, webhook path).
async fn orgs_with_hooks(api: &Api, receiver: &Receiver, n: usize) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for i in 0..n {
        let org = api.org().await;
        // The receiver's URL ends in /hook: each org's webhook gets /hook<i>.
        let url = format!("{}{i}", receiver.url());
        api.webhook(
            &org,
            json!({"name": "c", "url": url, "active": true, "triggers": [{"event": "x"}]}),
        )
        .await;
        out.push((org, format!("/hook{i}")));
    }
    out
}

/// Waits until every (webhook, event) pair of `orgs` × `events` has
/// arrived; returns the pairs missing at `limit` and the extra sends.
async fn wait_all(
    receiver: &Receiver,
    orgs: &[(String, String)],
    events: usize,
    limit: Duration,
) -> (usize, usize) {
    let expected = orgs.len() * events;
    let deadline = Instant::now() + limit;
    loop {
        let got = sends(&receiver.received());
        let wanted: HashSet<(String, String)> = orgs
            .iter()
            .flat_map(|(_, path)| (0..events).map(move |i| (path.clone(), format!("e{i}"))))
            .collect();
        let arrived = wanted.iter().filter(|k| got.contains_key(*k)).count();
        let extra: usize = got.values().map(|n| n - 1).sum();
        if arrived == expected || Instant::now() > deadline {
            return (expected - arrived, extra);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_shards_spread_over_every_master() {
    let (backend, ca) = (TestBackend::Cluster(TestCluster::start()), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let (api, workers) = heralds(&backend, &ca, 1).await;
    let TestBackend::Cluster(cluster) = &backend else {
        unreachable!("started as a cluster")
    };
    assert!(
        api.log()
            .contains("12 queue shard(s) spread over the cluster's masters"),
        "3 masters × 4 shards by default:\n{}",
        api.log()
    );
    let keys = Keys::new(12);
    let mut per_master: HashMap<u16, usize> = HashMap::new();
    for shard in keys.shards() {
        let queue = keys.queue(shard);
        let master = cluster
            .master_of(slot(&queue))
            .expect("every slot has a master");
        *per_master.entry(master.port).or_default() += 1;
        // The worker created the shard's stream and group on that master.
        let deadline = Instant::now() + Duration::from_secs(20);
        while cluster.cli(master.port, &["EXISTS", &queue]).as_deref() != Some("1\n") {
            assert!(
                Instant::now() < deadline,
                "{queue} never appeared on its master"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    println!("queue shards per master: {per_master:?}");
    assert_eq!(per_master.len(), 3, "{per_master:?}");
    assert!(
        per_master.values().all(|n| *n == 4),
        "evenly: {per_master:?}"
    );

    // Orgs land in every shard; all of their events arrive.
    let orgs = orgs_with_hooks(&api, &receiver, 24).await;
    for (org, _) in &orgs {
        publish_until_accepted((*api).clone(), org.clone(), 0..20).await;
    }
    let (missing, _) = wait_all(&receiver, &orgs, 20, Duration::from_secs(60)).await;
    assert_eq!(missing, 0, "{}", workers[0].log());
    let shards_used: HashSet<u16> = orgs.iter().map(|(o, _)| keys.shard_of(o).0).collect();
    assert!(shards_used.len() >= 8, "{shards_used:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_share_the_work_without_double_sends() {
    const EVENTS: usize = 1000;
    let (backend, ca) = (TestBackend::Cluster(TestCluster::start()), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let (api, workers) = heralds(&backend, &ca, 3).await;
    let orgs = orgs_with_hooks(&api, &receiver, 6).await;
    let publishers = spawn_publishers(&api, &orgs, EVENTS, Duration::ZERO);
    for p in publishers {
        p.await.expect("publisher");
    }
    let (missing, extra) = wait_all(&receiver, &orgs, EVENTS, Duration::from_secs(180)).await;
    assert_eq!(missing, 0, "every event arrived");
    assert_eq!(extra, 0, "no worker failed, so nothing was sent twice");
    for (i, w) in workers.iter().enumerate() {
        let (status, text) = w.call("GET", "/metrics", None).await;
        assert_eq!(status, 200);
        let sent = attempts(text.as_str().unwrap_or_default());
        println!("worker {i} sent {sent}");
        assert!(sent > 0.0, "worker {i} took no share:\n{text}");
    }
}

/// Attempts a process made, from its `/metrics` text.
fn attempts(metrics: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with("herald_attempts_total"))
        .filter_map(|l| {
            l.rsplit(' ')
                .next()?
                .trim_end_matches('"')
                .parse::<f64>()
                .ok()
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_master_killed_under_load_loses_nothing_accepted() {
    const EVENTS: usize = 5000;
    const ORGS: usize = 4;
    let (mut backend, ca) = (TestBackend::Cluster(TestCluster::start()), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    // An event is accepted once a replica has it too: a failover cannot lose it.
    let (api, workers) =
        heralds_with(&backend, &ca, 2, &[("HERALD_REDIS_WAIT_REPLICAS", "1")]).await;
    let orgs = orgs_with_hooks(&api, &receiver, ORGS).await;
    // Paced, so that the kill lands while events are still being published.
    let publishers = spawn_publishers(&api, &orgs, EVENTS, Duration::from_millis(100));
    receiver.wait_for(1000, Duration::from_secs(120)).await;
    let TestBackend::Cluster(cluster) = &mut backend else {
        unreachable!("started as a cluster")
    };
    // The master holding the first org's shard, with everything on it.
    let victim = cluster
        .master_of(slot(&Keys::new(12).org(&orgs[0].0)))
        .expect("a master");
    cluster.kill9(victim.port);
    let killed = Instant::now();
    cluster.wait_ok(Duration::from_secs(60));
    println!("replica promoted {:?} after the kill", killed.elapsed());
    // As an operator (or Kubernetes) would: the dead node comes back and
    // rejoins as the new master's replica, so WAIT 1 can be met again.
    cluster.restart_node(victim.port);
    cluster.wait_replicas_linked(Duration::from_secs(60));
    println!(
        "old master back as a replica {:?} after the kill",
        killed.elapsed()
    );
    let mut failed_tries = 0;
    for p in publishers {
        failed_tries += p.await.expect("publisher");
    }
    let (missing, extra) = wait_all(&receiver, &orgs, EVENTS, Duration::from_secs(240)).await;
    println!(
        "{} events accepted; lost {missing}, sent twice {extra}, publish tries refused while the slot had no master: {failed_tries}",
        ORGS * EVENTS
    );
    let warnings = |log: String| {
        log.lines()
            .filter(|l| !l.contains("DEBUG") && !l.contains("INFO"))
            .take(40)
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        missing,
        0,
        "an accepted event was lost\n{}\n{}",
        warnings(workers[0].log()),
        warnings(workers[1].log())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slots_moved_under_load_lose_nothing() {
    const EVENTS: usize = 3000;
    const ORGS: usize = 4;
    let (backend, ca) = (TestBackend::Cluster(TestCluster::start()), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let (api, _workers) = heralds(&backend, &ca, 2).await;
    let orgs = orgs_with_hooks(&api, &receiver, ORGS).await;
    let publishers = spawn_publishers(&api, &orgs, EVENTS, Duration::ZERO);
    receiver
        .wait_for(ORGS * EVENTS / 5, Duration::from_secs(120))
        .await;
    let TestBackend::Cluster(cluster) = &backend else {
        unreachable!("started as a cluster")
    };
    // Move the slots of the first org's shard (and a few thousand around
    // them) to another master while work flows.
    let from = cluster
        .master_of(slot(&Keys::new(12).org(&orgs[0].0)))
        .expect("a master");
    let to = cluster
        .masters()
        .into_iter()
        .find(|m| m.port != from.port)
        .expect("another master");
    let started = Instant::now();
    let out = tokio::process::Command::from(cluster.reshard_command(from.port, to.port, 5461))
        .output()
        .await
        .expect("redis-cli");
    assert!(
        out.status.success(),
        "redis-cli --cluster reshard failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("resharding took {:?}", started.elapsed());
    for p in publishers {
        p.await.expect("publisher");
    }
    let (missing, extra) = wait_all(&receiver, &orgs, EVENTS, Duration::from_secs(240)).await;
    println!(
        "{} events accepted; lost {missing}, sent twice {extra}",
        ORGS * EVENTS
    );
    assert_eq!(missing, 0, "an accepted event was lost");
}
