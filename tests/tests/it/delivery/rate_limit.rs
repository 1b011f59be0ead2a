//! A per-webhook rate limit holds across worker processes: three worker
//! processes share 1,000 events of a webhook limited to 20 requests per
//! second; after the first second the receiver never sees more than 22 in
//! any one-second window, every event arrives once, and every delivery
//! took one attempt (waiting is not an attempt). An unlimited webhook on the same events is served
//! meanwhile, not behind the limited one.

use herald_e2e::herald::{HeraldProcess, Options};
use herald_e2e::receiver::{Received, Receiver};
use herald_e2e::redis::TestRedis;
use herald_e2e::tls::TestCa;
use serde_json::json;
use std::collections::HashSet;
use std::time::Duration;

const EVENTS: usize = 1000;
const PER_SECOND: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_holds_across_three_worker_processes() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let options = Options::trusting(&redis, &ca, &[]);
    let api = HeraldProcess::start(options.clone().role("api")).await;
    let org = api.org().await;
    let hook = |path: &str, extra: serde_json::Value| {
        let body = json!({"name": path, "url": format!("{}/{path}", receiver.url()),
            "active": true, "triggers": [{"event": "x"}]});
        super::with_fields(body, extra)
    };
    let limited = api
        .webhook(
            &org,
            hook("limited", json!({"rate_limit": {"per_second": PER_SECOND}})),
        )
        .await;
    assert_eq!(
        limited["rate_limit"],
        json!({"per_second": PER_SECOND, "burst": 1}),
        "{limited:#}"
    );
    let free = api.webhook(&org, hook("free", json!({}))).await;
    let (limited, free) = (
        limited["id"].as_str().expect("id"),
        free["id"].as_str().expect("id"),
    );
    api.publish_numbered(&org, "x", EVENTS, 8).await;
    let worker = options.role("worker");
    let _workers = [
        HeraldProcess::start(worker.clone()).await,
        HeraldProcess::start(worker.clone()).await,
        HeraldProcess::start(worker).await,
    ];

    // 1,000 at 20/s take 50 s; allow three times that on a busy machine.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    let mut free_done_at = None;
    loop {
        let got = receiver.received();
        let on = |p: &str| got.iter().filter(|r| r.path.ends_with(p)).count();
        let (limited_n, free_n) = (on("/limited"), on("/free"));
        if free_done_at.is_none() && free_n == EVENTS {
            free_done_at = Some(limited_n);
        }
        if limited_n >= EVENTS && free_n >= EVENTS {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{limited_n} limited and {free_n} free deliveries arrived"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The unlimited webhook did not wait for the limited one.
    let free_done_at = free_done_at.expect("free done");
    assert!(
        free_done_at < EVENTS / 2,
        "the free webhook finished only after {free_done_at} limited deliveries"
    );

    let got: Vec<Received> = receiver
        .received()
        .into_iter()
        .filter(|r| r.path.ends_with("/limited"))
        .collect();
    let ids: HashSet<String> = got
        .iter()
        .filter_map(|r| r.json()["id"].as_str().map(String::from))
        .collect();
    assert_eq!((got.len(), ids.len()), (EVENTS, EVENTS), "each event once");
    let mut times: Vec<_> = got.iter().map(|r| r.at).collect();
    times.sort();
    // Windows from the second second on ("after the burst": the first
    // second also carries the start of three processes and the free flood).
    let (busiest, at) = times
        .iter()
        .enumerate()
        .filter(|(_, t)| t.duration_since(times[0]) >= Duration::from_secs(1))
        .map(|(i, t)| {
            let n = times[i..]
                .iter()
                .take_while(|u| u.duration_since(*t) < Duration::from_secs(1))
                .count();
            (n, t.duration_since(times[0]))
        })
        .max()
        .unwrap_or_default();
    let span = times[EVENTS - 1].duration_since(times[0]);
    eprintln!("rate limit: busiest second {busiest} (from {at:?}), {EVENTS} in {span:?}");
    assert!(
        busiest <= PER_SECOND * 11 / 10,
        "{busiest} requests in one second, the limit is {PER_SECOND}/s"
    );

    // Every delivery succeeded with one attempt: waiting was not an attempt.
    while api.succeeded(&org, limited).await < EVENTS {
        assert!(tokio::time::Instant::now() < deadline, "outcomes unwritten");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let all = api.all_deliveries(&org, limited, "").await;
    for d in &all {
        assert_eq!(d["status"], "succeeded", "{d:#}");
        assert_eq!(d["attempts"], 1, "{d:#}");
    }
    assert_eq!(all.len(), EVENTS);
    assert_eq!(api.succeeded(&org, free).await, EVENTS);

    // A PATCH without the field keeps the limit; `null` removes it.
    let path = format!("/v1/orgs/{org}/webhooks/{limited}");
    let (status, kept) = api
        .call("PATCH", &path, Some(json!({"description": "limited"})))
        .await;
    assert_eq!(
        (status, &kept["rate_limit"]["per_second"]),
        (200, &json!(PER_SECOND)),
        "{kept}"
    );
    let (status, removed) = api
        .call("PATCH", &path, Some(json!({"rate_limit": null})))
        .await;
    assert_eq!(
        (status, &removed["rate_limit"]),
        (200, &json!(null)),
        "{removed}"
    );
}
