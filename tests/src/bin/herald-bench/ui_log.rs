//! The `ui-log` scenario: what the dashboard asks of the server for a
//! webhook whose log holds 10,000 deliveries (1 in 50 dead, the rest
//! delivered). It fills the log through the API and a real receiver, signs
//! in as the dashboard does (a session cookie), then times each request
//! the log screen makes, 50 times each, sequentially on loopback: the
//! time from request to the last byte of the answer, which on loopback is
//! the server's time plus well under a millisecond.

use crate::measure::{percentile, receiver};
use herald_e2e::herald::{HeraldProcess, ADMIN_TOKEN};
use herald_e2e::redis::TestRedis;
use serde_json::json;
use std::time::{Duration, Instant};

const LOG_SIZE: usize = 10_000;
const REPEAT: usize = 50;

pub(crate) async fn run() {
    let redis = TestRedis::start();
    let recv = receiver(Duration::ZERO, Some(50), None).await;
    let h = HeraldProcess::start(crate::options(&redis, "all")).await;
    let org = h.org().await;
    let hook = h
        .webhook(
            &org,
            json!({"name": "log", "url": format!("http://127.0.0.1:{}/hook", recv.port), "active": true,
                   "triggers": [{"event": "order.created"}], "retry": {"schedule": []}}),
        )
        .await;
    let id = hook["id"].as_str().expect("id").to_string();
    let started = Instant::now();
    h.publish_numbered(&org, "order.created", LOG_SIZE, 32)
        .await;
    // Every delivery settled (none pending).
    loop {
        let (_, stats) = h
            .call("GET", &format!("/v1/orgs/{org}/webhooks/{id}/stats"), None)
            .await;
        let day = &stats["24h"];
        let settled = day["succeeded"].as_i64().unwrap_or(0) + day["dead"].as_i64().unwrap_or(0);
        if settled as usize >= LOG_SIZE {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the log did not fill: {stats}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (_, headers, _) = h
        .raw(
            "POST",
            "/ui/session",
            &[("content-type", "application/json")],
            Some(json!({"token": ADMIN_TOKEN}).to_string()),
        )
        .await;
    let cookie = headers
        .iter()
        .find(|(n, _)| n == "set-cookie")
        .and_then(|(_, v)| v.split(';').next())
        .expect("session cookie")
        .to_string();
    let log = format!("/v1/orgs/{org}/webhooks/{id}/deliveries");
    // Page 100 (deliveries 4,951 to 5,000): follow the cursors there.
    let mut cursor = String::new();
    for _ in 0..99 {
        let (_, _, page) = h
            .raw(
                "GET",
                &format!("{log}?limit=50{cursor}"),
                &[("cookie", &cookie)],
                None,
            )
            .await;
        cursor = format!(
            "&cursor={}",
            page["next_cursor"].as_str().expect("more pages")
        );
    }
    let (_, _, first) = h
        .raw(
            "GET",
            &format!("{log}?limit=50"),
            &[("cookie", &cookie)],
            None,
        )
        .await;
    let newest = first["items"][0]["created_at"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let delivery = first["items"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let hour_ago = herald::clock::rfc3339_ms(herald::clock::now_ms() - 3_600_000);
    let requests = [
        ("the page (/ui/)", "/ui/".to_string()),
        ("log, first page of 50", format!("{log}?limit=50")),
        ("log, page 100 of 50", format!("{log}?limit=50{cursor}")),
        ("log, first page of 500", format!("{log}?limit=500")),
        (
            "log, status=dead (1 in 50)",
            format!("{log}?limit=50&status=dead"),
        ),
        (
            "log, since/until window",
            format!("{log}?limit=50&since={hour_ago}&until={newest}"),
        ),
        (
            "stats (24 h, 7 d, hourly)",
            format!("/v1/orgs/{org}/webhooks/{id}/stats"),
        ),
        (
            "one delivery with attempts",
            format!("/v1/orgs/{org}/deliveries/{delivery}"),
        ),
    ];
    println!("\n== ui-log: a webhook with {LOG_SIZE} deliveries in its log; {REPEAT} sequential requests each, with the session cookie ==");
    println!(
        "{:<30} {:>9} {:>9} {:>9} {:>7}",
        "request", "p50 ms", "p95 ms", "max ms", "items"
    );
    for (name, path) in requests {
        let mut times = Vec::with_capacity(REPEAT);
        let mut items = 0;
        for _ in 0..REPEAT {
            let t = Instant::now();
            let (status, _, body) = h.raw("GET", &path, &[("cookie", &cookie)], None).await;
            times.push(t.elapsed().as_micros() as u64);
            assert_eq!(status, 200, "{path}: {body}");
            items = body["items"].as_array().map_or(0, Vec::len);
        }
        times.sort_unstable();
        println!(
            "{name:<30} {:>9.2} {:>9.2} {:>9.2} {items:>7}",
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            *times.last().unwrap_or(&0) as f64 / 1000.0
        );
    }
}
