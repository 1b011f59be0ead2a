//! Who is calling, and what they may do, as extractors: a handler states
//! its access in its signature (`OrgAccess<WebhooksWrite>`, `Operator`,
//! `AnyCaller`), so a route without a permission check does not compile.
//!
//! Callers are the operator (`HERALD_ADMIN_TOKEN`) or an org's API key
//! with permissions. Keys are `hk_<id>_<secret>`, stored as a SHA-256 of the
//! whole key and shown once. A key never reaches another org's data: such
//! a request is answered 404, exactly like an absent resource.

use super::ApiError;
use crate::app::App;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use std::marker::PhantomData;
use std::sync::Arc;

pub use super::caller::{hash_key, Caller, Permission, StoredKey};

/// Compares in constant time (`subtle`): the time taken does not depend on
/// where the inputs differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    a.ct_eq(b).into()
}

impl FromRequestParts<Arc<App>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let result = authenticate(parts, app).await;
        // Only a key presented and refused counts (a guess); a request
        // without one learns nothing and is answered 401 as always.
        let presented = parts
            .headers
            .contains_key(axum::http::header::AUTHORIZATION)
            || super::session::cookie(parts).is_some();
        if let Err(e) = &result {
            if presented && e.status() == axum::http::StatusCode::UNAUTHORIZED {
                let peer = parts
                    .extensions
                    .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                    .map(|c| c.0.ip());
                if let Some(wait) = peer.and_then(|ip| app.auth_failures.failed(ip)) {
                    return Err(ApiError::too_many_failures(wait));
                }
            }
        }
        if let Ok(caller) = &result {
            super::audit::record::caller(caller);
        }
        result
    }
}

/// The caller a request's key names (or, without an `Authorization`
/// header, its dashboard session: [`super::session`]); 401 when there is none.
async fn authenticate(parts: &Parts, app: &App) -> Result<Caller, ApiError> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if header.is_none() {
        if let Some(caller) = super::session::caller(parts, app).await? {
            return Ok(caller);
        }
    }
    let Some(key) = header
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
    else {
        return Err(ApiError::unauthorized("send `Authorization: Bearer <key>`"));
    };
    key_caller(app, key).await
}

/// The caller `key` names (the operator key or an org's API key); 401
/// when it names none.
pub async fn key_caller(app: &App, key: &str) -> Result<Caller, ApiError> {
    if let Some(token) = app.settings.admin_token.as_deref() {
        if constant_time_eq(token.as_bytes(), key.as_bytes()) {
            return Ok(Caller::Operator);
        }
    }
    let unknown = || ApiError::unauthorized("unknown or revoked key");
    let id = key
        .strip_prefix("hk_")
        .and_then(|rest| rest.split_once('_'))
        .map(|(id, _)| id)
        .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()))
        .ok_or_else(unknown)?;
    let stored: StoredKey = app.store.api_key(id).await?.ok_or_else(unknown)?;
    if !constant_time_eq(stored.sha256.as_bytes(), hash_key(key).as_bytes()) {
        return Err(unknown());
    }
    Ok(Caller::Key {
        org: stored.org,
        id: stored.id,
        permissions: stored.permissions,
    })
}

/// What an org-scoped route demands of a key (the operator may do anything).
pub trait Scope {
    /// The permission a key needs, or `None` when any key of the org will do.
    const PERMISSION: Option<Permission>;
}

macro_rules! scopes {
    ($($name:ident => $permission:expr, $doc:literal;)*) => {$(
        #[doc = $doc]
        #[derive(Debug)]
        pub struct $name;
        impl Scope for $name {
            const PERMISSION: Option<Permission> = $permission;
        }
    )*};
}

scopes! {
    WebhooksRead => Some(Permission::WebhooksRead), "Needs `webhooks:read`.";
    WebhooksWrite => Some(Permission::WebhooksWrite), "Needs `webhooks:write`.";
    EventsWrite => Some(Permission::EventsWrite), "Needs `events:write`.";
    LogsRead => Some(Permission::LogsRead), "Needs `logs:read`.";
    KeysWrite => Some(Permission::KeysWrite), "Needs `keys:write`.";
    Member => None, "Any key of the org.";
}

/// Access to the org named by the route's `{org}`, as `S` demands. A key
/// of another org gets a 404, as if the org did not exist.
#[derive(Debug)]
pub struct OrgAccess<S> {
    /// The org.
    pub org: String,
    /// Who is calling.
    pub caller: Caller,
    scope: PhantomData<S>,
}

impl<S: Scope> FromRequestParts<Arc<App>> for OrgAccess<S> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, app).await?;
        let params = RawPathParams::from_request_parts(parts, app)
            .await
            .map_err(|e| ApiError::invalid(format!("path: {}", e.body_text())))?;
        let org = params
            .iter()
            .find(|(name, _)| *name == "org")
            .map(|(_, value)| value.to_string())
            .ok_or_else(|| ApiError::internal("an org route without {org}"))?;
        match (&caller, S::PERMISSION) {
            (Caller::Operator, _) => {}
            (Caller::Key { org: own, .. }, _) if own != &org => {
                return Err(ApiError::not_found("org"))
            }
            (
                Caller::Key {
                    permissions, id, ..
                },
                Some(p),
            ) if !permissions.contains(&p) => {
                let who = if id.starts_with("ses_") {
                    "this session (read-only, or opened with a key without it)"
                } else {
                    "this key"
                };
                return Err(ApiError::forbidden(format!(
                    "{who} lacks the `{}` permission",
                    p.as_str()
                )));
            }
            (Caller::Key { .. }, _) => {}
        }
        super::audit::record::org(&org);
        Ok(OrgAccess {
            org,
            caller,
            scope: PhantomData,
        })
    }
}

/// The operator only.
#[derive(Debug)]
pub struct Operator;

impl FromRequestParts<Arc<App>> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        match Caller::from_request_parts(parts, app).await? {
            Caller::Operator => Ok(Operator),
            Caller::Key { .. } => Err(ApiError::forbidden("this route needs the operator key")),
        }
    }
}

/// Any valid key (the operator's or an org's).
#[derive(Debug)]
pub struct AnyCaller(pub Caller);

impl FromRequestParts<Arc<App>> for AnyCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        Caller::from_request_parts(parts, app).await.map(AnyCaller)
    }
}
