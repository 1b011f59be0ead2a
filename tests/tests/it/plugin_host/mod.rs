//! The plugin host against real components: limits, isolation, reuse,
//! validation and the compile cache.
//!
//! Only the tests of the CPU deadline run with the real 50 ms deadline
//! ([`deadline_host`]); every other host gets [`UNHURRIED`], far above
//! anything a busy machine can cause, so that a test of memory, output or
//! reuse cannot fail with `deadline_exceeded` instead.

mod instances;
mod limits;
mod loading;

use herald::plugin::{
    CallTarget, EngineOptions, PluginEngine, PluginHost, PluginLimits, PluginLoader, WitEvent,
    WitVerdict,
};
use herald_e2e::plugin_wasm;
use std::sync::Arc;
use std::time::Duration;

/// The deadline of every host but [`deadline_host`]'s.
const UNHURRIED: Duration = Duration::from_secs(120);

/// A loader and a host with `limits`.
fn host_with(limits: PluginLimits) -> (PluginLoader, PluginHost) {
    let engine = PluginEngine::new(EngineOptions {
        limits,
        max_instances: 64,
        ..Default::default()
    })
    .expect("engine");
    (
        PluginLoader::new(engine.clone(), None),
        PluginHost::new(engine, 64),
    )
}

/// Default limits, except a deadline no load can reach.
fn unhurried_limits() -> PluginLimits {
    PluginLimits {
        deadline: UNHURRIED,
        ..PluginLimits::default()
    }
}

/// A host with the default limits but [`UNHURRIED`].
pub(crate) fn host() -> (PluginLoader, PluginHost) {
    host_with(unhurried_limits())
}

/// A host with the default limits, its 50 ms deadline included.
pub(crate) fn deadline_host() -> (PluginLoader, PluginHost) {
    host_with(PluginLimits::default())
}

pub(crate) fn event(data: &str) -> WitEvent {
    WitEvent {
        id: "evt_1".into(),
        event_type: "order.created".into(),
        timestamp: "2026-01-01T00:00:00Z".into(),
        org: "org_1".into(),
        environment: None,
        webhook_id: "wh_1".into(),
        data: data.into(),
    }
}

pub(crate) fn target(webhook: &str, config: &str) -> CallTarget {
    CallTarget {
        webhook_id: webhook.into(),
        plugin_ref: Arc::from("test@1"),
        config: config.into(),
        fresh: false,
    }
}

const THRESHOLD: &str = r#"{"path":"data.order.total","above":100}"#;

/// A good plugin still works after whatever the host just survived.
fn assert_good_plugin_runs(loader: &PluginLoader, host: &PluginHost) {
    let good = loader
        .load_file(&plugin_wasm("threshold-filter"))
        .expect("threshold loads");
    let (result, _) = host.filter(
        &good,
        &target("wh_good", THRESHOLD),
        &event(r#"{"order":{"total":150}}"#),
    );
    assert_eq!(result.expect("good plugin runs"), WitVerdict::Keep);
}
