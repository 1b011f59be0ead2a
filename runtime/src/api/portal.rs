//! One-time links into the dashboard for an org's own users:
//! `POST /v1/orgs/{org}/portal-sessions`. The platform's backend asks for a
//! link with its key and hands it to its customer (in an iframe or a new
//! tab); opening it starts a browser session bound to that org, read-only
//! if asked, ending at `expires_at`. The customer never sees an API key.
//!
//! The link carries its secret in the URL fragment (`/ui/portal#code=…`),
//! which browsers never send to a server or put in a `Referer`; the page
//! exchanges it once for a session cookie (`POST /ui/session/portal`).

use super::access::{Caller, OrgAccess, WebhooksRead};
use super::session::{hash, new_secret, portal_permissions, PortalLink, PORTAL_LINK};
use super::{ApiError, AppState, OptionalBody};
use crate::clock::{now_ms, rfc3339_ms};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::ToSchema;

/// The longest a portal session may last.
pub const MAX_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

/// `POST /v1/orgs/{org}/portal-sessions` body (all optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortalInput {
    /// The session may look but not change anything (default `false`).
    pub read_only: Option<bool>,
    /// How long the link and the session it opens last, from now: 1m to 7d
    /// (default `1h`).
    #[schema(example = "1h")]
    pub expires_in: Option<String>,
}

/// A portal link.
#[derive(Debug, Serialize, ToSchema)]
pub struct PortalLinkView {
    /// The one-time URL to open (in an iframe or a new tab). Its origin is
    /// `HERALD_PUBLIC_URL`, or else the `Host` this request was sent to.
    #[schema(example = "https://herald.example.com/ui/portal#code=3f9a…")]
    pub url: String,
    /// The same link without origin.
    pub path: String,
    /// The org it is bound to.
    pub org: String,
    /// Whether the session is read-only.
    pub read_only: bool,
    /// When the link and its session end (RFC 3339).
    pub expires_at: String,
}

/// Creates a one-time link opening a dashboard session bound to this org
/// (webhooks and logs; read-only if asked). The session never holds more
/// than the caller's key: a key without `webhooks:write` makes read-only
/// links.
#[utoipa::path(post, path = "/v1/orgs/{org}/portal-sessions", tag = "portal",
    params(("org" = String, Path)), request_body(content = Option<PortalInput>),
    responses((status = 201, description = "The link", body = PortalLinkView)))]
pub async fn create(
    state: AppState,
    access: OrgAccess<WebhooksRead>,
    headers: HeaderMap,
    OptionalBody(input): OptionalBody<PortalInput>,
) -> Result<(StatusCode, Json<PortalLinkView>), ApiError> {
    let input = input.unwrap_or_default();
    super::orgs::require(&state, &access.org).await?;
    let lifetime = match &input.expires_in {
        None => Duration::from_secs(3600),
        Some(text) => crate::model::duration::parse(text)
            .ok()
            .filter(|d| (Duration::from_secs(60)..=MAX_LIFETIME).contains(d))
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "`expires_in`: {text:?} is not a duration from 1m to 7d, like \"1h\""
                ))
            })?,
    };
    let held = match &access.caller {
        Caller::Operator => None,
        Caller::Key { permissions, .. } => Some(permissions.as_slice()),
    };
    let read_only = input.read_only.unwrap_or(false);
    let link = PortalLink {
        org: access.org.clone(),
        permissions: portal_permissions(held, read_only),
        read_only: read_only
            || !portal_permissions(held, false).contains(&super::Permission::WebhooksWrite),
        expires_at_ms: now_ms() + lifetime.as_millis() as i64,
    };
    let code = new_secret();
    state
        .store
        .put_ui_session(
            PORTAL_LINK,
            &hash(&code),
            &link,
            lifetime.as_millis() as i64,
        )
        .await?;
    super::audit::record::change(
        &access.org,
        None,
        Some(serde_json::json!({
            "read_only": link.read_only,
            "permissions": link.permissions,
            "expires_at": rfc3339_ms(link.expires_at_ms),
        })),
    );
    let path = format!("/ui/portal#code={code}");
    let origin = match &state.settings.public_url {
        Some(base) => base.trim_end_matches('/').to_string(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .filter(|h| {
                    h.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
                })
                .unwrap_or("localhost");
            format!("http://{host}")
        }
    };
    Ok((
        StatusCode::CREATED,
        Json(PortalLinkView {
            url: format!("{origin}{path}"),
            path,
            org: link.org,
            read_only: link.read_only,
            expires_at: rfc3339_ms(link.expires_at_ms),
        }),
    ))
}
