//! A webhook's signing secret: read it (with any previous one still
//! signing), rotate it (the old one keeps signing for 24 hours, so
//! receivers can switch without losing a delivery).

use super::super::access::{OrgAccess, WebhooksWrite};
use super::super::{ApiError, AppState, Path};
use super::owned;
use crate::clock::{now_ms, rfc3339_ms};
use crate::model::Secret;
use crate::sign::public_key;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// How long a rotated-out secret keeps signing.
pub const ROTATION_GRACE_MS: i64 = 24 * 3600 * 1000;

/// A previous secret that still signs.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviousSecret {
    /// `whsec_…` (or `whsk_…` with ed25519).
    pub secret: String,
    /// With ed25519, its public key (`whpk_…`); `null` otherwise.
    pub public_key: Option<String>,
    /// When it stops signing, RFC 3339.
    pub expires_at: String,
}

/// A webhook's secrets.
#[derive(Debug, Serialize, ToSchema)]
pub struct Secrets {
    /// The current secret, `whsec_…` (or the `whsk_…` signing key with ed25519).
    pub secret: String,
    /// With ed25519, the current key's public key (`whpk_…`): what
    /// receivers verify with; `null` otherwise.
    pub public_key: Option<String>,
    /// Previous secrets still signing during their grace period.
    pub previous: Vec<PreviousSecret>,
}

/// The answer to a rotation.
#[derive(Debug, Serialize, ToSchema)]
pub struct Rotated {
    /// The new secret, `whsec_…` (or `whsk_…` with ed25519).
    pub secret: String,
    /// With ed25519, the new key's public key (`whpk_…`); `null` otherwise.
    pub public_key: Option<String>,
    /// When the previous secret stops signing, RFC 3339.
    pub previous_expires_at: String,
}

/// Reads the current secret (and any previous one still signing).
#[utoipa::path(get, path = "/v1/orgs/{org}/webhooks/{id}/secret", tag = "webhooks",
    params(("org" = String, Path), ("id" = String, Path)),
    responses((status = 200, description = "The secrets", body = Secrets)))]
pub async fn read(
    state: AppState,
    access: OrgAccess<WebhooksWrite>,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<Secrets>, ApiError> {
    let w = owned(&state, &access.org, &id).await?;
    let now = now_ms();
    let previous = w
        .secrets
        .iter()
        .skip(1)
        .filter_map(|s| {
            let expires = s.expires_at_ms.filter(|e| *e > now)?;
            Some(PreviousSecret {
                secret: s.value.clone(),
                public_key: public_key(&s.value),
                expires_at: rfc3339_ms(expires),
            })
        })
        .collect();
    let secret = w
        .secrets
        .first()
        .map(|s| s.value.clone())
        .ok_or_else(|| ApiError::internal(format!("webhook {id} has no secret")))?;
    Ok(Json(Secrets {
        public_key: public_key(&secret),
        secret,
        previous,
    }))
}

/// Rotates the secret: the new one signs at once, the old one 24 h more.
#[utoipa::path(post, path = "/v1/orgs/{org}/webhooks/{id}/rotate-secret", tag = "webhooks",
    params(("org" = String, Path), ("id" = String, Path)),
    responses((status = 200, description = "Rotated", body = Rotated)))]
pub async fn rotate(
    state: AppState,
    access: OrgAccess<WebhooksWrite>,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<Rotated>, ApiError> {
    let previous = owned(&state, &access.org, &id).await?;
    let now = now_ms();
    let mut w = previous.clone();
    let mut old: Vec<Secret> = w
        .secrets
        .drain(..)
        .filter(|s| s.expires_at_ms.is_none_or(|e| e > now))
        .collect();
    for s in &mut old {
        s.expires_at_ms.get_or_insert(now + ROTATION_GRACE_MS);
    }
    let fresh = w.signature.new_secret();
    w.secrets = std::iter::once(Secret {
        value: fresh.clone(),
        expires_at_ms: None,
    })
    .chain(old)
    .collect();
    w.updated_at = crate::clock::now_rfc3339();
    state.store.put_webhook(&w, Some(&previous)).await?;
    state.webhooks.invalidate(&id);
    Ok(Json(Rotated {
        public_key: public_key(&fresh),
        secret: fresh,
        previous_expires_at: rfc3339_ms(now + ROTATION_GRACE_MS),
    }))
}
