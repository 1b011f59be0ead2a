//! Recording: a route layer writes one audit entry for every request to an
//! audited route (every management change, and reads of a signing secret)
//! that succeeded. What is audited is [`action`]'s table; a unit test
//! checks that every changing route of the API document is in it or is
//! named as not a management change. While the request runs, the access
//! extractors note who is calling and handlers note what they changed
//! ([`caller`], [`org`], [`change`]), in a task-local the layer reads
//! afterwards, so a handler cannot write a second entry or forget the
//! first.

use crate::api::caller::Caller;
use crate::app::App;
use crate::model::audit::{Actor, ActorKind, AuditEntry};
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::Value;
use std::cell::RefCell;
use std::net::SocketAddr;
use std::sync::Arc;

/// What a request noted for its entry.
#[derive(Debug, Default)]
struct Notes {
    actor: Option<Actor>,
    org: Option<String>,
    target: Option<String>,
    before: Option<Value>,
    after: Option<Value>,
}

tokio::task_local! {
    static NOTES: RefCell<Notes>;
}

fn note(f: impl FnOnce(&mut Notes)) {
    // Outside an audited request there is nothing to note.
    let _ = NOTES.try_with(|n| f(&mut n.borrow_mut()));
}

/// Notes who is calling (the access extractors call this).
pub fn caller(caller: &Caller) {
    let actor = match caller {
        Caller::Operator => Actor {
            kind: ActorKind::Operator,
            id: None,
        },
        Caller::Key { id, org, .. } => {
            let kind = if id.starts_with("ses_") {
                ActorKind::Session
            } else {
                ActorKind::Key
            };
            let org = org.clone();
            note(|n| {
                n.org.get_or_insert(org);
            });
            Actor {
                kind,
                id: Some(id.clone()),
            }
        }
    };
    note(|n| n.actor = Some(actor));
}

/// Notes the org a request changes.
pub fn org(org: &str) {
    note(|n| n.org = Some(org.to_string()));
}

/// Notes the resource changed and its configuration before and after, as
/// the API shows it (never with secrets).
pub fn change(target: &str, before: Option<Value>, after: Option<Value>) {
    note(|n| {
        n.target = Some(target.to_string());
        n.before = before;
        n.after = after;
    });
}

/// A value as the API shows it, for [`change`].
pub fn shown(value: &impl serde::Serialize) -> Option<Value> {
    serde_json::to_value(value).ok()
}

/// The audited routes: the action each records, by method and route.
/// `None`: not audited (reads, publishing events, dry runs).
pub fn action(method: &Method, route: &str) -> Option<&'static str> {
    let org = route.strip_prefix("/v1/orgs/{org}");
    Some(match (method.as_str(), route, org) {
        ("POST", "/v1/orgs", _) => "org.create",
        ("PATCH", _, Some("")) => "org.update",
        ("DELETE", _, Some("")) => "org.delete",
        ("POST", _, Some("/api-keys")) => "key.create",
        ("DELETE", _, Some("/api-keys/{id}")) => "key.revoke",
        ("PUT", "/v1/event-types/{type}", _) => "event_type.put",
        ("POST", _, Some("/webhooks")) => "webhook.create",
        ("PATCH", _, Some("/webhooks/{id}")) => "webhook.update",
        ("DELETE", _, Some("/webhooks/{id}")) => "webhook.delete",
        ("GET", _, Some("/webhooks/{id}/secret")) => "webhook.secret.read",
        ("POST", _, Some("/webhooks/{id}/rotate-secret")) => "webhook.secret.rotate",
        ("POST", _, Some("/webhooks/{id}/test")) => "webhook.test",
        ("POST", _, Some("/webhooks/{id}/replay")) => "delivery.replay",
        ("POST", _, Some("/deliveries/{id}/retry")) => "delivery.retry",
        ("POST", _, Some("/portal-sessions")) => "portal_session.create",
        ("PUT", "/v1/plugins/{name}/{version}", _) => "plugin.register",
        ("DELETE", "/v1/plugins/{name}/{version}", _) => "plugin.delete",
        ("POST", "/ui/session", _) => "session.open",
        ("DELETE", "/ui/session", _) => "session.close",
        ("POST", "/ui/session/portal", _) => "portal_session.redeem",
        _ => return None,
    })
}

/// The changing routes that are not management changes, so not audited.
pub const NOT_AUDITED: [(&str, &str); 3] = [
    ("POST", "/v1/orgs/{org}/events"),
    ("POST", "/v1/orgs/{org}/events/batch"),
    ("POST", "/v1/orgs/{org}/webhooks/{id}/dry-run"),
];

/// The route layer: runs the request and, for an audited route that
/// succeeded, writes its entry.
pub async fn layer(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let matched = request.extensions().get::<MatchedPath>();
    let Some((action, route)) = matched.and_then(|m| {
        let route = m.as_str();
        Some((action(request.method(), route)?, route.to_string()))
    }) else {
        // Not audited: nothing else to do (the common case, publishing included).
        return next.run(request).await;
    };
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let forwarded_for = request
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let notes = RefCell::new(Notes::default());
    let (response, notes) = NOTES
        .scope(notes, async move {
            let response = next.run(request).await;
            (response, NOTES.with(|n| n.take()))
        })
        .await;
    if !response.status().is_success() {
        return response;
    }
    let entry = AuditEntry {
        id: String::new(),
        at: crate::clock::now_rfc3339(),
        org: notes.org,
        actor: notes.actor.unwrap_or(Actor {
            kind: ActorKind::Anonymous,
            id: None,
        }),
        action: action.to_string(),
        target: notes.target.or_else(|| last_parameter(&route, &path)),
        method,
        path,
        status: response.status().as_u16(),
        address,
        forwarded_for,
        before: notes.before,
        after: notes.after,
    };
    if let Err(e) = app.store.append_audit(&entry, action == "org.delete").await {
        tracing::error!(action, path = %entry.path, "writing the audit entry failed: {e}");
        app.metrics.audit_write_failures.inc();
    }
    response
}

/// The value of the route's last `{parameter}` in `path`.
fn last_parameter(route: &str, path: &str) -> Option<String> {
    route
        .split('/')
        .zip(path.split('/'))
        .filter(|(r, _)| r.starts_with('{'))
        .last()
        .map(|(_, value)| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_changing_route_is_audited_or_named_as_not() {
        let document = crate::api::openapi::document();
        let paths = document["paths"].as_object().expect("paths");
        let mut audited = 0;
        for (path, item) in paths {
            for method in ["post", "put", "patch", "delete"] {
                if item.get(method).is_none() {
                    continue;
                }
                let upper = method.to_uppercase();
                let named = NOT_AUDITED.contains(&(upper.as_str(), path.as_str()));
                let method = Method::from_bytes(upper.as_bytes()).expect("method");
                assert!(
                    action(&method, path).is_some() != named,
                    "{upper} {path}: audit it (record::action) or name it in NOT_AUDITED"
                );
                audited += usize::from(!named);
            }
        }
        assert!(audited >= 15, "{audited}");
        assert_eq!(
            action(&Method::GET, "/v1/orgs/{org}/webhooks/{id}/secret"),
            Some("webhook.secret.read")
        );
        assert_eq!(action(&Method::GET, "/v1/orgs/{org}/webhooks/{id}"), None);
    }

    #[test]
    fn the_target_defaults_to_the_last_path_parameter() {
        assert_eq!(
            last_parameter(
                "/v1/orgs/{org}/webhooks/{id}/rotate-secret",
                "/v1/orgs/o1/webhooks/wh_2/rotate-secret"
            ),
            Some("wh_2".to_string())
        );
        assert_eq!(last_parameter("/v1/orgs", "/v1/orgs"), None);
    }
}
