//! The dashboard and the customer portal, served by `herald serve` at
//! `/ui/`: one HTML page, one script and one style sheet, embedded in the
//! binary (no build chain, nothing loaded from outside Herald). The page
//! is a client of the JSON API, with a cookie session instead of a key
//! ([`crate::api::session`]), so it can do nothing the API would not let
//! the same caller do.
//!
//! - [`assets`]: the embedded files, with their types and ETags.
//! - [`sign_in`]: opening, reading and closing sessions (by key or by
//!   one-time portal link).
//!
//! Every `/ui` response carries a strict Content-Security-Policy: scripts
//! and styles from Herald's own origin only, no inline script, no plugin,
//! no foreign connection, and no framing except by the origins in
//! `HERALD_UI_FRAME_ANCESTORS`.

pub mod assets;
pub mod sign_in;

use crate::app::App;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

/// The `/ui` routes.
pub fn router(app: Arc<App>) -> Router<Arc<App>> {
    let headers = Arc::new(SecurityHeaders::new(&app.settings.ui_frame_ancestors));
    Router::new()
        .route("/ui", get(|| async { Redirect::permanent("/ui/") }))
        .route("/ui/", get(assets::page))
        .route("/ui/portal", get(assets::page))
        .route("/ui/assets/{name}", get(assets::asset))
        .route(
            "/ui/session",
            get(sign_in::read)
                .post(sign_in::open)
                .delete(sign_in::close),
        )
        .route("/ui/session/portal", axum::routing::post(sign_in::redeem))
        .layer(axum::middleware::from_fn(move |request, next| {
            let headers = headers.clone();
            async move { headers.add(next_run(request, next).await) }
        }))
}

async fn next_run(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    next.run(request).await.into_response()
}

/// The headers every `/ui` response carries.
pub struct SecurityHeaders {
    csp: HeaderValue,
    frame_options: Option<HeaderValue>,
}

impl SecurityHeaders {
    /// For a dashboard that `frame_ancestors` may frame (none when empty).
    pub fn new(frame_ancestors: &[String]) -> Self {
        let ancestors = if frame_ancestors.is_empty() {
            "'none'".to_string()
        } else {
            frame_ancestors
                .iter()
                .map(|o| o.trim_end_matches('/'))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let csp = format!(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; base-uri 'none'; \
             frame-ancestors {ancestors}"
        );
        SecurityHeaders {
            csp: HeaderValue::from_str(&csp)
                .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'")),
            frame_options: frame_ancestors
                .is_empty()
                .then(|| HeaderValue::from_static("DENY")),
        }
    }

    /// Adds the headers to `response`.
    pub fn add(&self, mut response: Response) -> Response {
        let h = response.headers_mut();
        h.insert(header::CONTENT_SECURITY_POLICY, self.csp.clone());
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        if let Some(v) = &self.frame_options {
            h.insert(header::X_FRAME_OPTIONS, v.clone());
        }
        h.entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_no_inline_script_and_framing_only_by_named_origins() {
        let closed = SecurityHeaders::new(&[]);
        let csp = closed.csp.to_str().unwrap_or_default();
        assert!(csp.contains("script-src 'self';") && !csp.contains("unsafe-inline"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(closed.frame_options.is_some());
        let open = SecurityHeaders::new(&["https://app.example.com/".into()]);
        let csp = open.csp.to_str().unwrap_or_default();
        assert!(csp.ends_with("frame-ancestors https://app.example.com"));
        assert!(open.frame_options.is_none());
    }
}
