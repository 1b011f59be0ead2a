//! Cursor paging of lists, and batch publishing.

use super::{message, setup, WAIT};
use herald_e2e::barrier::Barrier;
use herald_e2e::herald::Api;
use herald_e2e::receiver::Receiver;
use serde_json::{json, Value};

/// Follows `next_cursor` from `path` with `limit`; returns every id seen, in order.
async fn all_pages(h: &Api, path: &str, limit: usize) -> (Vec<String>, usize) {
    let (mut ids, mut pages, mut cursor) = (Vec::new(), 0, None::<String>);
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            None => format!("{path}{sep}limit={limit}"),
            Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
        };
        let (status, page) = h.call("GET", &url, None).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= limit);
        ids.extend(
            items
                .iter()
                .map(|i| i["id"].as_str().expect("id").to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return (ids, pages),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_page_with_cursors_without_gaps_or_repeats() {
    let (_redis, ca, h) = setup(|_| ()).await;
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let org = h.org().await;
    let mut created = Vec::new();
    for i in 0..7 {
        let hook = h.webhook(&org, json!({"name": format!("w{i}"), "url": receiver.url(), "active": true, "triggers": [{"event": "x"}]})).await;
        created.push(hook["id"].as_str().expect("id").to_string());
    }
    let (ids, pages) = all_pages(&h, &format!("/v1/orgs/{org}/webhooks"), 3).await;
    assert_eq!(pages, 3);
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 7, "no repeats: {ids:?}");
    assert_eq!(ids.first(), created.last(), "newest first");

    for _ in 0..5 {
        h.publish(&org, json!({"type": "x", "data": {}})).await;
    }
    let wh = &created[0];
    h.wait_deliveries(&org, wh, WAIT, |i| {
        i.len() == 5 && i.iter().all(|d| d["status"] == "succeeded")
    })
    .await;
    let (ids, pages) = all_pages(
        &h,
        &format!("/v1/orgs/{org}/webhooks/{wh}/deliveries?status=succeeded"),
        2,
    )
    .await;
    assert_eq!((ids.len(), pages), (5, 3), "{ids:?}");
    let (status, err) = h
        .call(
            "GET",
            &format!("/v1/orgs/{org}/webhooks?cursor=garbage"),
            None,
        )
        .await;
    assert_eq!(status, 400, "{err}");
    let (status, _) = h
        .call("GET", &format!("/v1/orgs/{org}/webhooks?limit=0"), None)
        .await;
    assert_eq!(status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_publish_validates_everything_first_and_is_idempotent() {
    let (_redis, ca, h) = setup(|_| ()).await;
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    let org = h.org().await;
    h.webhook(
        &org,
        json!({"name": "w", "url": receiver.url(), "active": true,
                           "triggers": [{"event": "order.created"}]}),
    )
    .await;
    let mut barrier = Barrier::new(&h, &org, &ca).await;
    let path = format!("/v1/orgs/{org}/events/batch");
    let event = |id: &str| json!({"id": id, "type": "order.created", "data": {"n": id}});

    // One bad event refuses the whole batch, naming it; nothing is stored.
    let bad = json!({"events": [event("b-1"), {"type": "order.created", "data": [1]}]});
    let (status, err) = h.call("POST", &path, Some(bad)).await;
    assert_eq!(status, 400, "{err}");
    assert!(
        message(&err).starts_with("events[1]: `data` must be a JSON object"),
        "{err}"
    );
    let (status, err) = h.call("POST", &path, Some(json!({"events": []}))).await;
    assert_eq!(status, 400, "{err}");
    assert!(message(&err).contains("1 to 1000 events"), "{err}");
    let too_many: Vec<Value> = (0..1001).map(|i| event(&format!("m-{i}"))).collect();
    let (status, err) = h
        .call("POST", &path, Some(json!({"events": too_many})))
        .await;
    assert_eq!(status, 400, "{err}");
    assert!(message(&err).contains("it holds 1001"), "{err}");
    let (status, err) = h
        .call(
            "POST",
            "/v1/orgs/org_missing/events/batch",
            Some(json!({"events": [event("x")]})),
        )
        .await;
    assert_eq!(status, 404, "{err}");

    // A good batch: answers in order, one delivery each; repeating it enqueues nothing.
    let good =
        json!({"events": [event("b-1"), event("b-2"), {"type": "order.created", "data": {}}]});
    let (status, first) = h.call("POST", &path, Some(good.clone())).await;
    assert_eq!(status, 202, "{first}");
    let answers = first["events"].as_array().expect("events");
    assert_eq!(answers.len(), 3);
    assert_eq!(answers[0], json!({"id": "b-1", "deliveries": 1}));
    assert_eq!(answers[1], json!({"id": "b-2", "deliveries": 1}));
    assert!(answers[2]["id"]
        .as_str()
        .is_some_and(|id| id.starts_with("evt_")));
    let got = receiver.wait_for(3, WAIT).await;
    let (status, again) = h
        .call(
            "POST",
            &path,
            Some(json!({"events": [event("b-1"), event("b-2")]})),
        )
        .await;
    assert_eq!(status, 202, "{again}");
    assert_eq!(
        again["events"],
        json!([{"id": "b-1", "deliveries": 1}, {"id": "b-2", "deliveries": 1}])
    );
    // Anything the repeat enqueued would be queued before this sentinel.
    barrier.pass(&h, WAIT).await;
    assert_eq!(
        receiver.received().len(),
        3,
        "a repeated batch sends nothing: {got:?}"
    );
    let mut ids: Vec<String> = got
        .iter()
        .map(|r| r.json()["data"]["n"].as_str().unwrap_or("none").to_string())
        .collect();
    ids.sort();
    assert_eq!(ids, ["b-1", "b-2", "none"]);
}
