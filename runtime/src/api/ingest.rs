//! The operator's view of the ingest stream's rejects: entries a producer
//! `XADD`ed that broke the input rules or named an unknown org, newest
//! first, with the reason and the entry's fields.

use super::access::Operator;
use super::{ApiError, AppState, Query};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// A rejected ingest stream entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedEntry {
    /// The rejection's id (pass as `before` to page on).
    pub id: String,
    /// The ingest stream entry id.
    pub entry: String,
    /// Why it was rejected.
    #[schema(example = "`data` must be a JSON object, e.g. {\"order_id\": 42}")]
    pub reason: String,
    /// The entry's fields as the producer sent them.
    pub fields: BTreeMap<String, String>,
}

/// Paging parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RejectedQuery {
    /// Entries to return, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
    /// Only entries older than this rejection id.
    before: Option<String>,
}

/// A page of rejected entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedPage {
    /// Newest first.
    pub items: Vec<RejectedEntry>,
    /// Pass as `before` for older entries; `null` when there are none.
    pub next_before: Option<String>,
}

fn valid_stream_id(id: &str) -> bool {
    let (ms, seq) = id.split_once('-').unwrap_or((id, "0"));
    !ms.is_empty()
        && ms.len() <= 20
        && ms.chars().all(|c| c.is_ascii_digit())
        && !seq.is_empty()
        && seq.len() <= 20
        && seq.chars().all(|c| c.is_ascii_digit())
}

/// Lists rejected ingest stream entries, newest first.
#[utoipa::path(get, path = "/v1/ingest/rejected", tag = "events", params(RejectedQuery),
    responses((status = 200, description = "Rejected entries", body = RejectedPage)))]
pub async fn rejected(
    state: AppState,
    _: Operator,
    Query(q): Query<RejectedQuery>,
) -> Result<Json<RejectedPage>, ApiError> {
    let limit = match q.limit {
        None => 50,
        Some(n) if (1..=500).contains(&n) => n,
        Some(n) => {
            return Err(ApiError::invalid(format!(
                "`limit` {n} must be between 1 and 500"
            )))
        }
    };
    if let Some(b) = q.before.as_deref().filter(|b| !valid_stream_id(b)) {
        return Err(ApiError::invalid(format!(
            "`before` {b:?} is not a rejection id like 1767225600000-0"
        )));
    }
    let found = state.store.rejected(q.before.as_deref(), limit).await?;
    let next_before = (found.len() == limit)
        .then(|| found.last().map(|r| r.id.clone()))
        .flatten();
    let items = found
        .into_iter()
        .map(|r| RejectedEntry {
            id: r.id,
            entry: r.entry,
            reason: r.reason,
            fields: r.fields.into_iter().collect(),
        })
        .collect();
    Ok(Json(RejectedPage { items, next_before }))
}
