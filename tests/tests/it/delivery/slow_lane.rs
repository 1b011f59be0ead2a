//! Receivers that hang until their timeout do not take the places of
//! healthy ones (the slow lane): with 8 main places and 10 webhooks whose
//! receiver hangs, a healthy webhook's 100 deliveries all arrive before any
//! hanging attempt has ended; a slow webhook has at most 2 attempts in
//! flight, its other deliveries held without an attempt counted; once the
//! receiver answers again, every held delivery goes out.

use super::WAIT;
use herald::config::Settings;
use herald::serve::Role;
use herald_e2e::herald::{trusting_settings, HeraldInProcess};
use herald_e2e::receiver::Receiver;
use herald_e2e::redis::TestRedis;
use herald_e2e::tls::TestCa;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Hanging webhooks, and events published to each.
const HANGING: usize = 10;
const EACH: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hanging_receivers_do_not_take_the_places_of_healthy_ones() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let herald = HeraldInProcess::start(
        Settings {
            allow_http: true,
            worker_concurrency: 8,
            slow_lane_concurrency: 1000,
            slow_after: Duration::from_millis(500),
            ..trusting_settings(&redis.url(), &ca)
        },
        Role::All,
    )
    .await;
    let org = herald.org().await;
    // One receiver: `/hang/…` hangs (far past the webhooks' timeout) until
    // `healed`, then answers at once like `/ok`.
    let healed = Arc::new(AtomicBool::new(false));
    let cured = healed.clone();
    let recv = Receiver::start(
        None,
        Arc::new(move |_, r| {
            let hang = r.path.starts_with("/hang") && !cured.load(Ordering::SeqCst);
            let delay = if hang {
                Duration::from_secs(600)
            } else {
                Duration::ZERO
            };
            (200, vec![], delay)
        }),
    )
    .await;
    let base = format!("http://127.0.0.1:{}", recv.addr().port());
    let mut hanging = Vec::new();
    for i in 0..HANGING {
        let hook = herald
            .webhook(&org, json!({"name": format!("hang{i}"), "url": format!("{base}/hang/{i}"), "active": true,
                                  "timeout": "30s", "triggers": [{"event": "slow.thing"}], "retry": {"schedule": ["1s"]}}))
            .await;
        hanging.push(hook["id"].as_str().expect("id").to_string());
    }
    let healthy = herald
        .webhook(
            &org,
            json!({"name": "ok", "url": format!("{base}/ok"), "active": true,
                              "triggers": [{"event": "order.created"}]}),
        )
        .await;
    let healthy = healthy["id"].as_str().expect("id").to_string();

    for _ in 0..EACH {
        herald
            .publish(&org, json!({"type": "slow.thing", "data": {}}))
            .await;
    }
    // Hanging attempts are in flight: the main lane's 8 places were full
    // of them before the slow lane took them over.
    recv.wait_for(HANGING, WAIT).await;
    herald.publish_numbered(&org, "order.created", 100, 4).await;
    let ok = |r: &Vec<herald_e2e::receiver::Received>| r.iter().filter(|r| r.path == "/ok").count();
    let deadline = tokio::time::Instant::now() + WAIT;
    while ok(&recv.received()) < 100 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "healthy deliveries blocked behind hanging ones: {} arrived, {} hanging requests",
            ok(&recv.received()),
            recv.received().len() - ok(&recv.received())
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // No hanging attempt has ended yet (their timeout is 30 s): the healthy
    // ones did not wait for a hanging one to give its place back.
    for wh in &hanging {
        for d in herald.deliveries(&org, wh).await {
            assert_eq!(d["attempts"], 0, "{d:#}");
            assert_eq!(d["status"], "pending", "{d:#}");
        }
    }
    let hang_requests = recv
        .received()
        .iter()
        .filter(|r| r.path.starts_with("/hang"))
        .count();
    assert!(
        hang_requests <= HANGING * 2 + 8,
        "{hang_requests} requests to hanging receivers: at most 2 per slow webhook, and the 8 main places before they were known slow"
    );
    let (_, metrics) = herald.call("GET", "/metrics", None).await;
    let metrics = metrics.as_str().unwrap_or_default().to_string();
    let held: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("herald_deliveries_held_total "))
        .and_then(|v| v.trim().parse().ok())
        .expect("herald_deliveries_held_total");
    assert!(
        held >= 1.0,
        "deliveries past 2 per slow webhook are held:\n{metrics}"
    );
    assert!(metrics.contains("herald_slow_lane_in_flight"), "{metrics}");

    // The receiver answers again: the hung attempts end at their timeout,
    // their retries answer in time, and everything held goes out.
    let hung = recv
        .received()
        .iter()
        .filter(|r| r.path.starts_with("/hang"))
        .count();
    healed.store(true, Ordering::SeqCst);
    let mut attempts = 0;
    for wh in &hanging {
        let items = herald
            .wait_deliveries(&org, wh, WAIT + Duration::from_secs(60), |items| {
                items.len() == EACH && items.iter().all(|d| d["status"] == "succeeded")
            })
            .await;
        attempts += items
            .iter()
            .map(|d| d["attempts"].as_u64().unwrap_or(0) as usize)
            .sum::<usize>();
    }
    // One successful attempt each, plus one timed-out attempt per request
    // that hung: a held delivery was never attempted while it was held.
    assert_eq!(attempts, HANGING * EACH + hung);
    assert_eq!(herald.succeeded(&org, &healthy).await, 100);
}
