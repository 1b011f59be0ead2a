//! The scenarios herald-bench runs: what each publishes, to how many
//! webhooks, and how its receiver answers.

use std::time::Duration;

/// How a scenario's receiver speaks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tls {
    /// HTTPS offering no ALPN: HTTP/1.1.
    Http1,
    /// HTTPS offering `h2` and `http/1.1` by ALPN.
    Http2,
}

/// One scenario.
pub(crate) struct Scenario {
    pub(crate) name: &'static str,
    pub(crate) events: usize,
    pub(crate) webhooks: usize,
    pub(crate) plugins: bool,
    pub(crate) delay: Duration,
    pub(crate) fail_every: Option<u64>,
    /// Events per second offered; `None`: as fast as possible.
    pub(crate) rate: Option<f64>,
    /// Publish everything first (Herald with `--role api`), then start a
    /// `--role worker` process and measure it draining the backlog: the
    /// delivery path alone, without publishing competing for the cores.
    pub(crate) backlog: bool,
    /// Ordered delivery by `data.k`, over this many keys.
    pub(crate) ordering_keys: Option<u64>,
    /// A rate limit on the webhook (requests per second, and as burst).
    pub(crate) rate_limit: Option<u32>,
    /// An HTTPS receiver (Herald trusts its CA); `None`: plain HTTP.
    pub(crate) tls: Option<Tls>,
}

impl Scenario {
    /// `events` to one webhook without plugins, answered at once, as fast as possible.
    pub(crate) fn new(name: &'static str, events: usize) -> Self {
        Scenario {
            name,
            events,
            webhooks: 1,
            plugins: false,
            delay: Duration::ZERO,
            fail_every: None,
            rate: None,
            backlog: false,
            ordering_keys: None,
            rate_limit: None,
            tls: None,
        }
    }
}

/// Every scenario run by name; `events` is `--events`, `latency_rate` `--rate`.
pub(crate) fn all(events: usize, latency_rate: f64) -> Vec<Scenario> {
    vec![
        Scenario::new("plain", events),
        Scenario {
            plugins: true,
            ..Scenario::new("plugins", events / 2)
        },
        Scenario {
            webhooks: 100,
            ..Scenario::new("fanout", (events / 100).max(1))
        },
        Scenario {
            fail_every: Some(5),
            ..Scenario::new("failing", events / 2)
        },
        Scenario {
            delay: Duration::from_millis(200),
            ..Scenario::new("slow", events / 5)
        },
        Scenario {
            rate: Some(latency_rate),
            ..Scenario::new("latency", (events / 5).min(20_000))
        },
        Scenario {
            backlog: true,
            ..Scenario::new("drain", events)
        },
        Scenario {
            rate: Some(300.0),
            ..Scenario::new("steady", (events / 10).clamp(1, 9_000))
        },
        Scenario {
            ordering_keys: Some(100),
            ..Scenario::new("ordered", events / 2)
        },
        Scenario {
            rate_limit: Some(10_000),
            ..Scenario::new("limited", events / 2)
        },
        Scenario {
            tls: Some(Tls::Http1),
            ..Scenario::new("https", events / 2)
        },
        Scenario {
            tls: Some(Tls::Http2),
            ..Scenario::new("https-h2", events / 2)
        },
    ]
}
