//! Per-webhook stats over the last 24 hours and 7 days, and hour by hour
//! over the last 24 (for a chart), from the hourly counters the outcome
//! writer keeps.

use super::access::{LogsRead, OrgAccess};
use super::webhooks::owned;
use super::{ApiError, AppState, Path};
use crate::store::webhook_stats::Window;
use axum::Json;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Counters over one window.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsWindow {
    /// Deliveries created (events that reached the webhook).
    pub events: i64,
    /// Deliveries that succeeded.
    pub succeeded: i64,
    /// Deliveries that died.
    pub dead: i64,
    /// Deliveries a filter dropped.
    pub filtered: i64,
    /// Attempts made.
    pub attempts: i64,
    /// Retries scheduled.
    pub retries: i64,
    /// succeeded / (succeeded + dead); `null` when both are 0.
    pub success_rate: Option<f64>,
    /// Mean duration of an attempt in milliseconds (plugins, connection
    /// and response included); `null` without attempts.
    pub mean_latency_ms: Option<f64>,
    /// Failed attempts by error class (`timeout`, `connect`, `dns`, `tls`,
    /// `status`, `plugin`, `blocked`).
    pub errors: BTreeMap<String, i64>,
}

impl From<Window> for StatsWindow {
    fn from(w: Window) -> Self {
        let get = |k: &str| w.counters.get(k).copied().unwrap_or(0);
        let (ok, dead) = (get("succeeded"), get("dead"));
        StatsWindow {
            events: w.events,
            succeeded: ok,
            dead,
            filtered: get("filtered"),
            attempts: get("attempts"),
            retries: get("retries"),
            success_rate: (ok + dead > 0).then(|| ok as f64 / (ok + dead) as f64),
            mean_latency_ms: (get("attempts") > 0).then(|| {
                (get("duration_us") as f64 / get("attempts") as f64 / 100.0).round() / 10.0
            }),
            errors: w
                .counters
                .iter()
                .filter_map(|(k, v)| k.strip_prefix("err:").map(|c| (c.to_string(), *v)))
                .collect(),
        }
    }
}

/// One hour's counters, for a chart.
#[derive(Debug, Serialize, ToSchema)]
pub struct HourStats {
    /// The hour's start (RFC 3339).
    pub hour: String,
    /// Deliveries that succeeded.
    pub succeeded: i64,
    /// Deliveries that died.
    pub dead: i64,
    /// Deliveries a filter dropped.
    pub filtered: i64,
    /// Attempts made.
    pub attempts: i64,
    /// Attempts that failed.
    pub failed_attempts: i64,
}

/// The last attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct LastAttempt {
    /// RFC 3339.
    pub at: String,
    /// The delivery status it left.
    pub status: String,
    /// The response status, if a response came.
    pub status_code: Option<u16>,
}

/// A webhook's stats.
#[derive(Debug, Serialize, ToSchema)]
pub struct Stats {
    /// The last 24 hours.
    #[serde(rename = "24h")]
    pub day: StatsWindow,
    /// The last 7 days.
    #[serde(rename = "7d")]
    pub week: StatsWindow,
    /// Each of the last 24 hours, oldest first (this hour last).
    pub hourly: Vec<HourStats>,
    /// The last attempt, if any in the last 8 days.
    pub last_attempt: Option<LastAttempt>,
}

/// Stats over 24 h and 7 d.
#[utoipa::path(get, path = "/v1/orgs/{org}/webhooks/{id}/stats", tag = "deliveries",
    params(("org" = String, Path), ("id" = String, Path, description = "The webhook")),
    responses((status = 200, description = "The stats", body = Stats)))]
pub async fn stats(
    state: AppState,
    access: OrgAccess<LogsRead>,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<Stats>, ApiError> {
    owned(&state, &access.org, &id).await?;
    let stats = state
        .store
        .webhook_stats(&access.org, &id, [24, 168])
        .await?;
    let [day, week] = stats.windows;
    let this_hour = crate::clock::now_ms() / 3_600_000;
    let hourly = stats
        .hours
        .iter()
        .take(24)
        .enumerate()
        .rev()
        .map(|(ago, c)| {
            let get = |k: &str| c.get(k).copied().unwrap_or(0);
            HourStats {
                hour: crate::clock::rfc3339_ms((this_hour - ago as i64) * 3_600_000),
                succeeded: get("succeeded"),
                dead: get("dead"),
                filtered: get("filtered"),
                attempts: get("attempts"),
                failed_attempts: c
                    .iter()
                    .filter(|(k, _)| k.starts_with("err:"))
                    .map(|(_, v)| v)
                    .sum(),
            }
        })
        .collect();
    let last = stats.last;
    Ok(Json(Stats {
        day: day.into(),
        week: week.into(),
        hourly,
        last_attempt: last.map(|l| LastAttempt {
            at: l.at,
            status: l.status,
            status_code: l.status_code,
        }),
    }))
}
