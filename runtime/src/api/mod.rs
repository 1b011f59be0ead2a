//! The HTTP API (axum): JSON bodies, `Authorization: Bearer <key>`, errors
//! as `{"error": {"code", "message"}}` with a 4xx that says what to fix.
//!
//! - [`orgs`], [`webhooks`], [`events`], [`deliveries`], [`plugins`]: resources.
//! - [`health`]: `/healthz`, `/readyz`, `/metrics`.

pub mod auth;
pub mod deliveries;
pub mod event_types;
pub mod events;
pub mod health;
pub mod keys;
pub mod openapi;
pub mod orgs;
pub mod page;
pub mod plugins;
pub mod webhooks;

pub use auth::{Caller, Permission};

use crate::app::App;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use std::sync::Arc;

/// Shared state of the handlers.
pub type AppState = State<Arc<App>>;

/// An API error: a status, a stable code and a message saying what to fix.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    /// 400 `invalid_request`.
    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_request",
            message: message.into(),
        }
    }

    /// 404 `not_found`.
    pub fn not_found(what: &str) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: format!("{what} not found"),
        }
    }

    /// 409 `conflict`.
    pub fn conflict(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::CONFLICT,
            code: "conflict",
            message: message.into(),
        }
    }

    /// 413 `payload_too_large`.
    pub fn too_large(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "payload_too_large",
            message: message.into(),
        }
    }

    /// 403 `forbidden`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::FORBIDDEN,
            code: "forbidden",
            message: message.into(),
        }
    }

    /// 401 `unauthorized`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
            message: message.into(),
        }
    }

    /// 500, logged with its cause; the client sees no internals.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {cause}");
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: "internal error; see Herald's log".into(),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            crate::store::StoreError::Redis(r)
                if r.is_connection_refusal() || r.is_timeout() || r.is_io_error() =>
            {
                tracing::error!("redis unavailable: {r}");
                ApiError {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    code: "unavailable",
                    message: "the store is unavailable; retry shortly".into(),
                }
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let status = r.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "payload_too_large"
        } else {
            "invalid_request"
        };
        let status = if status == StatusCode::PAYLOAD_TOO_LARGE
            || status == StatusCode::UNSUPPORTED_MEDIA_TYPE
        {
            status
        } else {
            StatusCode::BAD_REQUEST
        };
        ApiError {
            status,
            code,
            message: r.body_text(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"error": {"code": self.code, "message": self.message}})),
        )
            .into_response()
    }
}

/// JSON body extractor whose rejections are [`ApiError`]s.
#[derive(Debug, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Body<T>(pub T);

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

/// The API router: every route of [`openapi::ROUTES`], plus health,
/// metrics and the OpenAPI document.
pub fn router(app: Arc<App>) -> Router {
    let limit = app.settings.max_body_bytes;
    openapi::routes(Router::new())
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/openapi.json", get(openapi::document))
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .fallback(|| async { ApiError::not_found("route") })
        .with_state(app)
}
