//! Auto-disable: when a webhook keeps failing, Herald deactivates it
//! (`disabled_reason` says why) instead of retrying into a dead receiver
//! for ever. A webhook's own `auto_disable`, else its org's, else the
//! defaults here. Re-activating it starts its count afresh.

use super::duration as duration_str;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::ToSchema;

/// When a failing webhook is deactivated. Either rule alone is enough.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoDisable {
    /// Deactivate after this many deliveries in a row end `dead` with no
    /// success between them (0: never by this rule). Default 1000.
    #[serde(default = "AutoDisable::default_dead")]
    #[schema(example = 3, default = 1000, maximum = 1000000)]
    pub consecutive_dead: u32,
    /// Deactivate when no attempt has succeeded for this long since the
    /// first failure, once at least `min_attempts` attempts failed in that
    /// time (`null`: never by this rule). Default `"5d"`.
    #[serde(default = "AutoDisable::default_window", with = "duration_str::option")]
    #[schema(value_type = Option<String>, example = "5d", default = "5d")]
    pub no_success_for: Option<Duration>,
    /// Failed attempts needed, with `no_success_for`. Default 20.
    #[serde(default = "AutoDisable::default_min_attempts")]
    #[schema(example = 20, default = 20, maximum = 1000000)]
    pub min_attempts: u32,
}

impl Default for AutoDisable {
    fn default() -> Self {
        AutoDisable {
            consecutive_dead: Self::default_dead(),
            no_success_for: Self::default_window(),
            min_attempts: Self::default_min_attempts(),
        }
    }
}

/// A webhook's failures since its last success, as Redis counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Health {
    /// Deliveries ended `dead` since the last success.
    pub dead_in_a_row: u64,
    /// Attempts failed since the last success.
    pub failed_attempts: u64,
    /// When the first of those failed (Unix ms).
    pub failing_since_ms: i64,
    /// This failure made the webhook `failing` (reported once per run).
    pub now_failing: bool,
    /// A success ended an earlier failing run and nobody reported the
    /// recovery (report it now, late).
    pub recovered_unnoticed: bool,
}

impl AutoDisable {
    fn default_dead() -> u32 {
        1000
    }

    fn default_window() -> Option<Duration> {
        Some(Duration::from_secs(5 * 86_400))
    }

    fn default_min_attempts() -> u32 {
        20
    }

    /// The rule values must be in range; the message says what to fix.
    pub fn check(&self) -> Result<(), String> {
        for (field, value) in [
            ("consecutive_dead", self.consecutive_dead),
            ("min_attempts", self.min_attempts),
        ] {
            if value > 1_000_000 {
                return Err(format!(
                    "`auto_disable.{field}` must be at most 1000000, not {value}"
                ));
            }
        }
        if self
            .no_success_for
            .is_some_and(|d| d < Duration::from_secs(60))
        {
            return Err(
                "`auto_disable.no_success_for` must be at least 1m (or null: never)".into(),
            );
        }
        Ok(())
    }

    /// Why the webhook must be deactivated now, if it must.
    pub fn reason(&self, health: &Health, now_ms: i64) -> Option<String> {
        let dead = u64::from(self.consecutive_dead);
        if dead > 0 && health.dead_in_a_row >= dead {
            return Some(format!(
                "auto-disabled: {} deliveries in a row ended dead (auto_disable.consecutive_dead = {dead})",
                health.dead_in_a_row
            ));
        }
        let window = self.no_success_for?;
        let failing_for = now_ms.saturating_sub(health.failing_since_ms);
        if health.failed_attempts >= u64::from(self.min_attempts.max(1))
            && failing_for >= window.as_millis() as i64
        {
            return Some(format!(
                "auto-disabled: no attempt succeeded for {} ({} failed attempts; auto_disable.no_success_for = {}, min_attempts = {})",
                duration_str::format(&Duration::from_millis(failing_for as u64)),
                health.failed_attempts,
                duration_str::format(&window),
                self.min_attempts
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_rule_disables_and_zero_or_null_turns_one_off() {
        let rule = AutoDisable {
            consecutive_dead: 3,
            no_success_for: Some(Duration::from_secs(3600)),
            min_attempts: 5,
        };
        let h = |dead, failed, since| Health {
            dead_in_a_row: dead,
            failed_attempts: failed,
            failing_since_ms: since,
            ..Health::default()
        };
        let hour = 3_600_000;
        assert_eq!(rule.reason(&h(2, 2, 0), 10), None);
        assert!(rule
            .reason(&h(3, 3, 0), 10)
            .is_some_and(|r| r.contains("3 deliveries in a row")));
        assert_eq!(rule.reason(&h(0, 4, 0), 2 * hour), None, "too few attempts");
        assert_eq!(rule.reason(&h(0, 9, 0), hour - 1), None, "not long enough");
        assert!(rule
            .reason(&h(0, 5, 0), hour)
            .is_some_and(|r| r.contains("no attempt succeeded for 1h")));
        let off = AutoDisable {
            consecutive_dead: 0,
            no_success_for: None,
            min_attempts: 0,
        };
        assert_eq!(off.reason(&h(1000, 1000, 0), 100 * hour), None);
    }

    #[test]
    fn defaults_and_checks() {
        let d: AutoDisable = serde_json::from_str("{}").expect("defaults");
        assert_eq!(d, AutoDisable::default());
        let partial: AutoDisable =
            serde_json::from_str(r#"{"consecutive_dead": 3}"#).expect("partial");
        assert_eq!(
            partial.no_success_for,
            Some(Duration::from_secs(5 * 86_400))
        );
        let off: AutoDisable = serde_json::from_str(r#"{"no_success_for": null}"#).expect("null");
        assert_eq!(off.no_success_for, None);
        assert!(
            serde_json::from_str::<AutoDisable>(r#"{"no_success_for": "30s"}"#)
                .expect("parses")
                .check()
                .is_err()
        );
    }
}
