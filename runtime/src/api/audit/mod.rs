//! The audit log: who changed what, when, from where. Every management
//! change through the API or the dashboard (orgs, keys, webhooks, secret
//! reads and rotations, plugins, the catalogue, retries and replays,
//! portal links and dashboard sessions) is recorded once ([`record`]); the
//! operator lists every org's entries, an org its own, with filters and
//! cursor paging. Entries are kept as long as delivery logs.

pub mod record;

use super::access::{KeysWrite, Operator, OrgAccess};
use super::page::Page;
use super::{ApiError, AppState, Query};
use crate::clock::parse_rfc3339_ms;
use crate::model::audit::AuditEntry;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

/// Filters and paging of the operator's audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only entries of this org.
    org: Option<String>,
    /// Only entries by this actor: a key's or session's id, or `operator`.
    #[param(example = "operator")]
    actor: Option<String>,
    /// Only entries of this action (`webhook.update`), or of every action
    /// of a resource (`webhook`).
    #[param(example = "webhook.update")]
    action: Option<String>,
    /// Only entries at or after this time (RFC 3339).
    #[param(example = "2026-01-31T00:00:00Z")]
    since: Option<String>,
    /// Only entries at or before this time (RFC 3339).
    #[param(example = "2026-01-31T23:59:59Z")]
    until: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^[0-9]{1,20}-[0-9]{1,20}$")]
    cursor: Option<String>,
}

/// Filters and paging of an org's audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrgAuditQuery {
    /// Only entries by this actor: a key's or session's id, or `operator`.
    actor: Option<String>,
    /// Only entries of this action (`webhook.update`), or of every action
    /// of a resource (`webhook`).
    action: Option<String>,
    /// Only entries at or after this time (RFC 3339).
    since: Option<String>,
    /// Only entries at or before this time (RFC 3339).
    until: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^[0-9]{1,20}-[0-9]{1,20}$")]
    cursor: Option<String>,
}

/// The operator's view: every org's entries (and the operator's global
/// changes), newest first.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, description = "A page of audit entries", body = Page<AuditEntry>)))]
pub async fn list(
    state: AppState,
    _: Operator,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Page<AuditEntry>>, ApiError> {
    let filter = Filter::new(q.actor, q.action, q.since, q.until, q.limit, q.cursor)?;
    page(&state, q.org.as_deref(), filter).await
}

/// An org's own entries, newest first.
#[utoipa::path(get, path = "/v1/orgs/{org}/audit", tag = "audit",
    params(("org" = String, Path), OrgAuditQuery),
    responses((status = 200, description = "A page of the org's audit entries", body = Page<AuditEntry>)))]
pub async fn org_list(
    state: AppState,
    access: OrgAccess<KeysWrite>,
    Query(q): Query<OrgAuditQuery>,
) -> Result<Json<Page<AuditEntry>>, ApiError> {
    let filter = Filter::new(q.actor, q.action, q.since, q.until, q.limit, q.cursor)?;
    super::orgs::require(&state, &access.org).await?;
    page(&state, Some(&access.org), filter).await
}

/// A list request, checked.
struct Filter {
    actor: Option<String>,
    action: Option<String>,
    since_ms: Option<i64>,
    until_ms: Option<i64>,
    limit: usize,
    cursor: Option<String>,
}

impl Filter {
    fn new(
        actor: Option<String>,
        action: Option<String>,
        since: Option<String>,
        until: Option<String>,
        limit: Option<usize>,
        cursor: Option<String>,
    ) -> Result<Self, ApiError> {
        let time = |name: &str, t: Option<String>| {
            t.map(|t| parse_rfc3339_ms(&t).map_err(|e| ApiError::invalid(format!("`{name}`: {e}"))))
                .transpose()
        };
        let limit = super::page::PageQuery {
            limit,
            cursor: None,
        }
        .limit()?;
        if let Some(c) = cursor.as_deref().filter(|c| !is_entry_id(c)) {
            return Err(ApiError::invalid(format!(
                "`cursor` {c:?} is not a cursor this API returned (like 1767225600000-0)"
            )));
        }
        Ok(Filter {
            actor,
            action,
            since_ms: time("since", since)?,
            until_ms: time("until", until)?,
            limit,
            cursor,
        })
    }

    fn keeps(&self, entry: &AuditEntry) -> bool {
        let actor_ok = self
            .actor
            .as_deref()
            .is_none_or(|a| entry.actor.id.as_deref() == Some(a) || entry.actor.kind.as_str() == a);
        let action_ok = self.action.as_deref().is_none_or(|a| {
            entry.action == a
                || entry
                    .action
                    .strip_prefix(a)
                    .is_some_and(|rest| rest.starts_with('.'))
        });
        actor_ok && action_ok
    }
}

/// An audit entry id: `<ms>-<seq>`.
fn is_entry_id(id: &str) -> bool {
    id.split_once('-').is_some_and(|(ms, seq)| {
        [ms, seq]
            .iter()
            .all(|n| !n.is_empty() && n.len() <= 20 && n.parse::<u64>().is_ok())
    })
}

async fn page(
    state: &AppState,
    org: Option<&str>,
    filter: Filter,
) -> Result<Json<Page<AuditEntry>>, ApiError> {
    let scan = state
        .store
        .audit_page(
            org,
            filter.cursor.as_deref(),
            (filter.since_ms, filter.until_ms),
            filter.limit,
            |e| filter.keeps(e),
        )
        .await?;
    Ok(Json(Page {
        items: scan.entries,
        next_cursor: scan.next,
    }))
}
