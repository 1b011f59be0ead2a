//! Browser sessions of the dashboard (`/ui/`): a session is opened by
//! signing in with a key (the operator's or an org's) or by a one-time
//! portal link, and held in an `HttpOnly`, `Secure`, `SameSite` cookie.
//! A request carrying the cookie and no `Authorization` header acts as the
//! session's caller; one that changes anything (any method but `GET` and
//! `HEAD`) must also send the session's CSRF token in `X-CSRF-Token`,
//! which only a page of Herald's own origin can read.
//!
//! An org session acts as a pseudo-key `ses_…` of its org with the
//! session's permissions: what the extractors of [`super::access`] allow
//! is exactly what the API allows such a key. A read-only session has no
//! write permission, so the server refuses its changes, whatever the page
//! shows. A session opened with an org key ends when that key is revoked.

use super::caller::{Caller, Permission, StoredKey};
use super::ApiError;
use crate::app::App;
use crate::clock::now_ms;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The session cookie's name.
pub const COOKIE: &str = "herald_session";
/// The header carrying the CSRF token on state changes.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Record kind of sessions in the store.
pub const SESSION: &str = "session";
/// Record kind of one-time portal links in the store.
pub const PORTAL_LINK: &str = "portal";
/// How long a session opened by signing in with a key lasts.
pub const SIGN_IN_LIFETIME_MS: i64 = 12 * 3_600_000;

/// A session as stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Session {
    /// The org it is bound to; `None`: the operator.
    pub org: Option<String>,
    /// What it may do in its org (the operator: everything).
    pub permissions: Vec<Permission>,
    /// The key it was opened with, re-checked on every request.
    pub key_id: Option<String>,
    /// Opened by a portal link (the page hides operator screens).
    pub portal: bool,
    /// Changes refused.
    pub read_only: bool,
    /// The CSRF token state changes must carry.
    pub csrf: String,
    /// When it ends (Unix ms).
    pub expires_at_ms: i64,
}

/// A one-time portal link as stored, until it is opened.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PortalLink {
    /// The org the session will be bound to.
    pub org: String,
    /// What the session may do there.
    pub permissions: Vec<Permission>,
    /// Changes refused.
    pub read_only: bool,
    /// When the link and its session end (Unix ms).
    pub expires_at_ms: i64,
}

impl PortalLink {
    /// The session this link opens.
    pub fn session(self) -> Session {
        Session {
            org: Some(self.org),
            permissions: self.permissions,
            key_id: None,
            portal: true,
            read_only: self.read_only,
            csrf: new_secret(),
            expires_at_ms: self.expires_at_ms,
        }
    }
}

impl Session {
    /// The caller this session acts as.
    pub fn caller(&self, id_hash: &str) -> Caller {
        match &self.org {
            None => Caller::Operator,
            Some(org) => Caller::Key {
                org: org.clone(),
                id: format!("ses_{}", &id_hash[..id_hash.len().min(12)]),
                permissions: self.permissions.clone(),
            },
        }
    }
}

/// What a portal link or sign-in may grant in an org: reading webhooks and
/// logs, and changing webhooks unless read-only; never more than `held`.
pub fn portal_permissions(held: Option<&[Permission]>, read_only: bool) -> Vec<Permission> {
    let mut wanted = vec![Permission::WebhooksRead, Permission::LogsRead];
    if !read_only {
        wanted.push(Permission::WebhooksWrite);
    }
    wanted.retain(|p| held.is_none_or(|h| h.contains(p)));
    wanted
}

/// A new random secret (256 bits, hex).
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

/// Hex SHA-256 of a secret: the name it is stored under.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Stores `session` and returns the secret for its cookie.
pub async fn open(app: &App, session: &Session) -> Result<String, ApiError> {
    let secret = new_secret();
    let ttl = session.expires_at_ms - now_ms();
    if ttl <= 0 {
        return Err(ApiError::invalid("this session would already have ended"));
    }
    app.store
        .put_ui_session(SESSION, &hash(&secret), session, ttl)
        .await?;
    Ok(secret)
}

/// The session cookie's value in a request, if any.
pub fn cookie(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
        .filter(|v| !v.is_empty())
}

/// The session a request's cookie names, with its stored hash; `None` when
/// there is no cookie, 401 when it names no live session.
pub async fn current(parts: &Parts, app: &App) -> Result<Option<(String, Session)>, ApiError> {
    let Some(secret) = cookie(parts) else {
        return Ok(None);
    };
    let ended = || ApiError::unauthorized("the session ended; sign in again");
    if secret.len() != 64 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ended());
    }
    let id_hash = hash(secret);
    let session: Session = app
        .store
        .ui_session(SESSION, &id_hash)
        .await?
        .filter(|s: &Session| s.expires_at_ms > now_ms())
        .ok_or_else(ended)?;
    if let Some(key_id) = &session.key_id {
        if app.store.api_key::<StoredKey>(key_id).await?.is_none() {
            return Err(ApiError::unauthorized(
                "the key this session was opened with was revoked; sign in again",
            ));
        }
    }
    Ok(Some((id_hash, session)))
}

/// The caller of a request authenticated by its session cookie; CSRF
/// checked on state changes. `None` when there is no cookie.
pub async fn caller(parts: &Parts, app: &App) -> Result<Option<Caller>, ApiError> {
    let Some((id_hash, session)) = current(parts, app).await? else {
        return Ok(None);
    };
    check_csrf(parts, &session)?;
    Ok(Some(session.caller(&id_hash)))
}

/// Refuses a state change without the session's CSRF token.
pub fn check_csrf(parts: &Parts, session: &Session) -> Result<(), ApiError> {
    if matches!(parts.method, Method::GET | Method::HEAD) {
        return Ok(());
    }
    let sent = parts
        .headers
        .get(CSRF_HEADER)
        .map(HeaderValue::as_bytes)
        .unwrap_or_default();
    use subtle::ConstantTimeEq as _;
    if bool::from(sent.ct_eq(session.csrf.as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "a change made with the session cookie must carry the session's CSRF token in \
             `X-CSRF-Token` (GET /ui/session returns it)",
        ))
    }
}

/// The `Set-Cookie` value opening a session. `embeddable`: the dashboard
/// may be framed by other sites (`ui_frame_ancestors`), where only a
/// `SameSite=None` cookie is sent; otherwise `Lax` (sent when following a
/// link to Herald, never on another site's requests).
pub fn set_cookie(secret: &str, max_age_ms: i64, embeddable: bool) -> HeaderValue {
    let same_site = if embeddable { "None" } else { "Lax" };
    let text = format!(
        "{COOKIE}={secret}; Path=/; Max-Age={}; HttpOnly; Secure; SameSite={same_site}",
        (max_age_ms / 1000).max(1)
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(embeddable: bool) -> HeaderValue {
    let same_site = if embeddable { "None" } else { "Lax" };
    HeaderValue::from_str(&format!(
        "{COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite={same_site}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portal_permissions_never_exceed_the_creators() {
        use Permission::*;
        assert_eq!(
            portal_permissions(None, false),
            vec![WebhooksRead, LogsRead, WebhooksWrite]
        );
        assert_eq!(portal_permissions(None, true), vec![WebhooksRead, LogsRead]);
        assert_eq!(
            portal_permissions(Some(&[WebhooksRead, KeysWrite]), false),
            vec![WebhooksRead]
        );
    }

    #[test]
    fn cookies_are_http_only_secure_and_same_site() {
        let c = set_cookie("ab", 3_600_000, false);
        let c = c.to_str().unwrap_or_default();
        assert!(c.contains("HttpOnly") && c.contains("Secure") && c.contains("SameSite=Lax"));
        assert!(c.contains("Max-Age=3600"));
        let framed = set_cookie("ab", 3_600_000, true);
        assert!(framed
            .to_str()
            .unwrap_or_default()
            .contains("SameSite=None"));
    }
}
