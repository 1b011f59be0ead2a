//! The HTTP API (axum): JSON bodies, `Authorization: Bearer <key>`, errors
//! as `{"error": {"code", "message"}}` with a 4xx that says what to fix.
//!
//! - [`orgs`], [`webhooks`], [`events`], [`deliveries`], [`plugins`]: resources.
//! - [`health`]: `/healthz`, `/readyz`, `/metrics`.

pub mod deliveries;
pub mod events;
pub mod health;
pub mod orgs;
pub mod plugins;
pub mod webhooks;

use crate::app::App;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
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

/// The caller, authenticated by its bearer key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The operator (`HERALD_ADMIN_TOKEN`).
    Operator,
}

impl FromRequestParts<Arc<App>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let Some(key) = header.and_then(|h| h.strip_prefix("Bearer ")) else {
            return Err(ApiError::unauthorized("send `Authorization: Bearer <key>`"));
        };
        match app.settings.admin_token.as_deref() {
            Some(token) if constant_time_eq(token.as_bytes(), key.trim().as_bytes()) => {
                Ok(Caller::Operator)
            }
            _ => Err(ApiError::unauthorized("unknown or revoked key")),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

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

/// The API router.
pub fn router(app: Arc<App>) -> Router {
    let limit = app.settings.max_body_bytes;
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/v1/orgs", post(orgs::create))
        .route("/v1/orgs/{org}", get(orgs::read))
        .route(
            "/v1/orgs/{org}/webhooks",
            post(webhooks::create).get(webhooks::list),
        )
        .route(
            "/v1/orgs/{org}/webhooks/{id}",
            get(webhooks::read)
                .patch(webhooks::update)
                .delete(webhooks::delete),
        )
        .route(
            "/v1/orgs/{org}/webhooks/{id}/deliveries",
            get(deliveries::list),
        )
        .route("/v1/orgs/{org}/events", post(events::publish))
        .route("/v1/orgs/{org}/deliveries/{id}", get(deliveries::read))
        .route(
            "/v1/plugins/{name}/{version}",
            put(plugins::register).layer(axum::extract::DefaultBodyLimit::max(32 << 20)),
        )
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .fallback(|| async { ApiError::not_found("route") })
        .with_state(app)
}
