//! Contract `herald:plugin@0.1.0` (`wit/0.1.0/`): its bindings, its `log`
//! import (served by the same host code as 0.2.0's), and the conversions
//! between its values and 0.2.0's. A 0.1.0 error is never permanent: every
//! plugin error of that version is retried on the webhook's schedule, as
//! before 0.2.0 existed.

use super::{WitError, WitErrorKind, WitEvent, WitLevel, WitRequest, WitVerdict};

/// Bindings of the 0.1.0 `filter-plugin` world.
#[allow(missing_docs)]
pub mod filter {
    wasmtime::component::bindgen!({
        path: "../wit/0.1.0",
        world: "filter-plugin",
    });
}

/// Bindings of the 0.1.0 `transform-plugin` world.
#[allow(missing_docs)]
pub mod transform {
    wasmtime::component::bindgen!({
        path: "../wit/0.1.0",
        world: "transform-plugin",
        with: {
            "herald:plugin/types": super::filter::herald::plugin::types,
            "herald:plugin/log": super::filter::herald::plugin::log,
        },
    });
}

use filter::herald::plugin::{log, types};

impl log::Host for crate::plugin::state::HostState {
    fn log(&mut self, level: log::Level, message: String) {
        let level = match level {
            log::Level::Trace => WitLevel::Trace,
            log::Level::Debug => WitLevel::Debug,
            log::Level::Info => WitLevel::Info,
            log::Level::Warn => WitLevel::Warn,
            log::Level::Error => WitLevel::Error,
        };
        super::filter::herald::plugin::log::Host::log(self, level, message)
    }
}

/// The 0.1.0 form of an event (a copy: the records are distinct types).
pub fn event(e: &WitEvent) -> types::Event {
    types::Event {
        id: e.id.clone(),
        event_type: e.event_type.clone(),
        timestamp: e.timestamp.clone(),
        org: e.org.clone(),
        environment: e.environment.clone(),
        webhook_id: e.webhook_id.clone(),
        data: e.data.clone(),
    }
}

/// The 0.1.0 form of a request.
pub fn request(r: &WitRequest) -> types::Request {
    types::Request {
        headers: r.headers.clone(),
        body: r.body.clone(),
    }
}

/// A 0.1.0 request as 0.2.0's (moved, not copied).
pub fn request_back(r: types::Request) -> WitRequest {
    WitRequest {
        headers: r.headers,
        body: r.body,
    }
}

/// A 0.1.0 verdict as 0.2.0's.
pub fn verdict_back(v: types::Verdict) -> WitVerdict {
    match v {
        types::Verdict::Keep => WitVerdict::Keep,
        types::Verdict::Drop(reason) => WitVerdict::Drop(reason),
    }
}

/// A 0.1.0 error as 0.2.0's: never permanent.
pub fn error_back(e: types::Error) -> WitError {
    let (kind, message) = match e {
        types::Error::InvalidConfig(m) => (WitErrorKind::InvalidConfig, m),
        types::Error::InvalidEvent(m) => (WitErrorKind::InvalidEvent, m),
        types::Error::Failed(m) => (WitErrorKind::Failed, m),
    };
    WitError {
        kind,
        message,
        permanent: false,
    }
}
