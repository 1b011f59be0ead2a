//! What an attempt says about its destination ([`Signal`], from its
//! record: [`signal_of`]) and which destination a URL is ([`key_of`]).

use std::time::Duration;

/// What an attempt said about its destination.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Signal {
    /// A 2xx.
    Success,
    /// The receiver answered something else that is not an overload or a
    /// server error (a 4xx): it is up.
    Answered,
    /// A 429: cut the limit; with the receiver's `Retry-After`, pause the
    /// destination. Not a failure of the receiver (it answered).
    Throttled(Option<Duration>),
    /// 503, timeout, connection, DNS or TLS failure: cut the limit (and
    /// pause on a 503's `Retry-After`), and count a failure.
    Overload(Option<Duration>),
    /// Another server error: counts toward opening the circuit.
    Failure,
    /// Nothing was sent (filtered, a plugin failed, blocked by policy), or
    /// the attempt moved to the slow lane (hanging receivers are bounded
    /// there, per webhook).
    NotSent,
}

/// The destination of a URL: its `host:port` (port by scheme when absent).
pub fn key_of(url: &str) -> String {
    let Ok(uri) = url.parse::<http::Uri>() else {
        return url.to_string();
    };
    let host = uri.host().unwrap_or_default().to_ascii_lowercase();
    let port = uri
        .port_u16()
        .unwrap_or(if uri.scheme_str() == Some("http") {
            80
        } else {
            443
        });
    format!("{host}:{port}")
}

/// What an attempt's record and ending say about its destination.
pub fn signal_of(
    attempt: Option<&crate::model::Attempt>,
    ending: &crate::attempt::Ending,
) -> Signal {
    use crate::attempt::Ending;
    use crate::model::ErrorClass;
    let retry_after = match ending {
        Ending::Delivered => return Signal::Success,
        Ending::Filtered(_) => return Signal::NotSent,
        Ending::Failed { retry_after, .. } => *retry_after,
    };
    let Some(attempt) = attempt else {
        return Signal::NotSent;
    };
    match attempt.error.as_ref().map(|e| e.class) {
        None | Some(ErrorClass::Plugin | ErrorClass::Blocked) => Signal::NotSent,
        Some(ErrorClass::Timeout | ErrorClass::Connect | ErrorClass::Dns | ErrorClass::Tls) => {
            Signal::Overload(None)
        }
        Some(ErrorClass::Protocol) => Signal::Failure,
        Some(ErrorClass::Status) => match attempt.status_code {
            Some(429) => Signal::Throttled(retry_after),
            Some(503) => Signal::Overload(retry_after),
            Some(code) if code >= 500 => Signal::Failure,
            _ => Signal::Answered,
        },
    }
}
