//! Plugins that keep hitting the host's limits are paused, per webhook.
//!
//! A call that runs out of CPU time, memory or output room costs the host
//! its whole budget (50 ms of a core for an endless loop, by default), and
//! a trap (a panic) costs a fresh instance; either will most likely happen
//! again on the next event. After
//! [`STRIKES`] such failures in a row of one plugin on one webhook, the
//! plugin is paused there: attempts that need it fail at once with the
//! same class and message and a note saying so, costing nothing, for 30 s,
//! then twice as long after each further failure, up to 10 minutes. When
//! the pause ends the plugin runs again; a call that ends well clears
//! everything. The plugin's own typed error (it refused the event or its
//! config) and input the host refused never pause it. Per process, in
//! memory: a restart forgets.

use super::CallError;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Limit failures in a row that pause a plugin on a webhook.
pub const STRIKES: u32 = 3;

/// The first pause; each further one doubles, up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_secs(30);

/// The longest pause.
const MAX_PAUSE: Duration = Duration::from_secs(600);

#[derive(Debug, Default)]
struct Record {
    strikes: u32,
    pauses: u32,
    paused_until: Option<Instant>,
    last: String,
}

/// The paused plugins of this process, by webhook and plugin reference.
#[derive(Debug, Default)]
pub struct Quarantine {
    records: Mutex<HashMap<(String, String), Record>>,
}

impl Quarantine {
    /// An empty quarantine.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Record>> {
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// If `plugin` is paused on `webhook` at `now`, the failure to report
    /// instead of calling it.
    pub fn paused(&self, webhook: &str, plugin: &str, now: Instant) -> Option<String> {
        let records = self.lock();
        if records.is_empty() {
            return None;
        }
        let r = records.get(&(webhook.to_string(), plugin.to_string()))?;
        let until = r.paused_until.filter(|u| *u > now)?;
        Some(format!(
            "{} [not run: it failed like this {} times in a row on this webhook; paused for {}s more]",
            r.last,
            r.strikes,
            (until - now).as_secs().max(1)
        ))
    }

    /// Notes how a call of `plugin` on `webhook` ended (`failure`: its
    /// error and the message reported for it). Returns the pause it now
    /// starts, if any.
    pub fn record(
        &self,
        webhook: &str,
        plugin: &str,
        failure: Option<(&CallError, &str)>,
        now: Instant,
    ) -> Option<Duration> {
        let mut records = self.lock();
        let Some((error, message)) = failure.filter(|(e, _)| costly(e)) else {
            if failure.is_none() && !records.is_empty() {
                records.remove(&(webhook.to_string(), plugin.to_string()));
            }
            return None;
        };
        let r = records
            .entry((webhook.to_string(), plugin.to_string()))
            .or_default();
        r.strikes += 1;
        r.last = message.to_string();
        if r.strikes < STRIKES {
            return None;
        }
        let pause = FIRST_PAUSE
            .saturating_mul(1 << r.pauses.min(10))
            .min(MAX_PAUSE);
        r.pauses += 1;
        r.paused_until = Some(now + pause);
        tracing::warn!(
            webhook,
            plugin,
            "plugin paused on this webhook for {pause:?} after {} failures in a row ({})",
            r.strikes,
            error.class()
        );
        Some(pause)
    }
}

/// Failures that spend a whole limit or an instance.
fn costly(e: &CallError) -> bool {
    matches!(
        e,
        CallError::DeadlineExceeded(_)
            | CallError::OutOfMemory { .. }
            | CallError::OutputTooLarge { .. }
            | CallError::Trap(_)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::GuestError;

    const LOOP: CallError = CallError::DeadlineExceeded(Duration::from_millis(50));

    #[test]
    fn three_limit_failures_in_a_row_pause_the_plugin_on_that_webhook_only() {
        let q = Quarantine::new();
        let t0 = Instant::now();
        for _ in 0..STRIKES - 1 {
            assert_eq!(q.record("w", "p", Some((&LOOP, "p: deadline")), t0), None);
            assert_eq!(q.paused("w", "p", t0), None);
        }
        assert_eq!(
            q.record("w", "p", Some((&LOOP, "p: deadline")), t0),
            Some(FIRST_PAUSE)
        );
        let said = q.paused("w", "p", t0).expect("paused");
        assert!(
            said.starts_with("p: deadline [not run: it failed like this 3 times"),
            "{said}"
        );
        assert_eq!(q.paused("other", "p", t0), None, "per webhook");
        assert_eq!(q.paused("w", "q", t0), None, "per plugin");
        // The pause ends; a further failure pauses twice as long.
        let t1 = t0 + FIRST_PAUSE;
        assert_eq!(q.paused("w", "p", t1), None);
        assert_eq!(
            q.record("w", "p", Some((&LOOP, "p: deadline")), t1),
            Some(FIRST_PAUSE * 2)
        );
        // A call that ends well clears everything.
        q.record("w", "p", None, t1);
        assert_eq!(q.paused("w", "p", t1), None);
        assert!(q.lock().is_empty());
    }

    #[test]
    fn answers_of_the_plugin_itself_never_pause() {
        let q = Quarantine::new();
        let t0 = Instant::now();
        let refused = CallError::Guest(GuestError::InvalidEvent("no total".into()));
        let too_big = CallError::InputTooLarge { size: 10, limit: 1 };
        for _ in 0..10 {
            assert_eq!(q.record("w", "p", Some((&refused, "p: guest")), t0), None);
            assert_eq!(q.record("w", "p", Some((&too_big, "p: input")), t0), None);
        }
        assert_eq!(q.paused("w", "p", t0), None);
        // A panic costs an instance: it counts.
        let panic = CallError::Trap("fixture panic".into());
        for _ in 0..STRIKES {
            q.record("w", "p", Some((&panic, "p: trap")), t0);
        }
        assert!(q.paused("w", "p", t0).is_some());
    }
}
