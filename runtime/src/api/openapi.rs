//! The route table: one list that both registers every API route and
//! generates the OpenAPI 3 document served at `/openapi.json`, so the
//! document always matches the routes served.

use super::{deliveries, event_types, events, keys, orgs, plugins, webhooks};
use crate::app::App;
use axum::response::IntoResponse;
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// One documented route.
#[derive(Debug, Clone, Copy)]
pub struct RouteDoc {
    /// `get`, `post`, `put`, `patch`, `delete`.
    pub method: &'static str,
    /// The path template, axum syntax (`/v1/orgs/{org}`).
    pub path: &'static str,
    /// What it does.
    pub summary: &'static str,
    /// Who may call it.
    pub who: &'static str,
    /// The request body's schema name, if it takes one (`wasm` for raw bytes).
    pub body: Option<&'static str>,
    /// The success status.
    pub ok: u16,
    /// The success body's schema name, if any.
    pub returns: Option<&'static str>,
}

macro_rules! api_routes {
    ($( $method:ident $path:literal => $handler:path, $summary:literal, $who:literal, body $body:expr, $ok:literal $returns:expr; )*) => {
        /// Every API route.
        pub const ROUTES: &[RouteDoc] = &[
            $( RouteDoc { method: stringify!($method), path: $path, summary: $summary, who: $who, body: $body, ok: $ok, returns: $returns }, )*
        ];

        /// Registers every route of [`ROUTES`].
        pub fn routes(router: Router<Arc<App>>) -> Router<Arc<App>> {
            router $( .route($path, axum::routing::$method($handler)) )*
        }
    };
}

api_routes! {
    post "/v1/orgs" => orgs::create, "Create an org", "operator", body Some("NewOrg"), 201 Some("Org");
    get "/v1/orgs" => orgs::list, "List orgs", "operator", body None, 200 Some("List");
    get "/v1/orgs/{org}" => orgs::read, "Read an org", "operator, or a key of the org", body None, 200 Some("Org");
    delete "/v1/orgs/{org}" => orgs::delete, "Delete an org with its webhooks, keys and logs", "operator", body None, 204 None;
    post "/v1/orgs/{org}/api-keys" => keys::create, "Create an API key (shown once)", "operator, keys:write", body Some("NewKey"), 201 Some("CreatedKey");
    get "/v1/orgs/{org}/api-keys" => keys::list, "List API keys (no secrets)", "operator, keys:write", body None, 200 Some("List");
    delete "/v1/orgs/{org}/api-keys/{id}" => keys::revoke, "Revoke an API key", "operator, keys:write", body None, 204 None;
    put "/v1/event-types/{type}" => event_types::put, "Describe an event type in the catalogue", "operator", body Some("EventTypeInput"), 200 Some("EventType");
    get "/v1/event-types" => event_types::list, "The event-type catalogue", "any key", body None, 200 Some("List");
    post "/v1/orgs/{org}/webhooks" => webhooks::create, "Create a webhook (answers its secret)", "webhooks:write", body Some("WebhookInput"), 201 Some("Webhook");
    get "/v1/orgs/{org}/webhooks" => webhooks::list, "List webhooks", "webhooks:read", body None, 200 Some("List");
    get "/v1/orgs/{org}/webhooks/{id}" => webhooks::read, "Read a webhook (no secret)", "webhooks:read", body None, 200 Some("Webhook");
    patch "/v1/orgs/{org}/webhooks/{id}" => webhooks::update, "Update any subset of a webhook", "webhooks:write", body Some("WebhookInput"), 200 Some("Webhook");
    delete "/v1/orgs/{org}/webhooks/{id}" => webhooks::delete, "Delete a webhook", "webhooks:write", body None, 204 None;
    get "/v1/orgs/{org}/webhooks/{id}/secret" => webhooks::secret, "Read the signing secret", "webhooks:write", body None, 200 Some("Secret");
    post "/v1/orgs/{org}/webhooks/{id}/rotate-secret" => webhooks::rotate, "Rotate the secret (the old one signs 24 h more)", "webhooks:write", body None, 200 Some("Secret");
    post "/v1/orgs/{org}/webhooks/{id}/test" => webhooks::test, "Send a test event now (also to an inactive webhook)", "webhooks:write", body Some("TestInput"), 200 Some("TestResult");
    get "/v1/orgs/{org}/webhooks/{id}/deliveries" => deliveries::list, "A webhook's delivery log, newest first", "logs:read", body None, 200 Some("List");
    post "/v1/orgs/{org}/webhooks/{id}/replay" => deliveries::replay, "Re-queue failed or dead deliveries since a time", "webhooks:write", body Some("ReplayInput"), 200 Some("Replayed");
    get "/v1/orgs/{org}/webhooks/{id}/stats" => deliveries::stats, "Stats over 24 h and 7 d", "logs:read", body None, 200 Some("Stats");
    post "/v1/orgs/{org}/events" => events::publish, "Publish an event (idempotent by id)", "events:write", body Some("EventInput"), 202 Some("Published");
    post "/v1/orgs/{org}/events/batch" => events::publish_batch, "Publish up to 1,000 events in one request (each atomic and idempotent by id)", "events:write", body Some("EventBatchInput"), 202 Some("PublishedBatch");
    get "/v1/orgs/{org}/deliveries/{id}" => deliveries::read, "A delivery with its payload and attempts", "logs:read", body None, 200 Some("Delivery");
    post "/v1/orgs/{org}/deliveries/{id}/retry" => deliveries::retry, "Attempt a delivery again now", "webhooks:write", body None, 200 Some("Delivery");
    put "/v1/plugins/{name}/{version}" => plugins::register, "Register a plugin (body: the .wasm)", "operator", body Some("wasm"), 201 Some("Plugin");
    get "/v1/plugins" => plugins::list, "List plugins", "any key", body None, 200 Some("List");
    delete "/v1/plugins/{name}/{version}" => plugins::delete, "Delete a plugin (refused while used)", "operator", body None, 204 None;
}

fn obj(props: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": props, "required": required})
}

fn schemas() -> Value {
    let s = |t: &str| json!({"type": t});
    let duration =
        json!({"type": "string", "example": "30s", "description": "a duration like 5s, 10m, 2h"});
    let plugin_ref = obj(
        json!({"plugin": {"type": "string", "example": "threshold@1.0.0"}, "config": {"type": "object"}}),
        &["plugin"],
    );
    let filter = obj(
        json!({"path": {"type": "string", "example": "data.order.status"},
               "op": {"type": "string", "enum": ["equals", "not_equals", "in", "not_in"]}, "value": {}}),
        &["path", "op", "value"],
    );
    let trigger = obj(
        json!({"event": s("string"), "filters": {"type": "array", "items": filter}}),
        &["event"],
    );
    let webhook_props = json!({
        "name": s("string"), "url": {"type": "string", "format": "uri"}, "active": s("boolean"),
        "triggers": {"type": "array", "items": trigger},
        "auth": obj(json!({"type": {"type": "string", "enum": ["none", "basic", "bearer", "header"]},
                           "username": s("string"), "password": s("string"), "token": s("string"),
                           "name": s("string"), "value": s("string")}), &["type"]),
        "headers": {"type": "object", "additionalProperties": s("string")},
        "signature": {"type": "string", "enum": ["standard", "hex"]},
        "retry": obj(json!({"schedule": {"type": "array", "items": duration}}), &["schedule"]),
        "timeout": duration,
        "plugins": obj(json!({"filters": {"type": "array", "items": plugin_ref}, "transforms": {"type": "array", "items": plugin_ref},
                              "fresh_instance": s("boolean")}), &[]),
        "description": s("string"), "metadata": {"type": "object"},
    });
    json!({
        "Error": obj(json!({"error": obj(json!({"code": s("string"), "message": s("string")}), &["code", "message"])}), &["error"]),
        "List": obj(json!({"items": {"type": "array", "items": {"type": "object"}}, "next_cursor": {"type": "string", "nullable": true}}), &["items", "next_cursor"]),
        "NewOrg": obj(json!({"name": s("string")}), &["name"]),
        "Org": obj(json!({"id": s("string"), "name": s("string"), "created_at": {"type": "string", "format": "date-time"}}), &["id", "name", "created_at"]),
        "NewKey": obj(json!({"name": s("string"), "permissions": {"type": "array", "items": {"type": "string",
            "enum": ["webhooks:read", "webhooks:write", "events:write", "logs:read", "keys:write"]}}}), &["name", "permissions"]),
        "CreatedKey": obj(json!({"id": s("string"), "key": s("string"), "name": s("string"), "permissions": {"type": "array", "items": s("string")}}), &["id", "key"]),
        "EventTypeInput": obj(json!({"description": s("string"), "example": {"type": "object"}, "filterable": {"type": "array", "items": s("string")}}), &["description"]),
        "EventType": obj(json!({"type": s("string"), "description": s("string"), "example": {"type": "object"}, "filterable": {"type": "array", "items": s("string")}}), &["type"]),
        "WebhookInput": obj(webhook_props.clone(), &[]),
        "Webhook": obj(webhook_props, &[]),
        "Secret": obj(json!({"secret": s("string")}), &["secret"]),
        "TestInput": obj(json!({"type": s("string"), "data": {"type": "object"}}), &[]),
        "TestResult": obj(json!({"result": {"type": "string", "enum": ["delivered", "failed", "filtered"]}, "attempt": {"type": "object"}}), &["result"]),
        "ReplayInput": obj(json!({"since": {"type": "string", "format": "date-time"}, "status": {"type": "string", "enum": ["failed", "dead"]}}), &["since", "status"]),
        "Replayed": obj(json!({"queued": s("integer")}), &["queued"]),
        "Stats": {"type": "object"},
        "EventInput": obj(json!({"id": s("string"), "type": s("string"), "data": {"type": "object"}, "environment": s("string")}), &["type", "data"]),
        "Published": obj(json!({"id": s("string"), "deliveries": s("integer")}), &["id", "deliveries"]),
        "EventBatchInput": obj(json!({"events": {"type": "array", "minItems": 1, "maxItems": 1000, "items": reference("EventInput")}}), &["events"]),
        "PublishedBatch": obj(json!({"events": {"type": "array", "items": reference("Published")}}), &["events"]),
        "Delivery": {"type": "object"},
        "Plugin": obj(json!({"name": s("string"), "version": s("string"), "world": s("string"), "sha256": s("string")}), &["name", "version", "world", "sha256"]),
    })
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn operation(route: &RouteDoc) -> Value {
    let mut params: Vec<Value> = route
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}').map(String::from))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    if route.method == "get" && route.returns == Some("List") && route.path.starts_with("/v1/orgs")
    {
        let mut query = vec![
            ("limit", "1 to 500 (default 50)"),
            ("cursor", "next_cursor of the previous page"),
        ];
        if route.path.ends_with("/deliveries") {
            query.push(("status", "pending, succeeded, failed, dead or filtered"));
        }
        for (name, description) in query {
            params.push(json!({"name": name, "in": "query", "required": false, "description": description, "schema": {"type": "string"}}));
        }
    }
    let mut responses = Map::new();
    let ok = match route.returns {
        Some(name) => {
            json!({"description": "success", "content": {"application/json": {"schema": reference(name)}}})
        }
        None => json!({"description": "success"}),
    };
    responses.insert(route.ok.to_string(), ok);
    let error = json!({"description": "an error that says what to fix", "content": {"application/json": {"schema": reference("Error")}}});
    for code in ["400", "401", "403", "404"] {
        responses.insert(code.into(), error.clone());
    }
    let mut op = json!({
        "summary": route.summary,
        "description": format!("Who may call it: {}.", route.who),
        "operationId": format!("{}{}", route.method, route.path.replace(['/', '{', '}', '-'], "_")),
        "parameters": params,
        "responses": responses,
        "security": [{"bearer": []}],
    });
    match route.body {
        Some("wasm") => {
            op["requestBody"] = json!({"required": true, "content": {"application/wasm": {"schema": {"type": "string", "format": "binary"}}}})
        }
        Some(name) => {
            op["requestBody"] = json!({"required": route.method != "post" || !name.starts_with("Test"), "content": {"application/json": {"schema": reference(name)}}})
        }
        None => {}
    }
    op
}

/// The OpenAPI 3 document of every route.
pub fn build() -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        let item = paths
            .entry(route.path.to_string())
            .or_insert_with(|| json!({}));
        item[route.method] = operation(route);
    }
    let plain = |summary: &str| json!({"get": {"summary": summary, "operationId": summary.to_lowercase().replace(' ', "_"), "security": [], "responses": {"200": {"description": "success"}}}});
    paths.insert("/healthz".into(), plain("Liveness"));
    paths.insert("/readyz".into(), plain("Readiness (Redis reachable)"));
    paths.insert("/metrics".into(), plain("Prometheus metrics"));
    paths.insert("/openapi.json".into(), plain("This document"));
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Herald", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Webhook delivery runtime: orgs, API keys, webhooks, events, delivery logs, plugins."},
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    })
}

/// `GET /openapi.json`.
pub async fn document() -> impl IntoResponse {
    Json(build())
}
