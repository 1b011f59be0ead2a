//! End-to-end benchmark of Herald. Run with (after `bash tests/run.sh --build-only`):
//!
//! ```text
//! cargo run --release -p herald-e2e --bin herald-bench -- [scenario ...] [--events N] [--batch B] [--idle-wait S] [--otlp]
//! ```
//!
//! It starts its own `redis-server`, the real `herald` binary and a local
//! HTTP receiver that answers at once (or as a scenario says) and records
//! arrival times; creates the org and webhooks through the API; publishes
//! events through the API (one per request, or `--batch B` per request to
//! `/events/batch`); and prints the publish rate, delivery throughput
//! (first to last arrival), ingest-to-delivery latency percentiles, Herald's
//! peak RSS and CPU seconds, Redis's CPU seconds, and the rate a bare hyper
//! client reaches against the same receiver (this machine's limit for it).
//! Scenarios: `plain`, `plugins`, `fanout`, `failing`, `slow`, `latency`,
//! `steady` (300 events/s offered: the CPU per event at low load),
//! `ordered` (ordered delivery by `data.k` over 100 keys), `limited` (a
//! webhook rate-limited to 10,000/s: the limiter's cost), `https` and
//! `https-h2` (an HTTPS receiver speaking HTTP/1.1 only, or offering HTTP/2
//! by ALPN) and `drain`
//! (publish first with `--role api`, then measure a `--role worker` process
//! delivering the backlog: delivery without publishing);
//! `cluster` (one redis-server vs a 3-master Redis Cluster, 1 and 2 worker
//! processes, work over 24 orgs) and `memory` (Redis bytes per pending and
//! per kept delivery); `ui-log` (the dashboard's requests against a log of
//! 10,000 deliveries); `hanging` (1,000 healthy webhooks alone, then beside
//! 1,000 whose receivers never answer); `abusive-plugins` (100 webhooks with
//! plugins, then 10 of them with plugins that loop, allocate, panic or
//! answer too much).
//! Every load is bounded in count and time; everything runs on loopback.

use herald_e2e::herald::{HeraldProcess, Options};
use herald_e2e::redis::TestRedis;
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod abusive;
mod cluster;
mod hanging;
mod measure;
mod scenarios;
mod ui_log;
mod usage;

use measure::{bare_hyper, cpu_seconds, now_us, percentile, receiver, redis_command_stats, vm_mib};
use scenarios::{Scenario, Tls};

/// Deliveries Herald counted as dead (from `/metrics`).
async fn dead_count(h: &HeraldProcess) -> usize {
    let (_, metrics) = h.call("GET", "/metrics", None).await;
    metrics
        .as_str()
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("herald_deliveries_total{outcome=\"dead\"} "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map_or(0, |v| v as usize)
}

/// With `--otlp`, the endpoint every Herald of the run exports traces to.
static OTLP_ENDPOINT: std::sync::OnceLock<String> = std::sync::OnceLock::new();

pub(crate) fn options(redis: &TestRedis, role: &str) -> Options {
    let mut env: Vec<(String, String)> = vec![
        ("HERALD_ALLOW_HTTP".into(), "true".into()),
        ("HERALD_ALLOW_PRIVATE_NETS".into(), "127.0.0.0/8".into()),
        ("HERALD_LOG".into(), "warn".into()),
        ("HERALD_WORKER_CONCURRENCY".into(), "1000".into()),
    ];
    // The bench's own `MIMALLOC_*`, `TOKIO_*` and `HERALD_*` variables are
    // passed on (allocator and runtime experiments, settings overridden for a run).
    env.extend(std::env::vars().filter(|(k, _)| {
        ["MIMALLOC_", "TOKIO_", "HERALD_", "OTEL_"]
            .iter()
            .any(|p| k.starts_with(p))
    }));
    if let Some(endpoint) = OTLP_ENDPOINT.get() {
        env.push(("HERALD_OTLP_ENDPOINT".into(), endpoint.clone()));
    }
    Options {
        redis_url: Some(redis.url()),
        env,
        role: Some(role.into()),
    }
}

async fn run(s: &Scenario, batch: usize, idle_wait: Duration) {
    let redis = TestRedis::start();
    // An HTTPS scenario's CA (Herald trusts it); plain ones make none.
    let ca = s.tls.map(|_| herald_e2e::tls::TestCa::new());
    let tls = ca.as_ref().zip(s.tls).map(|(ca, t)| match t {
        Tls::Http1 => ca.server.clone(),
        Tls::Http2 => ca.server_h2(),
    });
    let recv = receiver(s.delay, s.fail_every, tls).await;
    // The bare-hyper baseline speaks plain HTTP/1.1 to a receiver of its own kind.
    let bare_recv = match s.tls {
        Some(_) => Some(receiver(s.delay, None, None).await),
        None => None,
    };
    let mut opts = options(&redis, if s.backlog { "api" } else { "all" });
    if let Some(ca) = &ca {
        let ca_file = ca.ca_file.display().to_string();
        opts.env.push(("HERALD_EXTRA_CA_FILE".into(), ca_file));
    }
    let h = HeraldProcess::start(opts).await;
    if s.plugins {
        for (name, krate) in [
            ("threshold", "threshold-filter"),
            ("redact", "redact-transform"),
        ] {
            let wasm = std::fs::read(herald_e2e::plugin_wasm(krate)).expect("plugins built");
            let (status, body) = h
                .call_raw("PUT", &format!("/v1/plugins/{name}/1.0.0"), wasm)
                .await;
            assert_eq!(status, 201, "{body}");
        }
    }
    let org = h.org().await;
    for i in 0..s.webhooks {
        let url = match s.tls {
            Some(_) => format!("https://localhost:{}/hook", recv.port),
            None => format!("http://127.0.0.1:{}/hook", recv.port),
        };
        let mut hook = json!({"name": format!("w{i}"), "url": url, "active": true,
                              "triggers": [{"event": "order.created"}], "retry": {"schedule": ["1s", "5s"]}});
        if s.ordering_keys.is_some() {
            hook["ordering"] = json!({"key": "data.k"});
        }
        if let Some(rate) = s.rate_limit {
            hook["rate_limit"] = json!({"per_second": rate, "burst": rate});
        }
        if s.plugins {
            hook["plugins"] = json!({
                "filters": [{"plugin": "threshold@1.0.0", "config": {"path": "data.total", "above": 10}}],
                "transforms": [{"plugin": "redact@1.0.0", "config": {"paths": ["data.customer.email"]}}]});
        }
        h.webhook(&org, hook).await;
    }
    let expected = s.events * s.webhooks;
    let (herald_cpu0, redis_cpu0) = (cpu_seconds(h.pid()), cpu_seconds(redis.pid()));
    let h = Arc::new(h);
    let publishers = 32;
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..publishers)
        .map(|_| {
            let (h, org, next) = (h.clone(), org.clone(), next.clone());
            let (events, rate, batch) = (s.events as u64, s.rate, batch as u64);
            let keys = s.ordering_keys.unwrap_or(1);
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(batch, Ordering::Relaxed);
                    if i >= events {
                        return;
                    }
                    if let Some(rate) = rate {
                        let due = started + Duration::from_secs_f64(i as f64 / rate);
                        tokio::time::sleep_until(due.into()).await;
                    }
                    let event = || {
                        let data = json!({"t": now_us(), "k": i % keys, "total": 42, "customer": {"email": "a@b.c", "name": "Ada"},
                                          "items": [{"sku": "A-1", "qty": 2}, {"sku": "B-7", "qty": 1}]});
                        json!({"type": "order.created", "data": data})
                    };
                    let (status, body) = if batch == 1 {
                        h.call("POST", &format!("/v1/orgs/{org}/events"), Some(event())).await
                    } else {
                        let n = batch.min(events - i);
                        let events: Vec<_> = (0..n).map(|_| event()).collect();
                        h.call("POST", &format!("/v1/orgs/{org}/events/batch"), Some(json!({"events": events}))).await
                    };
                    assert_eq!(status, 202, "{body}");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("publisher");
    }
    let publish_secs = started.elapsed().as_secs_f64();
    // In a backlog run the worker starts now; its CPU is Herald's delivery cost alone.
    let worker = if s.backlog {
        let redis_cpu0 = cpu_seconds(redis.pid());
        Some((
            HeraldProcess::start(options(&redis, "worker")).await,
            redis_cpu0,
        ))
    } else {
        None
    };
    let (pid, herald_cpu0, redis_cpu0) = match &worker {
        Some((w, redis_cpu0)) => (w.pid(), 0.0, *redis_cpu0),
        None => (h.pid(), herald_cpu0, redis_cpu0),
    };
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut peak_rss: f64 = 0.0;
    // Done when every delivery arrived, or (failing receivers) arrived or went dead.
    loop {
        let arrived = recv.arrived();
        let dead = if s.fail_every.is_some() {
            dead_count(&h).await
        } else {
            0
        };
        if arrived + dead >= expected || Instant::now() >= deadline {
            break;
        }
        peak_rss = peak_rss.max(vm_mib(pid, "VmRSS:"));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let peak_rss = peak_rss.max(vm_mib(pid, "VmHWM:"));
    let (herald_cpu, redis_cpu) = (
        cpu_seconds(pid) - herald_cpu0,
        cpu_seconds(redis.pid()) - redis_cpu0,
    );
    let mut seen = std::mem::take(&mut *recv.seen.lock().unwrap_or_else(|p| p.into_inner()));
    seen.arrivals.sort_unstable();
    seen.latencies.sort_unstable();
    let delivered = seen.arrivals.len();
    let span = match (seen.arrivals.first(), seen.arrivals.last()) {
        (Some(a), Some(b)) if b > a => (b - a) as f64 / 1e6,
        _ => f64::NAN,
    };
    let requests = recv.count.load(Ordering::Relaxed);
    tokio::time::sleep(idle_wait).await;
    let idle_rss = vm_mib(pid, "VmRSS:");
    let (idle_anon, idle_file) = (vm_mib(pid, "RssAnon:"), vm_mib(pid, "RssFile:"));
    // As many in flight as Herald may have when the receiver is slow (so the
    // ratio compares like with like); 256 is plenty for a receiver that answers at once.
    let in_flight = if s.delay.is_zero() { 256 } else { 1000 };
    let bare_port = bare_recv.as_ref().map_or(recv.port, |r| r.port);
    let bare = bare_hyper(bare_port, 20_000.min(expected.max(1000)), in_flight).await;
    let throughput = delivered as f64 / span;
    let redis_stats = redis_command_stats(&redis.url()).await;
    println!("## {}", s.name);
    println!("events {} × webhooks {} = {expected} deliveries; delivered {delivered} (receiver saw {requests} requests)", s.events, s.webhooks);
    println!(
        "publish rate accepted: {:.0} events/s ({} publishers, {}{})",
        s.events as f64 / publish_secs,
        publishers,
        if batch == 1 {
            "one event per request".to_string()
        } else {
            format!("{batch} events per request")
        },
        s.rate
            .map_or(String::new(), |r| format!(", offered {r:.0}/s"))
    );
    println!("delivery throughput (first to last arrival): {throughput:.0} deliveries/s");
    println!(
        "ingest-to-delivery latency ms: p50 {:.1} p95 {:.1} p99 {:.1} max {:.1}",
        percentile(&seen.latencies, 0.5),
        percentile(&seen.latencies, 0.95),
        percentile(&seen.latencies, 0.99),
        percentile(&seen.latencies, 1.0)
    );
    println!(
        "CPU per delivered event: herald {:.0} µs, redis {:.0} µs",
        herald_cpu / delivered.max(1) as f64 * 1e6,
        redis_cpu / delivered.max(1) as f64 * 1e6
    );
    println!("herald: peak RSS {peak_rss:.0} MiB, idle RSS {}s after {idle_rss:.0} MiB (anonymous {idle_anon:.0}, file-backed {idle_file:.0}), CPU {herald_cpu:.1} s; redis CPU {redis_cpu:.1} s", idle_wait.as_secs());
    println!("redis time by command (whole run): {redis_stats}");
    println!(
        "bare hyper client → same receiver: {bare:.0} requests/s; herald / bare = {:.2}\n",
        throughput / bare
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{}", usage::USAGE);
        return;
    }
    let events = args
        .iter()
        .position(|a| a == "--events")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000usize);
    let batch = args
        .iter()
        .position(|a| a == "--batch")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1usize)
        .clamp(1, 1000);
    let latency_rate = args
        .iter()
        .position(|a| a == "--rate")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse::<f64>().ok())
        .filter(|r| *r > 0.0)
        .unwrap_or(2000.0);
    let idle_wait = Duration::from_secs(
        args.iter()
            .position(|a| a == "--idle-wait")
            .and_then(|i| args.get(i + 1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(2u64),
    );
    // The sink must outlive every scenario's Herald.
    let sink = if args.iter().any(|a| a == "--otlp") {
        let sink = herald_e2e::otlp::Collector::discarding().await;
        let _ = OTLP_ENDPOINT.set(sink.url());
        Some(sink)
    } else {
        None
    };
    let chosen: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with("--") && a.parse::<usize>().is_err())
        .map(String::as_str)
        .collect();
    let all = scenarios::all(events, latency_rate);
    for s in all
        .iter()
        .filter(|s| chosen.is_empty() || chosen.contains(&s.name))
    {
        run(s, batch, idle_wait).await;
    }
    if chosen.contains(&"cluster") {
        for workers in [1, 2] {
            cluster::run(false, workers, events).await;
            cluster::run(true, workers, events).await;
        }
    }
    if chosen.contains(&"memory") {
        cluster::memory(events).await;
    }
    if chosen.contains(&"abusive-plugins") {
        abusive::run(events).await;
    }
    if chosen.contains(&"hanging") {
        hanging::run(events).await;
    }
    if chosen.contains(&"ui-log") {
        ui_log::run().await;
    }
    if let Some(sink) = sink {
        println!("OTLP: {} export requests received", sink.exports());
    }
}
