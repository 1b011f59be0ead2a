//! The per-webhook rate limit's shared state: a GCRA (generic cell rate
//! algorithm) in one Lua script over one key per webhook, on Redis's own
//! clock, so that every worker process draws from the same allowance.
//!
//! The key holds the theoretical arrival time (TAT, µs): the moment the
//! next request would be exactly on schedule. A request is admitted when
//! `now >= TAT - (burst - 1) * interval`, and then moves TAT on by one
//! interval; otherwise nothing changes and the script answers how long to
//! wait. Nothing is reserved for a refused caller: a delivery that waits
//! asks again, so a process that stops waiting (shut down, killed) leaves
//! no hole in the schedule.

use super::{Store, StoreError};
use crate::model::RateLimit;
use redis::Script;
use std::sync::LazyLock;
use std::time::Duration;

/// KEYS: 1 the webhook's rate key. ARGV: 1 interval µs, 2 burst.
/// Returns 0 (admitted) or the µs to wait before asking again.
static ADMIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local allowed_at = tat - (burst - 1) * interval
if now < allowed_at then return allowed_at - now end
tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', math.floor((tat - now) / 1000) + 1000)
return 0
",
    )
});

impl Store {
    /// Asks the shared limiter of webhook `id` (of `org`) for one request:
    /// `Duration::ZERO` when admitted, else how long to wait before asking
    /// again.
    pub async fn rate_admit(
        &self,
        org: &str,
        id: &str,
        limit: RateLimit,
    ) -> Result<Duration, StoreError> {
        let wait_us: u64 = ADMIT
            .key(self.keys.rate(org, id))
            .arg(limit.interval().as_micros() as u64)
            .arg(limit.burst)
            .invoke_async(&mut self.con())
            .await?;
        Ok(Duration::from_micros(wait_us))
    }
}
