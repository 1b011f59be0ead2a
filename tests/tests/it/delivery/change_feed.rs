//! The webhook change feed across processes.

use super::WAIT;
use herald_e2e::backend::TestBackend;
use herald_e2e::herald::{HeraldProcess, Options};
use herald_e2e::receiver::Receiver;
use herald_e2e::tls::TestCa;
use serde_json::json;

/// Webhook configs are cached by every process; a change made through one
/// process (here the API) must reach the cache of another (the worker) at
/// once through the change feed, not after the cache's TTL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_through_one_process_applies_at_once_in_another() {
    let (redis, ca) = (TestBackend::start(), TestCa::new());
    let (first, second) = (
        Receiver::ok(Some(ca.server.clone())).await,
        Receiver::ok(Some(ca.server.clone())).await,
    );
    let api = HeraldProcess::start(Options::trusting(&redis, &ca, &[]).role("api")).await;
    let _worker = HeraldProcess::start(Options::trusting(&redis, &ca, &[]).role("worker")).await;
    let org = api.org().await;
    let hook = api
        .webhook(
            &org,
            json!({"name": "w", "url": first.url(), "active": true, "triggers": [{"event": "x"}]}),
        )
        .await;
    api.publish(&org, json!({"type": "x", "data": {"n": 1}}))
        .await;
    first.wait_for(1, WAIT).await; // the worker now holds the webhook in its cache

    let (status, updated) = api
        .call(
            "PATCH",
            &format!(
                "/v1/orgs/{org}/webhooks/{}",
                hook["id"].as_str().expect("id")
            ),
            Some(json!({"url": second.url()})),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    api.publish(&org, json!({"type": "x", "data": {"n": 2}}))
        .await;
    let got = second.wait_for(1, WAIT).await;
    assert_eq!(got[0].json()["data"]["n"], 2);
    assert_eq!(first.received().len(), 1, "nothing more to the old URL");
}
