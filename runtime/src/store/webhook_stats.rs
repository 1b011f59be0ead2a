//! A webhook's hourly counters and last attempt, as the stats API reads
//! them (the outcome writer keeps them: [`super::outcomes`]).

use super::{now_ms, Store, StoreError};
use std::collections::HashMap;

/// Hours of counters kept per webhook (8 days; the API reports up to 7).
pub const STATS_HOURS: i64 = 8 * 24;

/// What [`Store::webhook_stats`] returns.
#[derive(Debug)]
pub struct WebhookStats<const N: usize> {
    /// One per window asked for.
    pub windows: [Window; N],
    /// Each hour's counters, this hour first, as far back as the longest window.
    pub hours: Vec<HashMap<String, i64>>,
    /// The last attempt.
    pub last: Option<LastAttempt>,
}

/// Counters of one stats window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Window {
    /// Deliveries created in the window (events that reached the webhook).
    pub events: i64,
    /// Summed hourly counters (`succeeded`, `dead`, `attempts`, `err:<class>`, …).
    pub counters: HashMap<String, i64>,
}

/// A webhook's last attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastAttempt {
    /// RFC 3339.
    pub at: String,
    /// The delivery status it left.
    pub status: String,
    /// The response status, if any.
    pub status_code: Option<u16>,
}

impl Store {
    /// A webhook's counters over the last `hours` of each window, each
    /// hour's counters (this hour first), and its last attempt; in one
    /// round trip.
    pub async fn webhook_stats<const N: usize>(
        &self,
        org: &str,
        webhook_id: &str,
        windows: [i64; N],
    ) -> Result<WebhookStats<N>, StoreError> {
        let k = &self.keys;
        let now = now_ms();
        let hour = now / 3_600_000;
        let longest = windows.iter().copied().max().unwrap_or(0);
        let mut pipe = redis::pipe();
        for h in 0..longest {
            pipe.hgetall(k.webhook_stats(org, webhook_id, hour - h));
        }
        for hours in windows {
            pipe.cmd("ZCOUNT")
                .arg(k.webhook_deliveries(org, webhook_id))
                .arg(now - hours * 3_600_000)
                .arg("+inf");
        }
        pipe.hgetall(k.webhook_last(org, webhook_id));
        let mut replies: Vec<redis::Value> = pipe.query_async(&mut self.con()).await?;
        let last: HashMap<String, String> =
            redis::from_redis_value(replies.pop().unwrap_or(redis::Value::Nil))?;
        let events: Vec<i64> = replies
            .split_off(longest as usize)
            .into_iter()
            .map(redis::from_redis_value)
            .collect::<Result<_, _>>()?;
        let buckets: Vec<HashMap<String, i64>> = replies
            .into_iter()
            .map(redis::from_redis_value)
            .collect::<Result<_, _>>()?;
        let result = std::array::from_fn(|i| {
            let mut counters: HashMap<String, i64> = HashMap::new();
            for bucket in buckets.iter().take(windows[i] as usize) {
                for (name, n) in bucket {
                    *counters.entry(name.clone()).or_default() += n;
                }
            }
            Window {
                events: events.get(i).copied().unwrap_or(0),
                counters,
            }
        });
        let last = last.get("at").map(|at| LastAttempt {
            at: at.clone(),
            status: last.get("status").cloned().unwrap_or_default(),
            status_code: last.get("status_code").and_then(|c| c.parse().ok()),
        });
        Ok(WebhookStats {
            windows: result,
            hours: buckets,
            last,
        })
    }
}
