//! Adaptive throttling and circuit breaking per destination, against real
//! receivers:
//! - a receiver that answers 429 whenever more than 10 requests are in
//!   flight is served at about 10 in flight: a few 429s at each probe of
//!   the limit, no delivery dead;
//! - a receiver down (nothing listening) for 60 s, then back, gets every
//!   delivery with fewer than 5% extra attempts over a healthy run (one
//!   each): the circuit opens after a few failures and the deliveries
//!   behind it wait without burning attempts; a healthy webhook on another
//!   destination is served meanwhile.

use super::herald;
use herald_e2e::receiver::{Received, Receiver};
use herald_e2e::redis::TestRedis;
use herald_e2e::tls::TestCa;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Requests the crowded receiver takes at once.
const ROOM: usize = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_429s_above_10_in_flight_is_served_at_about_10() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    // Each accepted request is answered 50 ms later; one arriving while
    // ROOM are being answered gets a 429 at once.
    let busy: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let (refused, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let answer = {
        let (busy, refused, most) = (busy.clone(), refused.clone(), most.clone());
        Arc::new(move |_: usize, _: &Received| {
            let now = Instant::now();
            let mut busy = busy.lock().unwrap_or_else(|p| p.into_inner());
            busy.retain(|until| *until > now);
            if busy.len() >= ROOM {
                refused.fetch_add(1, Ordering::Relaxed);
                return (429, vec![], Duration::ZERO);
            }
            busy.push(now + Duration::from_millis(50));
            most.fetch_max(busy.len(), Ordering::Relaxed);
            (200, vec![], Duration::from_millis(50))
        })
    };
    let receiver = Receiver::start(Some(ca.server.clone()), answer).await;
    let h = herald(&redis, &ca).await;
    let org = h.org().await;
    let hook = h
        .webhook(
            &org,
            json!({"name": "crowded", "url": receiver.url(), "active": true,
                "triggers": [{"event": "x"}], "retry": {"schedule": vec!["1s"; 10]}}),
        )
        .await;
    let hook = hook["id"].as_str().expect("id");
    const EVENTS: usize = 400;
    h.publish_numbered(&org, "x", EVENTS, 8).await;
    let port = receiver.addr().port();
    let series =
        format!("herald_destination_concurrency_limit{{destination=\"localhost:{port}\"}}");
    let mut throttled_seen = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while h.succeeded(&org, hook).await < EVENTS {
        let (_, metrics) = h.call("GET", "/metrics", None).await;
        throttled_seen |= metrics.as_str().unwrap_or_default().contains(&series);
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {EVENTS} delivered",
            h.succeeded(&org, hook).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let deliveries = h.all_deliveries(&org, hook, "").await;
    assert!(deliveries.iter().all(|d| d["status"] == "succeeded"));
    let refused = refused.load(Ordering::Relaxed);
    // Unthrottled, nearly all 400 would be refused at first.
    assert!(
        refused * 5 < EVENTS,
        "{refused} requests were refused with 429 for {EVENTS} deliveries"
    );
    assert!(
        most.load(Ordering::Relaxed) >= ROOM / 2,
        "it never got near 10"
    );
    assert!(throttled_seen, "no {series} series while throttled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_down_for_60_s_gets_everything_with_under_5_percent_extra_attempts() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    // Nothing listens there yet.
    let down_addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let healthy = Receiver::ok(Some(ca.server.clone())).await;
    let h = herald(&redis, &ca).await;
    let org = h.org().await;
    let hook = |name: &str, url: String| {
        json!({"name": name, "url": url, "active": true, "triggers": [{"event": "x"}],
            "retry": {"schedule": ["1s", "2s", "5s", "10s", "20s", "30s", "30s", "30s"]}})
    };
    let down = h
        .webhook(&org, hook("down", format!("https://{down_addr}/hook")))
        .await;
    let down = down["id"].as_str().expect("id").to_string();
    let up = h.webhook(&org, hook("up", healthy.url())).await;
    let up = up["id"].as_str().expect("id").to_string();

    const EVENTS: usize = 1000;
    let started = Instant::now();
    h.publish_numbered(&org, "x", EVENTS, 8).await;
    // The healthy destination is served while the other is down.
    healthy.wait_for(EVENTS, Duration::from_secs(50)).await;
    assert!(
        started.elapsed() < Duration::from_secs(55),
        "the healthy webhook waited for the one that is down"
    );
    let attempts_while_down: usize = attempts(&h.all_deliveries(&org, &down, "").await);
    tokio::time::sleep(Duration::from_secs(60).saturating_sub(started.elapsed())).await;
    let back = Receiver::start_on(
        down_addr,
        Some(ca.server.clone()),
        Arc::new(|_, _| (200, vec![], Duration::ZERO)),
    )
    .await
    .expect("the port is still free");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    while h.succeeded(&org, &down).await < EVENTS {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {EVENTS} delivered after the receiver came back",
            h.succeeded(&org, &down).await
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let deliveries = h.all_deliveries(&org, &down, "").await;
    let total = attempts(&deliveries);
    assert!(
        total * 100 < EVENTS * 105,
        "{total} attempts for {EVENTS} deliveries ({attempts_while_down} while it was down)"
    );
    assert!(
        attempts_while_down > 0,
        "nothing was tried while it was down"
    );
    assert!(back.received().len() >= EVENTS);
    assert_eq!(h.succeeded(&org, &up).await, EVENTS);
}

/// Attempts made for these deliveries.
fn attempts(deliveries: &[Value]) -> usize {
    deliveries
        .iter()
        .map(|d| d["attempts"].as_u64().unwrap_or(0) as usize)
        .sum()
}
