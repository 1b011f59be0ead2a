//! A webhook's failures since its last success, for auto-disable
//! ([`crate::model::AutoDisable`]). Successes cost nothing extra: the
//! outcome writer already records each webhook's last attempt, and stamps
//! `ok_ms` there when one succeeded. A failed attempt (the rare path) runs
//! one script that starts a new run of failures if a success came after the
//! current run began, then counts the failure.

use super::{now_ms, Store, StoreError};
use crate::model::Health;
use redis::Script;
use std::sync::LazyLock;

/// How long a run of failures is remembered without a new one (longer than
/// any `no_success_for` that makes sense).
const HEALTH_TTL_SECS: i64 = 30 * 86_400;

/// KEYS: 1 the webhook's last-attempt hash, 2 its health hash.
/// ARGV: 1 now ms, 2 `1` when the delivery is now dead, 3 TTL seconds,
/// 4 the failed attempts that make the webhook `failing`.
/// Returns {dead in a row, failed attempts, failing since ms, 1 if it is
/// failing from this attempt on, 1 if a success ended a failing run that
/// nobody reported recovered}.
static FAILED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local ok = tonumber(redis.call('HGET', KEYS[1], 'ok_ms') or '0')
local since = tonumber(redis.call('HGET', KEYS[2], 'since_ms') or '0')
local unnoticed = 0
if since == 0 or ok >= since then
  if redis.call('HGET', KEYS[2], 'failing') == '1' then unnoticed = 1 end
  redis.call('HSET', KEYS[2], 'since_ms', ARGV[1], 'dead', 0, 'fails', 0, 'failing', 0)
  since = tonumber(ARGV[1])
end
local fails = redis.call('HINCRBY', KEYS[2], 'fails', 1)
local dead = tonumber(redis.call('HGET', KEYS[2], 'dead'))
if ARGV[2] == '1' then dead = redis.call('HINCRBY', KEYS[2], 'dead', 1) end
local now_failing = 0
if fails == tonumber(ARGV[4]) then
  redis.call('HSET', KEYS[2], 'failing', 1)
  now_failing = 1
end
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
return {dead, fails, since, now_failing, unnoticed}
",
    )
});

/// KEYS: 1 the webhook's health hash. Returns 1 if the webhook was
/// failing (and is no longer), else 0.
static RECOVERED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HGET', KEYS[1], 'failing') == '1' then
  redis.call('HSET', KEYS[1], 'failing', 0)
  return 1
end
return 0
",
    )
});

impl Store {
    /// Counts a failed attempt of webhook `id` (`dead`: its delivery is now
    /// dead) and answers its failures since its last success.
    pub async fn note_failure(
        &self,
        org: &str,
        id: &str,
        dead: bool,
    ) -> Result<Health, StoreError> {
        let (dead_in_a_row, failed_attempts, failing_since_ms, now_failing, unnoticed): (
            u64,
            u64,
            i64,
            u8,
            u8,
        ) = FAILED
            .key(self.keys.webhook_last(org, id))
            .key(self.keys.webhook_health(org, id))
            .arg(now_ms())
            .arg(u8::from(dead))
            .arg(HEALTH_TTL_SECS)
            .arg(crate::operational::FAILING_AFTER)
            .invoke_async(&mut self.con())
            .await?;
        Ok(Health {
            dead_in_a_row,
            failed_attempts,
            failing_since_ms,
            now_failing: now_failing == 1,
            recovered_unnoticed: unnoticed == 1,
        })
    }

    /// After a success of webhook `id`: whether it was failing (reported
    /// once: the first caller gets `true`).
    pub async fn note_recovery(&self, org: &str, id: &str) -> Result<bool, StoreError> {
        let was: u8 = RECOVERED
            .key(self.keys.webhook_health(org, id))
            .invoke_async(&mut self.con())
            .await?;
        Ok(was == 1)
    }

    /// Forgets webhook `id`'s failures (it was activated again).
    pub async fn reset_health(&self, org: &str, id: &str) -> Result<(), StoreError> {
        let _: () = redis::cmd("DEL")
            .arg(self.keys.webhook_health(org, id))
            .query_async(&mut self.con())
            .await?;
        Ok(())
    }
}
