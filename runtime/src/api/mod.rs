//! The HTTP API (axum): JSON bodies, `Authorization: Bearer <key>`, errors
//! as `{"error": {"code", "message"}}` with a 4xx that says what to fix.
//! Every request and response body is a Rust type, and the OpenAPI document
//! at `/openapi.json` is generated from those types and the handlers'
//! annotations, registered together with the routes ([`openapi`]).
//!
//! - [`access`]: who is calling; permissions as extractors ([`caller`]: the
//!   callers and keys themselves); [`session`]: the dashboard's cookie
//!   sessions and their CSRF check.
//! - [`body`], [`error`], [`page`]: extractors, the error type, lists.
//! - Resources: [`orgs`], [`keys`], [`event_types`], [`webhooks`],
//!   [`events`], [`deliveries`], [`stats`], [`plugins`], [`ingest`],
//!   [`portal`] (one-time links into the dashboard for an org's users).
//! - [`health`]: `/healthz`, `/readyz`, `/metrics`; [`traced`]: the
//!   server span of a publishing request (OpenTelemetry).
//! - [`audit`]: the audit log of every management change, written by a
//!   route layer ([`audit::record`]) and listed for the operator and orgs.

pub mod access;
pub mod audit;
pub mod body;
pub mod caller;
pub mod deliveries;
pub mod error;
pub mod event_types;
pub mod events;
pub mod health;
pub mod ingest;
pub mod keys;
pub mod openapi;
pub mod orgs;
pub mod page;
pub mod plugins;
pub mod portal;
#[cfg(test)]
mod rules_table;
pub mod server;
pub mod session;
pub mod stats;
pub mod strict;
pub mod traced;
pub mod webhooks;

pub use body::{Body, OptionalBody, Path, Query};
pub use caller::{Caller, Permission};
pub use error::{ApiError, ErrorBody};

use crate::app::App;
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

/// Shared state of the handlers.
pub type AppState = State<Arc<App>>;

/// Health and metrics only: what a worker-only process serves (for probes
/// and scraping).
pub fn ops_router(app: Arc<App>) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .fallback(|| async { ApiError::not_found("route (this process runs the workers only)") })
        .with_state(app)
}

/// The API router: every documented route, and `/openapi.json`, served
/// together with `pages` (the dashboard's routes), under the same body limit
/// and fallbacks.
pub fn router(app: Arc<App>, pages: Router<Arc<App>>) -> Router {
    let limit = app.settings.max_body_bytes;
    let (routes, document) = openapi::routes().split_for_parts();
    let document = openapi::finish(document);
    // Building the document allocates a few MiB for a moment; hand them back.
    crate::memory::collect_now();
    routes
        .route(
            "/openapi.json",
            get(move || {
                let document = document.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        document,
                    )
                }
            }),
        )
        .merge(pages)
        .route_layer(axum::middleware::from_fn_with_state(
            app.clone(),
            audit::record::layer,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .fallback(|| async { ApiError::not_found("route") })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .with_state(app)
}
