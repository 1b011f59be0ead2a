//! `/healthz` (the process answers), `/readyz` (Redis answers) and
//! `/metrics` (Prometheus text, with the queue depth sampled now).

use super::AppState;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

/// Liveness.
pub async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// Readiness: Redis reachable.
pub async fn readyz(state: AppState) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({"status": "ready"}))),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "reason": format!("redis: {e}")})),
        ),
    }
}

/// Prometheus metrics.
pub async fn metrics(state: AppState) -> impl IntoResponse {
    if let Ok((stream, retries)) = crate::queue::depth(&state.store).await {
        let gauge = |q: &str| {
            state
                .metrics
                .queue_depth
                .get_or_create(&crate::metrics::QueueLabel { queue: q.into() })
                .clone()
        };
        gauge("stream").set(stream as i64);
        gauge("retries").set(retries as i64);
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.encode(),
    )
}
