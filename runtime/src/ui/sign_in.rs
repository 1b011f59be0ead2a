//! Opening, reading and closing dashboard sessions:
//! - `POST /ui/session` `{"token"}`: sign in with the operator key or an
//!   org's API key (the session holds the key's permissions and ends when
//!   the key is revoked, or after 12 hours);
//! - `POST /ui/session/portal` `{"code"}`: open a one-time portal link
//!   ([`crate::api::portal`]); the link is consumed;
//! - `GET /ui/session`: who the session is, and its CSRF token;
//! - `DELETE /ui/session`: sign out (CSRF token required).
//!
//! Sign-in requests from another site's page are refused (their `Origin`
//! is not Herald's), and failed sign-ins count toward the per-address
//! limit of failed authentications, like a wrong API key.

use crate::api::access::{key_caller, Caller};
use crate::api::audit::record as audit;
use crate::api::session::{
    self, check_csrf, clear_cookie, current, hash, set_cookie, PortalLink, Session, PORTAL_LINK,
    SESSION, SIGN_IN_LIFETIME_MS,
};
use crate::api::{ApiError, AppState, Body, Permission};
use crate::clock::{now_ms, rfc3339_ms};
use axum::extract::{ConnectInfo, FromRequest, Request};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// Sign-in body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// The operator key or an org's API key.
    pub token: String,
}

/// Portal link body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Redeem {
    /// The `code` of the link's fragment.
    pub code: String,
}

/// A session as the page sees it.
#[derive(Debug, Serialize)]
pub struct SessionView {
    /// Signed in with the operator key.
    pub operator: bool,
    /// The org it is bound to (`null` for the operator).
    pub org: Option<String>,
    /// What it may do in its org.
    pub permissions: Vec<Permission>,
    /// Changes refused.
    pub read_only: bool,
    /// Opened by a portal link.
    pub portal: bool,
    /// The token to send in `X-CSRF-Token` with every change.
    pub csrf: String,
    /// When it ends (RFC 3339).
    pub expires_at: String,
}

impl From<&Session> for SessionView {
    fn from(s: &Session) -> Self {
        SessionView {
            operator: s.org.is_none(),
            org: s.org.clone(),
            permissions: s.permissions.clone(),
            read_only: s.read_only,
            portal: s.portal,
            csrf: s.csrf.clone(),
            expires_at: rfc3339_ms(s.expires_at_ms),
        }
    }
}

/// Refuses a request whose `Origin` is another site's.
fn same_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin.split_once("://").map(|(_, h)| h);
    if host.is_some() && origin_host == host {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "sessions are opened only from Herald's own pages",
        ))
    }
}

fn opened(app: &AppState, secret: &str, s: &Session) -> Response {
    let embeddable = !app.settings.ui_frame_ancestors.is_empty();
    let cookie = set_cookie(secret, s.expires_at_ms - now_ms(), embeddable);
    (
        StatusCode::CREATED,
        [(header::SET_COOKIE, cookie)],
        Json(SessionView::from(s)),
    )
        .into_response()
}

/// `POST /ui/session`: signs in with a key.
pub async fn open(state: AppState, request: Request) -> Result<Response, ApiError> {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    same_origin(request.headers())?;
    let Body(body) = Body::<SignIn>::from_request(request, &()).await?;
    let caller = match key_caller(&state, body.token.trim()).await {
        Ok(caller) => caller,
        Err(e) => {
            if e.status() == StatusCode::UNAUTHORIZED {
                if let Some(wait) = peer.and_then(|ip| state.auth_failures.failed(ip)) {
                    return Err(ApiError::too_many_failures(wait));
                }
            }
            return Err(e);
        }
    };
    audit::caller(&caller);
    let (org, permissions, key_id) = match caller {
        Caller::Operator => (None, Vec::new(), None),
        Caller::Key {
            org,
            id,
            permissions,
        } => (Some(org), permissions, Some(id)),
    };
    let s = Session {
        org,
        permissions,
        key_id,
        portal: false,
        read_only: false,
        csrf: session::new_secret(),
        expires_at_ms: now_ms() + SIGN_IN_LIFETIME_MS,
    };
    let secret = session::open(&state, &s).await?;
    note_session(&s, &secret);
    Ok(opened(&state, &secret, &s))
}

/// Notes the session opened for the audit log: its id and what it may do.
fn note_session(s: &Session, secret: &str) {
    if let Some(org) = &s.org {
        audit::org(org);
    }
    let id = match s.caller(&hash(secret)) {
        Caller::Key { id, .. } => id,
        Caller::Operator => "operator".to_string(),
    };
    let shown = serde_json::json!({
        "portal": s.portal,
        "read_only": s.read_only,
        "permissions": s.permissions,
        "expires_at": rfc3339_ms(s.expires_at_ms),
    });
    audit::change(&id, None, Some(shown));
}

/// `POST /ui/session/portal`: opens a one-time portal link.
pub async fn redeem(
    state: AppState,
    headers: HeaderMap,
    Body(body): Body<Redeem>,
) -> Result<Response, ApiError> {
    same_origin(&headers)?;
    let code = body.code.trim();
    let unusable = || {
        ApiError::unauthorized(
            "this portal link was already used or has expired; ask for a new one",
        )
    };
    if code.len() != 64 || !code.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(unusable());
    }
    let link: PortalLink = state
        .store
        .take_ui_session(PORTAL_LINK, &hash(code))
        .await?
        .filter(|l: &PortalLink| l.expires_at_ms > now_ms())
        .ok_or_else(unusable)?;
    let s = link.session();
    let secret = session::open(&state, &s).await?;
    note_session(&s, &secret);
    Ok(opened(&state, &secret, &s))
}

/// `GET /ui/session`: the current session.
pub async fn read(state: AppState, request: Request) -> Result<Json<SessionView>, ApiError> {
    let (parts, _) = request.into_parts();
    match current(&parts, &state).await? {
        Some((_, s)) => Ok(Json(SessionView::from(&s))),
        None => Err(ApiError::unauthorized("not signed in")),
    }
}

/// `DELETE /ui/session`: signs out.
pub async fn close(state: AppState, request: Request) -> Result<Response, ApiError> {
    let (parts, _) = request.into_parts();
    let embeddable = !state.settings.ui_frame_ancestors.is_empty();
    if let Some((id_hash, s)) = current(&parts, &state).await? {
        check_csrf(&parts, &s)?;
        state.store.delete_ui_session(SESSION, &id_hash).await?;
        audit::caller(&s.caller(&id_hash));
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, clear_cookie(embeddable))],
    )
        .into_response())
}
