//! Failed authentications (a key presented and refused) per client address: past
//! `auth_failures_per_minute` in a sliding minute, a request with a wrong
//! key gets `429` with `Retry-After` instead of `401`. A valid key is still
//! checked and accepted, so a flood of bad keys from a shared address (a
//! NAT, a proxy) never locks a valid caller out; the limit only stops the
//! flood from learning anything or costing more than a refusal.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The window failures are counted in.
const WINDOW: Duration = Duration::from_secs(60);
/// Addresses remembered at most; the oldest windows go first past it.
const MAX_ADDRESSES: usize = 100_000;

/// Counts failed authentications per address.
#[derive(Debug)]
pub struct AuthLimiter {
    per_minute: u32,
    failures: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl AuthLimiter {
    /// A limiter allowing `per_minute` failures per address.
    pub fn new(per_minute: u32) -> Self {
        AuthLimiter {
            per_minute,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Records a failure from `addr`; `Some(seconds)` to wait when the
    /// address is over its limit.
    pub fn failed(&self, addr: IpAddr) -> Option<u64> {
        let now = Instant::now();
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if failures.len() >= MAX_ADDRESSES && !failures.contains_key(&addr) {
            failures.retain(|_, (since, _)| now.duration_since(*since) < WINDOW);
            if failures.len() >= MAX_ADDRESSES {
                // Still full of live windows: forget one.
                if let Some(oldest) = failures
                    .iter()
                    .min_by_key(|(_, (s, _))| *s)
                    .map(|(a, _)| *a)
                {
                    failures.remove(&oldest);
                }
            }
        }
        let entry = failures.entry(addr).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        (entry.1 > self.per_minute).then(|| {
            let left = WINDOW.saturating_sub(now.duration_since(entry.0));
            left.as_secs().max(1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_applies_per_address() {
        let limiter = AuthLimiter::new(3);
        let (a, b): (IpAddr, IpAddr) = (
            "10.0.0.1".parse().unwrap_or(IpAddr::from([0; 4])),
            IpAddr::from([10, 0, 0, 2]),
        );
        assert_eq!(limiter.failed(a), None);
        assert_eq!(limiter.failed(a), None);
        assert_eq!(limiter.failed(a), None);
        let wait = limiter.failed(a);
        assert!(wait.is_some_and(|s| (1..=60).contains(&s)), "{wait:?}");
        assert_eq!(limiter.failed(b), None, "another address has its own count");
    }
}
