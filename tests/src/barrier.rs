//! A barrier for asserting that something did *not* happen.
//!
//! "Wait a while, then check nothing arrived" passes when the worker is
//! slow and proves nothing. Instead: publish a sentinel event to a webhook of
//! its own, queued behind whatever must not be delivered, and wait until the
//! sentinel arrives. Herald's queue is worked in order, so by then the
//! worker has taken everything queued before it, and an absence checked now
//! means something.
//!
//! For what waits in the retry schedule, the sentinel waits there too:
//! [`Barrier::after_retry`] makes its receiver fail the sentinel's first
//! attempt, so the sentinel is delivered on a retry due `delay` later,
//! behind any retry due earlier.

use crate::api::Api;
use crate::receiver::{Answer, Receiver};
use crate::tls::TestCa;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// The sentinel's event type; no test's webhook subscribes to it.
const SENTINEL: &str = "test.barrier";

/// A webhook of its own and its receiver.
pub struct Barrier {
    receiver: Receiver,
    org: String,
    /// Requests per sentinel (2 when the first attempt fails).
    per_pass: usize,
    passed: usize,
}

impl Barrier {
    /// A barrier whose sentinel is delivered at once.
    pub async fn new(api: &Api, org: &str, ca: &TestCa) -> Self {
        Self::create(api, org, ca, None).await
    }

    /// A barrier whose sentinel is delivered on its first retry, `delay`
    /// (a Herald duration like `"500ms"`) after its first attempt. Choose a
    /// delay at least as long as the retry whose absence is checked.
    pub async fn after_retry(api: &Api, org: &str, ca: &TestCa, delay: &str) -> Self {
        Self::create(api, org, ca, Some(delay)).await
    }

    async fn create(api: &Api, org: &str, ca: &TestCa, delay: Option<&str>) -> Self {
        let answer: Answer = match delay {
            None => Arc::new(|_, _| (200, vec![], Duration::ZERO)),
            // Even requests are first attempts: fail them.
            Some(_) => {
                Arc::new(|n, _| (if n % 2 == 0 { 500 } else { 200 }, vec![], Duration::ZERO))
            }
        };
        let receiver = Receiver::start(Some(ca.server.clone()), answer).await;
        let schedule = delay.map_or_else(Vec::new, |d| vec![d.to_string()]);
        api.webhook(
            org,
            json!({"name": "barrier", "url": receiver.url(), "active": true,
                   "triggers": [{"event": SENTINEL}], "retry": {"schedule": schedule}}),
        )
        .await;
        Barrier {
            receiver,
            org: org.to_string(),
            per_pass: if delay.is_some() { 2 } else { 1 },
            passed: 0,
        }
    }

    /// Publishes a sentinel and waits (up to `timeout`) until it is delivered.
    pub async fn pass(&mut self, api: &Api, timeout: Duration) {
        self.passed += 1;
        let answer = api
            .publish(
                &self.org,
                json!({"type": SENTINEL, "data": {"sentinel": self.passed}}),
            )
            .await;
        assert_eq!(
            answer["deliveries"], 1,
            "the barrier webhook got the sentinel"
        );
        let got = self
            .receiver
            .wait_for(self.passed * self.per_pass, timeout)
            .await;
        assert_eq!(
            got.last().map(|r| r.json()["data"]["sentinel"].clone()),
            Some(json!(self.passed)),
            "sentinels arrive one at a time"
        );
    }
}
