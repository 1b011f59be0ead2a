//! `abusive-plugins` (issue 17, plugins at load), two runs back to back with
//! the same events: 100 webhooks whose plugins behave (the `plugins`
//! scenario's threshold filter and redact transform) fanned out to from
//! each event; then 90 of those beside 10 whose plugins abuse the host
//! (3 loop forever, 3 allocate without bound, 2 panic, 2 return an
//! oversized body; retried after 1 s and 1 s). Reports the throughput to
//! the well-behaved webhooks in both runs, their ratio, CPU and peak RSS,
//! and checks that every well-behaved delivery arrives and that each
//! abusive webhook's attempts fail with their own class and message.

use crate::measure::{cpu_seconds, receiver};
use herald_e2e::herald::HeraldProcess;
use herald_e2e::redis::TestRedis;
use serde_json::json;
use std::time::Duration;

/// Webhooks in all, and how many of them abuse (in the second run).
const WEBHOOKS: usize = 100;
const ABUSIVE: usize = 10;

/// The abusive plugins: (fixture crate, kind, what its attempts must say).
const ABUSE: [(&str, &str, &str); 4] = [
    ("loop-forever", "filters", "deadline exceeded"),
    ("alloc-forever", "filters", "out of memory"),
    ("panic", "filters", "fixture panic"),
    ("oversized-body", "transforms", "output too large"),
];

struct Figures {
    throughput: f64,
    peak_rss: f64,
    herald_cpu: f64,
}

/// Runs both and prints them.
pub(crate) async fn run(events: usize) {
    let events = (events / WEBHOOKS).max(10);
    let good = one(events, 0).await;
    let mixed = one(events, ABUSIVE).await;
    let healthy = WEBHOOKS - ABUSIVE;
    println!("## abusive-plugins");
    println!(
        "{events} events, each to {WEBHOOKS} webhooks with plugins; {healthy} of them measured"
    );
    println!(
        "all well-behaved: {:.0} deliveries/s to the {healthy}, peak RSS {:.0} MiB, herald CPU {:.1} s",
        good.throughput, good.peak_rss, good.herald_cpu
    );
    println!(
        "{ABUSIVE} abusive beside them: {:.0} deliveries/s to the {healthy}, peak RSS {:.0} MiB, herald CPU {:.1} s",
        mixed.throughput, mixed.peak_rss, mixed.herald_cpu
    );
    println!(
        "well-behaved throughput with abusive / without = {:.2}\n",
        mixed.throughput / good.throughput
    );
}

async fn upload(h: &HeraldProcess, name: &str, krate: &str) {
    let wasm = std::fs::read(herald_e2e::plugin_wasm(krate)).expect("plugins built");
    let (status, body) = h
        .call_raw("PUT", &format!("/v1/plugins/{name}/1.0.0"), wasm)
        .await;
    assert_eq!(status, 201, "{body}");
}

async fn one(events: usize, abusive: usize) -> Figures {
    let redis = TestRedis::start();
    let recv = receiver(Duration::ZERO, None, None).await;
    let sink = receiver(Duration::ZERO, None, None).await;
    let h = HeraldProcess::start(crate::options(&redis, "all")).await;
    upload(&h, "threshold", "threshold-filter").await;
    upload(&h, "redact", "redact-transform").await;
    for (krate, _, _) in ABUSE {
        upload(&h, krate, krate).await;
    }
    let org = h.org().await;
    let mut abusers = Vec::new();
    for i in 0..WEBHOOKS {
        let abuse = (i < abusive).then(|| ABUSE[i % ABUSE.len()]);
        let mut hook = json!({"name": format!("w{i}"), "active": true, "triggers": [{"event": "order.created"}],
            "url": format!("http://127.0.0.1:{}/{i}", if abuse.is_some() { sink.port } else { recv.port }),
            "plugins": {
                "filters": [{"plugin": "threshold@1.0.0", "config": {"path": "data.total", "above": 10}}],
                "transforms": [{"plugin": "redact@1.0.0", "config": {"paths": ["data.customer.email"]}}]}});
        if let Some((krate, kind, message)) = abuse {
            hook["plugins"][kind] = json!([{"plugin": format!("{krate}@1.0.0"), "config": {}}]);
            hook["retry"] = json!({"schedule": ["1s", "1s"]});
            let created = h.webhook(&org, hook).await;
            abusers.push((created["id"].as_str().expect("id").to_string(), message));
        } else {
            h.webhook(&org, hook).await;
        }
    }
    let expected = events * (WEBHOOKS - abusive);
    let herald_cpu0 = cpu_seconds(h.pid());
    for _ in 0..events {
        let data = json!({"t": crate::measure::now_us(), "total": 42, "customer": {"email": "a@b.c", "name": "Ada"},
                          "items": [{"sku": "A-1", "qty": 2}, {"sku": "B-7", "qty": 1}]});
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
    let mut seen = std::mem::take(&mut *recv.seen.lock().unwrap_or_else(|p| p.into_inner()));
    seen.arrivals.sort_unstable();
    assert_eq!(
        seen.arrivals.len(),
        expected,
        "every well-behaved delivery arrives"
    );
    let span = match (seen.arrivals.first(), seen.arrivals.last()) {
        (Some(a), Some(b)) if b > a => (b - a) as f64 / 1e6,
        _ => f64::NAN,
    };
    assert_eq!(
        sink.count.load(std::sync::atomic::Ordering::Relaxed),
        0,
        "no abusive delivery was sent"
    );
    for (webhook, message) in &abusers {
        let (status, page) = h
            .call(
                "GET",
                &format!("/v1/orgs/{org}/webhooks/{webhook}/deliveries?limit=1"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{page}");
        let id = page["items"][0]["id"].as_str().expect("a delivery");
        let (_, delivery) = h
            .call("GET", &format!("/v1/orgs/{org}/deliveries/{id}"), None)
            .await;
        for attempt in delivery["attempts"].as_array().into_iter().flatten() {
            assert_eq!(attempt["error"]["class"], "plugin", "{attempt:#}");
            let said = attempt["error"]["message"].as_str().unwrap_or_default();
            assert!(said.contains(message), "{message:?} not in {said:?}");
        }
    }
    Figures {
        throughput: expected as f64 / span,
        peak_rss,
        herald_cpu,
    }
}
