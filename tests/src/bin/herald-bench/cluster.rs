//! The `cluster` scenarios: the same load on one `redis-server` and on a
//! 3-master Redis Cluster (no replicas: like for like on one machine), with 1 and 2 worker processes (and
//! one API process publishing), many orgs so the work spreads over every
//! shard; and `memory`: what Redis holds per pending delivery and per
//! delivery kept in the log.

use crate::measure::{cpu_seconds, now_us, receiver};
use herald_e2e::backend::{TestBackend, UsesRedis};
use herald_e2e::cluster::TestCluster;
use herald_e2e::herald::{HeraldProcess, Options};
use herald_e2e::redis::TestRedis;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ORGS: usize = 96;

fn options(redis: &TestBackend, role: &str) -> Options {
    let (name, value) = redis.redis_env();
    let mut env: Vec<(String, String)> = vec![
        ("HERALD_ALLOW_HTTP".into(), "true".into()),
        ("HERALD_ALLOW_PRIVATE_NETS".into(), "127.0.0.0/8".into()),
        ("HERALD_LOG".into(), "warn".into()),
        ("HERALD_WORKER_CONCURRENCY".into(), "1000".into()),
    ];
    let redis_url = if name == "HERALD_REDIS_URL" {
        Some(value)
    } else {
        env.push((name.into(), value));
        None
    };
    Options {
        redis_url,
        env,
        role: Some(role.into()),
    }
}

/// The pids of every redis-server of `redis` (for CPU seconds).
fn redis_pids(redis: &TestBackend) -> Vec<u32> {
    match redis {
        TestBackend::Single(r) => vec![r.pid()],
        TestBackend::Cluster(c) => c.pids(),
    }
}

/// Deliveries per master: each org's events go to the master holding its
/// shard's slot (every org gets the same number of events).
fn deliveries_per_master(
    redis: &TestBackend,
    orgs: &[String],
    events: usize,
) -> BTreeMap<u16, usize> {
    let mut out = BTreeMap::new();
    if let TestBackend::Cluster(c) = redis {
        let keys = herald::store::Keys::new(12);
        for org in orgs {
            let slot = herald::store::keys::slot(&keys.queue(keys.shard_of(org)));
            if let Some(m) = c.master_of(slot) {
                *out.entry(m.port).or_default() += events / orgs.len();
            }
        }
    }
    out
}

/// Publishes `events` over `orgs` in batches of 100 from 16 tasks.
async fn publish(api: &HeraldProcess, orgs: &[String], events: usize) -> f64 {
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (api, orgs, next) = ((**api).clone(), orgs.to_vec(), next.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(100, Ordering::Relaxed);
                    if i >= events {
                        return;
                    }
                    let org = &orgs[(i / 100) % orgs.len()];
                    let batch: Vec<_> = (i..(i + 100).min(events))
                        .map(|_| json!({"type": "x", "data": {"t": now_us(), "total": 42}}))
                        .collect();
                    let (status, body) = api
                        .call(
                            "POST",
                            &format!("/v1/orgs/{org}/events/batch"),
                            Some(json!({ "events": batch })),
                        )
                        .await;
                    assert_eq!(status, 202, "{body}");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("publisher");
    }
    started.elapsed().as_secs_f64()
}

/// One run: `events` over [`ORGS`] orgs, an API process and `workers`
/// worker processes on one server or a cluster.
pub(crate) async fn run(cluster: bool, workers: usize, events: usize) {
    let redis = if cluster {
        TestBackend::Cluster(TestCluster::start_with_replicas(false))
    } else {
        TestBackend::Single(TestRedis::start())
    };
    let recv = receiver(Duration::ZERO, None, None).await;
    let api = HeraldProcess::start(options(&redis, "api")).await;
    let mut orgs = Vec::new();
    for i in 0..ORGS {
        let org = api.org().await;
        api.webhook(
            &org,
            json!({"name": format!("w{i}"), "url": format!("http://127.0.0.1:{}/hook", recv.port),
                   "active": true, "triggers": [{"event": "x"}]}),
        )
        .await;
        orgs.push(org);
    }
    let mut started = Vec::new();
    for _ in 0..workers {
        started.push(HeraldProcess::start(options(&redis, "worker")).await);
    }
    let pids = redis_pids(&redis);
    let redis_cpu0: f64 = pids.iter().map(|p| cpu_seconds(*p)).sum();
    let herald_cpu0: f64 =
        started.iter().map(|w| cpu_seconds(w.pid())).sum::<f64>() + cpu_seconds(api.pid());
    let publish_secs = publish(&api, &orgs, events).await;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let arrived = recv
            .seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .arrivals
            .len();
        if arrived >= events || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut seen = std::mem::take(&mut *recv.seen.lock().unwrap_or_else(|p| p.into_inner()));
    seen.arrivals.sort_unstable();
    let span = match (seen.arrivals.first(), seen.arrivals.last()) {
        (Some(a), Some(b)) if b > a => (b - a) as f64 / 1e6,
        _ => f64::NAN,
    };
    let redis_cpu: f64 = pids.iter().map(|p| cpu_seconds(*p)).sum::<f64>() - redis_cpu0;
    let herald_cpu: f64 = started.iter().map(|w| cpu_seconds(w.pid())).sum::<f64>()
        + cpu_seconds(api.pid())
        - herald_cpu0;
    let name = format!(
        "{}, {workers} worker process(es)",
        if cluster {
            "cluster (3 masters)"
        } else {
            "one redis-server"
        }
    );
    println!("## {name}");
    println!(
        "{events} events over {ORGS} orgs; delivered {} ; publish {:.0} events/s; delivery throughput (first to last arrival) {:.0} deliveries/s",
        seen.arrivals.len(),
        events as f64 / publish_secs,
        seen.arrivals.len() as f64 / span
    );
    println!("CPU seconds: herald processes {herald_cpu:.1}, redis servers {redis_cpu:.1}");
    let spread = deliveries_per_master(&redis, &orgs, events);
    if !spread.is_empty() {
        let total: usize = spread.values().sum();
        let shares: Vec<String> = spread
            .values()
            .map(|n| format!("{:.0}%", 100.0 * *n as f64 / total.max(1) as f64))
            .collect();
        let shards: std::collections::BTreeSet<u16> = orgs
            .iter()
            .map(|o| herald::store::Keys::new(12).shard_of(o).0)
            .collect();
        println!(
            "deliveries per master: {} (the orgs fall in {} of 12 shards)",
            shares.join(" / "),
            shards.len()
        );
    }
    println!();
}

/// `INFO memory` `used_memory` of a server, bytes.
fn used_memory(redis: &TestRedis) -> f64 {
    let out = std::process::Command::new("redis-cli")
        .args(["-p", &redis.port().to_string(), "INFO", "memory"])
        .output()
        .expect("redis-cli");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(f64::NAN)
}

/// What one pending delivery and one kept (delivered, logged) delivery
/// cost in Redis memory, with the bench's event (about 60 bytes of data).
pub(crate) async fn memory(events: usize) {
    let redis = TestRedis::start();
    let backend = TestBackend::Single(redis);
    let TestBackend::Single(redis) = &backend else {
        return;
    };
    let recv = receiver(Duration::ZERO, None, None).await;
    let api = HeraldProcess::start(options(&backend, "api")).await;
    let org = api.org().await;
    api.webhook(
        &org,
        json!({"name": "m", "url": format!("http://127.0.0.1:{}/hook", recv.port),
               "active": true, "triggers": [{"event": "x"}]}),
    )
    .await;
    let before = used_memory(redis);
    publish(&api, std::slice::from_ref(&org), events).await;
    let pending = used_memory(redis);
    let _worker = HeraldProcess::start(options(&backend, "worker")).await;
    let deadline = Instant::now() + Duration::from_secs(600);
    while recv.count.load(Ordering::Relaxed) < events as u64 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Outcomes are written in groups just after the sends.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let kept = used_memory(redis);
    println!("## memory");
    println!(
        "{events} events, one webhook: Redis used_memory {:.1} MiB before, {:.1} MiB with all pending, {:.1} MiB all delivered and kept",
        before / 1048576.0,
        pending / 1048576.0,
        kept / 1048576.0
    );
    println!(
        "per pending delivery (event, delivery, log entry, queue entry): {:.0} bytes; per delivered delivery kept for retention (event, delivery with its attempt, log entry): {:.0} bytes\n",
        (pending - before) / events as f64,
        (kept - before) / events as f64
    );
}
