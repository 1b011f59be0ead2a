//! When the next attempt happens: the webhook's schedule with ±20% jitter,
//! and a receiver's `Retry-After` on 429 / 503, bounded (never sooner than
//! the schedule, never later than the configured cap).

use rand::Rng;
use std::time::{Duration, SystemTime};

/// The delay before retry number `retry` (1-based: after the first failed
/// attempt comes retry 1), or `None` when the schedule is spent.
pub fn scheduled_delay(schedule: &[Duration], retry: usize) -> Option<Duration> {
    schedule.get(retry.checked_sub(1)?).copied()
}

/// `delay` with ±20% jitter, so retries of many deliveries spread out.
pub fn jittered(delay: Duration) -> Duration {
    let factor = rand::rng().random_range(0.8..=1.2);
    delay.mul_f64(factor)
}

/// Parses a `Retry-After` value: delay-seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

fn httpdate(value: &str) -> Option<SystemTime> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let dt = time::PrimitiveDateTime::parse(value, &format)
        .ok()?
        .assume_utc();
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(dt.unix_timestamp()).ok()?))
}

/// The delay to use: the jittered schedule delay, raised to the receiver's
/// `Retry-After` when it asks for longer, capped at `cap`.
pub fn next_delay(scheduled: Duration, retry_after: Option<Duration>, cap: Duration) -> Duration {
    let base = jittered(scheduled);
    match retry_after {
        Some(asked) if asked > base => asked.min(cap).max(base),
        _ => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_positions() {
        let s = [Duration::from_secs(5), Duration::from_secs(300)];
        assert_eq!(scheduled_delay(&s, 1), Some(Duration::from_secs(5)));
        assert_eq!(scheduled_delay(&s, 2), Some(Duration::from_secs(300)));
        assert_eq!(scheduled_delay(&s, 3), None);
        assert_eq!(scheduled_delay(&s, 0), None);
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        for _ in 0..1000 {
            let d = jittered(Duration::from_secs(100));
            assert!(
                d >= Duration::from_secs(80) && d <= Duration::from_secs(120),
                "{d:?}"
            );
        }
    }

    #[test]
    fn retry_after_is_bounded() {
        let cap = Duration::from_secs(3600);
        // Sooner than the schedule: the schedule wins.
        let d = next_delay(Duration::from_secs(300), Some(Duration::from_secs(1)), cap);
        assert!(d >= Duration::from_secs(240));
        // Later: honoured.
        assert_eq!(
            next_delay(Duration::from_secs(5), Some(Duration::from_secs(600)), cap),
            Duration::from_secs(600)
        );
        // Beyond the cap: capped.
        assert_eq!(
            next_delay(
                Duration::from_secs(5),
                Some(Duration::from_secs(99_999)),
                cap
            ),
            cap
        );
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777 - 60);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
