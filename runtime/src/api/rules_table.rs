//! The input-rule table, through HTTP and without Redis: requests go
//! through the real extractors (content type, JSON, size, unknown fields)
//! and the real rules ([`crate::event::NewEvent::parse`],
//! [`super::webhooks::input::WebhookInput::check`]) with
//! `tower::ServiceExt::oneshot`; each row says what status and message
//! the API answers.

use super::events::EventInput;
use super::webhooks::input::WebhookInput;
use super::{ApiError, Body};
use axum::body::Body as HttpBody;
use axum::http::{Request, StatusCode};
use axum::routing::post;
use axum::Router;
use http_body_util::BodyExt;
use std::time::Duration;
use tower::ServiceExt;

fn app() -> Router {
    Router::new()
        .route(
            "/events",
            post(|Body(input): Body<EventInput>| async move {
                input
                    .parse()
                    .map(|_| StatusCode::ACCEPTED)
                    .map_err(ApiError::invalid)
            }),
        )
        .route(
            "/webhooks",
            post(|Body(input): Body<WebhookInput>| async move {
                input
                    .check(Duration::from_secs(60))
                    .map(|_| StatusCode::OK)
                    .map_err(ApiError::invalid)
            }),
        )
        .layer(axum::extract::DefaultBodyLimit::max(4096))
}

async fn answer(path: &str, content_type: Option<&str>, body: &str) -> (u16, String, String) {
    let mut request = Request::post(path);
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    let request = request
        .body(HttpBody::from(body.to_string()))
        .expect("request");
    let response = app().oneshot(request).await.expect("infallible");
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    (
        status,
        json["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        json["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

const JSON: Option<&str> = Some("application/json");

#[tokio::test]
async fn every_rule_answers_its_status_and_says_what_to_fix() {
    let long = "x".repeat(300);
    let big = format!(r#"{{"type":"t","data":{{"pad":"{}"}}}}"#, "y".repeat(5000));
    let rows: Vec<(&str, Option<&str>, String, u16, &str)> = vec![
        // Events.
        ("/events", JSON, r#"{"type":"order.created","data":{"a":1}}"#.into(), 202, ""),
        ("/events", None, r#"{"type":"t","data":{}}"#.into(), 202, ""),
        ("/events", Some("application/x-www-form-urlencoded"), r#"{"type":"t","data":{}}"#.into(), 202, ""),
        ("/events", Some("application/xml"), r#"{"type":"t","data":{}}"#.into(), 415, "Content-Type: application/json"),
        ("/events", JSON, "".into(), 400, "needs a JSON body"),
        ("/events", JSON, "{".into(), 400, "EOF"),
        ("/events", JSON, "[null, null]".into(), 400, "must be a JSON object"),
        ("/events", JSON, r#"{"type":"t","data":[1]}"#.into(), 400, "`data` must be a JSON object"),
        ("/events", JSON, r#"{"type":"t","data":"x"}"#.into(), 400, "`data` must be a JSON object"),
        ("/events", JSON, r#"{"data":{}}"#.into(), 400, "missing field `type`"),
        ("/events", JSON, format!(r#"{{"type":"{long}","data":{{}}}}"#), 400, "`type` must be 1 to 200"),
        ("/events", JSON, r#"{"type":" ","data":{}}"#.into(), 400, "`type` must be 1 to 200"),
        ("/events", JSON, r#"{"id":"a b","type":"t","data":{}}"#.into(), 400, "`id` must be"),
        ("/events", JSON, r#"{"type":"t","data":{},"environment":""}"#.into(), 400, "`environment`"),
        ("/events", JSON, r#"{"type":"t","data":{},"colour":1}"#.into(), 400, "unknown field `colour`"),
        ("/events", JSON, big, 413, "larger than this route accepts"),
        // Webhooks (the rules that need no state).
        ("/webhooks", JSON, r#"{"name":"n","triggers":[{"event":"e"}]}"#.into(), 200, ""),
        ("/webhooks", JSON, r#"{"name":""}"#.into(), 400, "`name` must be 1 to 200"),
        ("/webhooks", JSON, r#"{"triggers":[]}"#.into(), 400, "`triggers` must name at least one"),
        ("/webhooks", JSON, r#"{"triggers":[{"event":"e","filters":[{"path":"data..x","op":"equals","value":1}]}]}"#.into(), 400, "not a dotted path"),
        ("/webhooks", JSON, r#"{"triggers":[{"event":"e","filters":[{"path":"data.x","op":"in","value":1}]}]}"#.into(), 400, "take an array"),
        ("/webhooks", JSON, r#"{"triggers":[{"event":"e","filters":[{"path":"data.x","op":"like","value":1}]}]}"#.into(), 400, "unknown variant `like`"),
        ("/webhooks", JSON, r#"{"headers":{"bad name":"v"}}"#.into(), 400, "`headers`"),
        ("/webhooks", JSON, r#"{"retry":{"schedule":["soon"]}}"#.into(), 400, "`retry.schedule`"),
        ("/webhooks", JSON, r#"{"rate_limit":{"per_second":0}}"#.into(), 400, "`rate_limit.per_second` must be from 1 to 10000, not 0"),
        ("/webhooks", JSON, r#"{"rate_limit":{"per_second":5,"burst":20000}}"#.into(), 400, "`rate_limit.burst` must be from 1 to 10000"),
        ("/webhooks", JSON, r#"{"rate_limit":{"per_second":5,"window":"1s"}}"#.into(), 400, "unknown field `window`"),
        ("/webhooks", JSON, r#"{"rate_limit":{"burst":2}}"#.into(), 400, "missing field `per_second`"),
        ("/webhooks", JSON, r#"{"name":"n","triggers":[{"event":"e"}],"rate_limit":null}"#.into(), 200, ""),
        ("/webhooks", JSON, r#"{"auto_disable":{"no_success_for":"10s"}}"#.into(), 400, "`auto_disable.no_success_for` must be at least 1m"),
        ("/webhooks", JSON, r#"{"auto_disable":{"consecutive_dead":2000000}}"#.into(), 400, "`auto_disable.consecutive_dead` must be at most 1000000"),
        ("/webhooks", JSON, r#"{"auto_disable":{"after":3}}"#.into(), 400, "unknown field `after`"),
        // serde would read these structs from arrays, by position.
        ("/webhooks", JSON, r#"{"auto_disable":[]}"#.into(), 400, "auto_disable: invalid type: sequence, expected a JSON object"),
        ("/webhooks", JSON, r#"{"rate_limit":[5]}"#.into(), 400, "rate_limit: invalid type: sequence, expected a JSON object"),
        ("/webhooks", JSON, r#"{"triggers":[["e"]]}"#.into(), 400, "triggers[0]: invalid type: sequence, expected a JSON object"),
        ("/webhooks", JSON, r#"{"name":"n","triggers":[{"event":"e"}],"auto_disable":{"consecutive_dead":3,"no_success_for":null}}"#.into(), 200, ""),
        ("/webhooks", JSON, r#"{"timeout":"0s"}"#.into(), 400, "`timeout` must be between"),
        ("/webhooks", JSON, r#"{"timeout":"5m"}"#.into(), 400, "`timeout` must be between"),
        ("/webhooks", JSON, r#"{"auth":{"type":"basic","username":"u"}}"#.into(), 400, "missing field `password`"),
        ("/webhooks", JSON, r#"{"signature":"md5"}"#.into(), 400, "unknown variant `md5`"),
        ("/webhooks", JSON, r#"{"secret":"x"}"#.into(), 400, "unknown field `secret`"),
        ("/webhooks", JSON, r#"{"metadata":[null]}"#.into(), 400, "`metadata` must be a JSON object"),
    ];
    for (path, content_type, body, status, message) in rows {
        let (got, code, text) = answer(path, content_type, &body).await;
        let shown = &body[..body.len().min(80)];
        assert_eq!(got, status, "{path} {shown}: {code} {text}");
        assert!(
            text.contains(message),
            "{path} {shown}: {text:?} should say {message:?}"
        );
        if status >= 400 {
            assert!(
                !code.is_empty(),
                "{path} {shown}: a 4xx carries the error body"
            );
        }
    }
}
