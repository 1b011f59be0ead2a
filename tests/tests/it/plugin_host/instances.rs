//! Instances: reused only per webhook, plugin and config; recycled; typed
//! guest errors leave them usable.

use super::{event, host, host_with, target, unhurried_limits, THRESHOLD};
use herald::plugin::{CallError, CallTarget, GuestError, PluginLimits, WitVerdict};
use herald_e2e::plugin_wasm;

#[test]
fn instances_are_reused_only_per_webhook_plugin_and_config() {
    let (loader, host) = host();
    let plugin = loader
        .load_file(&plugin_wasm("threshold-filter"))
        .expect("loads");
    let e = event(r#"{"order":{"total":150}}"#);
    for _ in 0..5 {
        assert_eq!(
            host.filter(&plugin, &target("wh_a", THRESHOLD), &e)
                .0
                .expect("runs"),
            WitVerdict::Keep
        );
    }
    assert_eq!(
        host.idle_instances(),
        1,
        "five calls for one webhook reuse one instance"
    );
    host.filter(&plugin, &target("wh_b", THRESHOLD), &e)
        .0
        .expect("runs");
    assert_eq!(
        host.idle_instances(),
        2,
        "another webhook never gets wh_a's instance"
    );
    let other_config = r#"{"path":"data.order.total","above":200}"#;
    let (r, _) = host.filter(&plugin, &target("wh_a", other_config), &e);
    assert!(matches!(r, Ok(WitVerdict::Drop(_))));
    assert_eq!(host.idle_instances(), 3, "a new config gets a new instance");
    let fresh = CallTarget {
        fresh: true,
        ..target("wh_c", THRESHOLD)
    };
    host.filter(&plugin, &fresh, &e).0.expect("runs");
    assert_eq!(host.idle_instances(), 3, "fresh mode keeps nothing");
    host.evict_webhook("wh_a");
    assert_eq!(host.idle_instances(), 1);
}

#[test]
fn instances_are_recycled_after_max_calls() {
    let limits = PluginLimits {
        max_calls_per_instance: 3,
        ..unhurried_limits()
    };
    let (loader, host) = host_with(limits);
    let plugin = loader
        .load_file(&plugin_wasm("threshold-filter"))
        .expect("loads");
    let e = event(r#"{"order":{"total":150}}"#);
    let idle: Vec<usize> = (0..4)
        .map(|_| {
            host.filter(&plugin, &target("wh_a", THRESHOLD), &e)
                .0
                .expect("runs");
            host.idle_instances()
        })
        .collect();
    assert_eq!(idle, vec![1, 1, 0, 1]);
}

#[test]
fn guest_errors_are_typed_and_do_not_poison() {
    let (loader, host) = host();
    let plugin = loader
        .load_file(&plugin_wasm("threshold-filter"))
        .expect("loads");
    let (result, _) = host.check_config(&plugin, "threshold@1", r#"{"path":"data.x"}"#);
    assert!(
        matches!(&result, Err(CallError::Guest(GuestError::InvalidConfig(m))) if m.contains("set `above`")),
        "{result:?}"
    );
    let (result, _) = host.check_config(&plugin, "threshold@1", r#"{"path":"data.x","abov":1}"#);
    assert!(
        matches!(&result, Err(CallError::Guest(GuestError::InvalidConfig(m))) if m.contains("unknown field")),
        "{result:?}"
    );
    assert!(host
        .check_config(&plugin, "threshold@1", THRESHOLD)
        .0
        .is_ok());

    let (result, _) = host.filter(&plugin, &target("wh_1", THRESHOLD), &event("not json"));
    assert!(
        matches!(result, Err(CallError::Guest(GuestError::InvalidEvent(_)))),
        "{result:?}"
    );
    assert_eq!(
        host.idle_instances(),
        1,
        "a typed error leaves the instance usable"
    );
}
