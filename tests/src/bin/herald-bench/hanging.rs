//! `hanging` (issue 17, receivers at load), three runs back to back with
//! the same events: 1,000 healthy webhooks alone; the same beside 1,000
//! more healthy webhooks subscribed to the same events (all healthy); the
//! same beside 1,000 webhooks whose receivers accept the request and never
//! answer (each attempt ends at the webhook's 10 s timeout). Reports the
//! throughput to the first 1,000 (first to last arrival) in each run, the
//! ratios, Herald's peak RSS and CPU and Redis's CPU; the hanging run also
//! how many attempts reached the hanging receivers and how many
//! deliveries were held.

use crate::measure::{cpu_seconds, receiver};
use herald_e2e::herald::HeraldProcess;
use herald_e2e::redis::TestRedis;
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// Webhooks of each kind.
const WEBHOOKS: usize = 1000;

struct Figures {
    throughput: f64,
    peak_rss: f64,
    hanging_requests: u64,
    held: f64,
    herald_cpu: f64,
    redis_cpu: f64,
}

/// Runs both halves and prints them.
pub(crate) async fn run(events: usize) {
    let events = (events / WEBHOOKS).max(5);
    let alone = one(events, Beside::Nothing).await;
    let healthy = one(events, Beside::Healthy).await;
    let with = one(events, Beside::Hanging).await;
    println!("## hanging");
    println!(
        "{events} events × {WEBHOOKS} healthy webhooks = {} healthy deliveries per run",
        events * WEBHOOKS
    );
    println!(
        "healthy alone: {:.0} deliveries/s, peak RSS {:.0} MiB, CPU herald {:.1} s, redis {:.1} s",
        alone.throughput, alone.peak_rss, alone.herald_cpu, alone.redis_cpu
    );
    println!(
        "healthy beside {WEBHOOKS} healthy webhooks: {:.0} deliveries/s, peak RSS {:.0} MiB, CPU herald {:.1} s, redis {:.1} s",
        healthy.throughput, healthy.peak_rss, healthy.herald_cpu, healthy.redis_cpu
    );
    println!(
        "healthy beside {WEBHOOKS} hanging webhooks: {:.0} deliveries/s, peak RSS {:.0} MiB, \
         CPU herald {:.1} s, redis {:.1} s; hanging receivers got {} requests, {:.0} deliveries held",
        with.throughput,
        with.peak_rss,
        with.herald_cpu,
        with.redis_cpu,
        with.hanging_requests,
        with.held
    );
    println!(
        "throughput to the healthy 1,000 beside hanging / beside healthy (all healthy) = {:.2}; / alone = {:.2}\n",
        with.throughput / healthy.throughput,
        with.throughput / alone.throughput
    );
}

/// A receiver that reads what it is sent and never answers; counts connections.
async fn hanging_receiver() -> (u16, Arc<AtomicU64>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let count = Arc::new(AtomicU64::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                while matches!(tcp.read(&mut buf).await, Ok(n) if n > 0) {}
            });
        }
    });
    (port, count)
}

/// What the 1,000 measured webhooks share the events with.
#[derive(PartialEq)]
enum Beside {
    Nothing,
    Healthy,
    Hanging,
}

async fn one(events: usize, beside: Beside) -> Figures {
    let redis = TestRedis::start();
    let recv = receiver(Duration::ZERO, None, None).await;
    let other = receiver(Duration::ZERO, None, None).await;
    let (hang_port, hang_count) = hanging_receiver().await;
    let h = HeraldProcess::start(crate::options(&redis, "all")).await;
    let org = h.org().await;
    for i in 0..WEBHOOKS {
        h.webhook(&org, json!({"name": format!("ok{i}"), "url": format!("http://127.0.0.1:{}/ok/{i}", recv.port),
                               "active": true, "triggers": [{"event": "order.created"}]}))
            .await;
        if beside == Beside::Healthy {
            h.webhook(&org, json!({"name": format!("other{i}"), "url": format!("http://127.0.0.1:{}/other/{i}", other.port),
                                   "active": true, "triggers": [{"event": "order.created"}]}))
                .await;
        }
        if beside == Beside::Hanging {
            h.webhook(&org, json!({"name": format!("hang{i}"), "url": format!("http://127.0.0.1:{hang_port}/hang/{i}"),
                                   "active": true, "triggers": [{"event": "order.created"}],
                                   "timeout": "10s", "retry": {"schedule": ["1m"]}}))
                .await;
        }
    }
    let expected = events * WEBHOOKS;
    let (herald_cpu0, redis_cpu0) = (cpu_seconds(h.pid()), cpu_seconds(redis.pid()));
    for _ in 0..events {
        let data = json!({"t": crate::measure::now_us(), "total": 42});
        let (status, body) = h
            .call(
                "POST",
                &format!("/v1/orgs/{org}/events"),
                Some(json!({"type": "order.created", "data": data})),
            )
            .await;
        assert_eq!(status, 202, "{body}");
    }
    let peak_rss = recv
        .wait_arrivals(expected, h.pid(), Duration::from_secs(300))
        .await;
    let herald_cpu = cpu_seconds(h.pid()) - herald_cpu0;
    let redis_cpu = cpu_seconds(redis.pid()) - redis_cpu0;
    let mut seen = std::mem::take(&mut *recv.seen.lock().unwrap_or_else(|p| p.into_inner()));
    seen.arrivals.sort_unstable();
    let span = match (seen.arrivals.first(), seen.arrivals.last()) {
        (Some(a), Some(b)) if b > a => (b - a) as f64 / 1e6,
        _ => f64::NAN,
    };
    assert_eq!(
        seen.arrivals.len(),
        expected,
        "every healthy delivery arrives"
    );
    let (_, metrics) = h.call("GET", "/metrics", None).await;
    let held = metrics
        .as_str()
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("herald_deliveries_held_total "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    Figures {
        throughput: expected as f64 / span,
        peak_rss,
        hanging_requests: hang_count.load(Ordering::Relaxed),
        held,
        herald_cpu,
        redis_cpu,
    }
}
