//! The route table and the OpenAPI 3.1 document, built together: each
//! route is registered from its handler's `#[utoipa::path]` annotation
//! (utoipa-axum's `routes!`), so a route cannot be served undocumented or
//! documented unserved. [`finish`] adds what every operation shares: the
//! error responses and the bearer security scheme.

use super::{
    audit, deliveries, event_types, events, health, ingest, keys, orgs, plugins, portal, stats,
    webhooks, ErrorBody,
};
use crate::app::App;
use serde_json::{json, Value};
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Herald",
        description = "Webhook delivery runtime: orgs, API keys, the event-type catalogue, webhooks, events, delivery logs, plugins.\n\nAuthenticate with `Authorization: Bearer <key>`: the operator key (`HERALD_ADMIN_TOKEN`) or an org's API key. Errors are `{\"error\": {\"code\", \"message\"}}`; lists are `{\"items\", \"next_cursor\"}`, newest first.",
    ),
    components(schemas(ErrorBody)),
    security(("bearer" = [])),
    tags(
        (name = "orgs", description = "Tenants (operator)"),
        (name = "keys", description = "An org's API keys"),
        (name = "event-types", description = "The event-type catalogue"),
        (name = "webhooks", description = "Webhooks, their secrets and test sends"),
        (name = "events", description = "Publishing events"),
        (name = "deliveries", description = "Delivery logs, retries, replays, stats"),
        (name = "plugins", description = "The plugin registry (operator)"),
        (name = "portal", description = "One-time links into the dashboard for an org's users"),
        (name = "audit", description = "Who changed what, when, from where"),
        (name = "operations", description = "Probes and metrics (no key)"),
    )
)]
struct Base;

/// Every documented route.
pub fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::with_openapi(Base::openapi())
        .routes(routes!(orgs::create, orgs::list))
        .routes(routes!(orgs::read, orgs::update, orgs::delete))
        .routes(routes!(keys::create, keys::list))
        .routes(routes!(keys::revoke))
        .routes(routes!(event_types::put))
        .routes(routes!(event_types::list))
        .routes(routes!(webhooks::create, webhooks::list))
        .routes(routes!(webhooks::read, webhooks::update, webhooks::delete))
        .routes(routes!(webhooks::secrets::read))
        .routes(routes!(webhooks::secrets::rotate))
        .routes(routes!(webhooks::test_send::test))
        .routes(routes!(webhooks::dry_run::dry_run))
        .routes(routes!(deliveries::list))
        .routes(routes!(deliveries::replay))
        .routes(routes!(stats::stats))
        .routes(routes!(deliveries::read))
        .routes(routes!(deliveries::retry))
        .routes(routes!(events::publish))
        .routes(routes!(events::publish_batch))
        .routes(routes!(ingest::rejected))
        .routes(routes!(plugins::register, plugins::delete))
        .routes(routes!(plugins::list))
        .routes(routes!(portal::create))
        .routes(routes!(audit::list))
        .routes(routes!(audit::org_list))
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(health::metrics))
}

const METHODS: [&str; 5] = ["get", "put", "post", "patch", "delete"];

/// An operation's id: its method and path (handler names repeat across
/// resources, so they cannot be ids).
fn operation_id(method: &str, path: &str) -> String {
    format!("{method}{}", path.replace(['/', '{', '}', '-', '.'], "_"))
}

/// OpenAPI links: what a created resource's answer leads to (for clients
/// and for stateful testing: create, then read, change, delete).
fn links() -> Vec<(&'static str, &'static str, String, Value)> {
    let org = "/v1/orgs/{org}";
    let webhook = "/v1/orgs/{org}/webhooks/{id}";
    let new_org = json!({"org": "$response.body#/id"});
    let in_org = json!({"org": "$request.path.org", "id": "$response.body#/id"});
    let mut out = Vec::new();
    for (method, path) in [
        ("get", org),
        ("delete", org),
        ("post", "/v1/orgs/{org}/webhooks"),
        ("get", "/v1/orgs/{org}/webhooks"),
        ("post", "/v1/orgs/{org}/api-keys"),
        ("post", "/v1/orgs/{org}/events"),
    ] {
        out.push((
            "/v1/orgs",
            "201",
            operation_id(method, path),
            new_org.clone(),
        ));
    }
    for (method, path) in [
        ("get", webhook.to_string()),
        ("patch", webhook.to_string()),
        ("delete", webhook.to_string()),
        ("get", format!("{webhook}/secret")),
        ("post", format!("{webhook}/rotate-secret")),
        ("get", format!("{webhook}/deliveries")),
        ("get", format!("{webhook}/stats")),
        ("post", format!("{webhook}/replay")),
    ] {
        out.push((
            "/v1/orgs/{org}/webhooks",
            "201",
            operation_id(method, &path),
            in_org.clone(),
        ));
    }
    out.push((
        "/v1/orgs/{org}/api-keys",
        "201",
        operation_id("delete", "/v1/orgs/{org}/api-keys/{id}"),
        in_org,
    ));
    out.into_iter()
        .map(|(from, status, to, parameters)| {
            let link = json!({"operationId": to, "parameters": parameters});
            (from, status, to, link)
        })
        .collect()
}

/// Completes the generated document: the bearer scheme, and on every
/// operation the error responses it can give (all with [`ErrorBody`]).
pub fn finish(document: utoipa::openapi::OpenApi) -> String {
    let mut doc = serde_json::to_value(&document).unwrap_or_default();
    doc["components"]["securitySchemes"] = json!({
        "bearer": {"type": "http", "scheme": "bearer",
                   "description": "The operator key (HERALD_ADMIN_TOKEN) or an org's API key (hk_…)"}
    });
    doc["paths"]["/openapi.json"] = json!({"get": {
        "tags": ["operations"], "summary": "This document",
        "security": [{}],
        "responses": {"200": {"description": "The OpenAPI document",
                              "content": {"application/json": {"schema": {"type": "object"}}}}}
    }});
    let error = |what: &str| {
        json!({"description": what,
               "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}})
    };
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            for method in METHODS {
                let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) else {
                    continue;
                };
                op.insert(
                    "operationId".into(),
                    Value::String(operation_id(method, path)),
                );
                let open = op
                    .get("security")
                    .and_then(Value::as_array)
                    .is_some_and(|s| {
                        s.iter()
                            .all(|r| r.as_object().is_some_and(|o| o.is_empty()))
                    });
                let has_body = op.contains_key("requestBody");
                let responses = op
                    .entry("responses")
                    .or_insert_with(|| json!({}))
                    .as_object_mut();
                let Some(responses) = responses else { continue };
                let mut add = |code: &str, what: &str| {
                    responses.entry(code).or_insert_with(|| error(what));
                };
                if !open {
                    add(
                        "400",
                        "The request breaks an input rule; the message says what to fix",
                    );
                    add("401", "No key, or an unknown or revoked one");
                    add(
                        "403",
                        "The key lacks a permission, or the route is the operator's",
                    );
                    add("404", "No such resource (or another org's)");
                    add(
                        "429",
                        "Too many failed authentications from this address; a wrong key is refused for `Retry-After` seconds",
                    );
                    add("503", "Redis is unavailable; retry shortly");
                }
                if has_body {
                    add("413", "The body is too large");
                    add("415", "The body is not JSON");
                }
                if path.starts_with("/v1/") {
                    add(
                        "408",
                        "The request took longer than HERALD_API_REQUEST_TIMEOUT to arrive and be answered",
                    );
                    add(
                        "500",
                        "A fault in Herald (details in its log, never in the answer)",
                    );
                }
            }
        }
    }
    for (path, status, name, link) in links() {
        let response = &mut doc["paths"][path]["post"]["responses"][status];
        if response.is_object() {
            response["links"][name.as_str()] = link;
        }
    }
    serde_json::to_string(&doc).unwrap_or_default()
}

/// The whole document, as served at `/openapi.json`.
pub fn document() -> Value {
    let (_, document) = routes().split_for_parts();
    serde_json::from_str(&finish(document)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_documents_its_errors_and_has_a_unique_id() {
        let doc = document();
        let paths = doc["paths"].as_object().expect("paths");
        let mut ids = std::collections::HashSet::new();
        assert!(paths.contains_key("/v1/orgs/{org}/webhooks/{id}"));
        for (path, item) in paths {
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let id = op["operationId"].as_str().expect("operationId");
                assert!(ids.insert(id.to_string()), "{method} {path}: {id} repeats");
                if path.starts_with("/v1/") {
                    for code in ["400", "401", "404", "500"] {
                        assert!(op["responses"][code].is_object(), "{method} {path} {code}");
                    }
                }
            }
        }
        assert!(doc["components"]["schemas"]["WebhookView"].is_object());
    }
}
