//! Every validation case of the API: a 4xx that says what to fix.

use super::{key, message, register, setup};
use herald_e2e::receiver::Receiver;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_4xx_that_says_what_to_fix() {
    let (_redis, ca, h) = setup(|s| s.max_timeout = std::time::Duration::from_secs(60)).await;
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    register(&h, "threshold", "threshold-filter").await;
    register(&h, "redact", "redact-transform").await;
    let org = h.org().await;
    let url = receiver.url();
    let base = || json!({"name": "w", "url": url, "triggers": [{"event": "order.created"}]});
    let with = |patch: Value| {
        let mut b = base();
        for (k, v) in patch.as_object().expect("object") {
            b[k] = v.clone();
        }
        b
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            with(json!({"url": "http://example.com/x"})),
            "HERALD_ALLOW_HTTP",
        ),
        (
            with(json!({"url": "https://10.1.1.1/x"})),
            "private address",
        ),
        (
            with(
                json!({"triggers": [{"event": "x", "filters": [{"path": "data.a", "op": "in", "value": "paid"}]}]}),
            ),
            "take an array",
        ),
        (
            with(json!({"retry": {"schedule": ["5 parsecs"]}})),
            "retry.schedule",
        ),
        (with(json!({"timeout": "90s"})), "`timeout` must be between"),
        (with(json!({"timeout": "soon"})), "`timeout`"),
        (
            with(json!({"plugins": {"filters": [{"plugin": "nope@1.0.0"}]}})),
            "is not registered",
        ),
        (
            with(
                json!({"plugins": {"filters": [{"plugin": "redact@1.0.0", "config": {"paths": ["a"]}}]}}),
            ),
            "is a transform plugin",
        ),
        (
            with(
                json!({"plugins": {"filters": [{"plugin": "threshold@1.0.0", "config": {"path": "x"}}]}}),
            ),
            "set `above`",
        ),
        (with(json!({"colour": "blue"})), "unknown field `colour`"),
        (with(json!({"triggers": []})), "at least one event type"),
        (json!({"name": "w"}), "are required"),
    ];
    for (body, expect) in cases {
        let (status, err) = h
            .call(
                "POST",
                &format!("/v1/orgs/{org}/webhooks"),
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, 400, "{body} → {err}");
        assert_eq!(err["error"]["code"], "invalid_request");
        assert!(
            message(&err).contains(expect),
            "{body}: expected {expect:?} in {err}"
        );
    }

    // The catalogue restricts triggers and filter paths once it has entries.
    let (status, _) = h.call("PUT", "/v1/event-types/order.created", Some(json!({
        "description": "An order was placed", "example": {"order": {"status": "paid", "total": 10}}, "filterable": ["data.order.status"]}))).await;
    assert_eq!(status, 200);
    let reader = key(&h, &org, &["logs:read"]).await;
    let (status, catalogue) = h.call_as(&reader, "GET", "/v1/event-types", None).await;
    assert_eq!(status, 200, "any key reads the catalogue");
    assert_eq!(catalogue["items"][0]["type"], "order.created");
    assert_eq!(
        catalogue["items"][0]["filterable"],
        json!(["data.order.status"])
    );
    let (status, err) = h
        .call(
            "POST",
            &format!("/v1/orgs/{org}/webhooks"),
            Some(with(json!({"triggers": [{"event": "order.deleted"}]}))),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        message(&err).contains("not in the event-type catalogue"),
        "{err}"
    );
    let (status, err) = h
        .call(
            "POST",
            &format!("/v1/orgs/{org}/webhooks"),
            Some(with(json!({"triggers": [{"event": "order.created",
              "filters": [{"path": "data.order.total", "op": "equals", "value": 1}]}]}))),
        )
        .await;
    assert_eq!(status, 400);
    assert!(message(&err).contains("is not filterable"), "{err}");
    let (status, _) = h
        .call(
            "POST",
            &format!("/v1/orgs/{org}/webhooks"),
            Some(with(json!({"triggers": [{"event": "order.created",
              "filters": [{"path": "data.order.status", "op": "equals", "value": "paid"}]}]}))),
        )
        .await;
    assert_eq!(status, 201);

    // Events: bad bodies, and a payload over the limit is a 413.
    for (body, expect) in [
        (json!({"type": "", "data": {}}), "`type`"),
        (json!({"type": "x", "data": [1]}), "JSON object"),
        (json!({"type": "x"}), "missing field `data`"),
        (
            json!({"type": "x", "data": {}, "extra": 1}),
            "unknown field `extra`",
        ),
    ] {
        let (status, err) = h
            .call(
                "POST",
                &format!("/v1/orgs/{org}/events"),
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        assert!(message(&err).contains(expect), "{body}: {err}");
    }
    let big = json!({"type": "x", "data": {"blob": "x".repeat(1 << 20)}});
    let (status, err) = h
        .call("POST", &format!("/v1/orgs/{org}/events"), Some(big))
        .await;
    assert_eq!(status, 413, "{err}");
    assert_eq!(err["error"]["code"], "payload_too_large");
    let (status, _) = h
        .call(
            "POST",
            &format!("/v1/orgs/{org}/webhooks/wh_nope/replay"),
            Some(json!({"since": "yesterday", "status": "dead"})),
        )
        .await;
    assert_eq!(status, 404);

    // A key without the permission: 403 naming it; no key: 401.
    let reader = key(&h, &org, &["webhooks:read"]).await;
    let (status, err) = h
        .call_as(
            &reader,
            "POST",
            &format!("/v1/orgs/{org}/webhooks"),
            Some(base()),
        )
        .await;
    assert_eq!(status, 403);
    assert!(message(&err).contains("webhooks:write"), "{err}");
    let (status, _) = h
        .call_as(
            "hk_bogus_key",
            "GET",
            &format!("/v1/orgs/{org}/webhooks"),
            None,
        )
        .await;
    assert_eq!(status, 401);
    let (status, _) = h
        .call_as(&reader, "POST", "/v1/orgs", Some(json!({"name": "x"})))
        .await;
    assert_eq!(status, 403);
}
