//! Limits: the CPU deadline, the memory cap, traps, input and output sizes.

use super::{
    assert_good_plugin_runs, deadline_host, event, host, host_with, target, unhurried_limits,
    THRESHOLD,
};
use herald::plugin::{CallError, PluginLimits, WitRequest};
use herald_e2e::plugin_wasm;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The one limit a busy machine cannot keep from being hit: the loop never
/// ends, so the deadline must stop it, however late.
#[test]
fn endless_loop_hits_the_deadline_quickly() {
    let (loader, host) = deadline_host();
    let plugin = loader
        .load_file(&plugin_wasm("loop-forever"))
        .expect("loads");
    let started = Instant::now();
    let (result, report) = host.filter(&plugin, &target("wh_1", "{}"), &event("{}"));
    let elapsed = started.elapsed();
    assert!(
        matches!(result, Err(CallError::DeadlineExceeded(d)) if d == Duration::from_millis(50)),
        "{result:?}"
    );
    // Far above 50 ms, for a loaded machine; a missing deadline never returns.
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    assert!(
        report.duration >= Duration::from_millis(45),
        "stopped too early: {:?}",
        report.duration
    );
    assert_eq!(
        host.idle_instances(),
        0,
        "a trapped instance is never reused"
    );
    assert_good_plugin_runs(&loader, &host);
}

/// A `Vm*:` figure of this process from /proc, in bytes.
fn proc_status_bytes(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .map_or(0, |kb| kb * 1024)
}

#[test]
fn unbounded_allocation_fails_at_the_memory_cap() {
    // Measured in a child process of its own: other tests share this one.
    let out = std::process::Command::new(std::env::current_exe().expect("test exe"))
        .args([
            "--exact",
            "plugin_host::limits::alloc_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("HERALD_ALLOC_CHILD", "1")
        .output()
        .expect("child runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let growth: usize = stdout
        .lines()
        .find_map(|l| l.split_once("peak-growth-bytes=").map(|(_, v)| v))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("child reports its growth");
    assert!(
        growth < 48 << 20,
        "the process's peak grew by {growth} bytes for a 32 MiB cap"
    );
}

/// The body of the test above, run in a child process. Its host has no
/// practical deadline ([`super::UNHURRIED`]): on a busy machine the fixture
/// may take longer than 50 ms to reach 32 MiB, and this test is about
/// memory, so only `out_of_memory` passes.
#[test]
#[ignore = "run by unbounded_allocation_fails_at_the_memory_cap in a child process"]
fn alloc_child() {
    if std::env::var_os("HERALD_ALLOC_CHILD").is_none() {
        return;
    }
    let (loader, host) = host();
    let plugin = loader
        .load_file(&plugin_wasm("alloc-forever"))
        .expect("loads");
    assert_good_plugin_runs(&loader, &host);
    let before = proc_status_bytes("VmHWM:");
    for _ in 0..3 {
        let (result, report) = host.filter(&plugin, &target("wh_1", "{}"), &event("{}"));
        assert!(
            matches!(result, Err(CallError::OutOfMemory { limit }) if limit == 32 << 20),
            "{result:?}"
        );
        assert!(
            report.peak_memory <= 32 << 20,
            "peak {}",
            report.peak_memory
        );
        assert!(
            report.peak_memory >= 16 << 20,
            "the fixture should have used most of its cap: {}",
            report.peak_memory
        );
    }
    assert_good_plugin_runs(&loader, &host);
    println!(
        "peak-growth-bytes={}",
        proc_status_bytes("VmHWM:").saturating_sub(before)
    );
}

#[test]
fn panic_is_a_trap_with_the_message() {
    let (loader, host) = host();
    let plugin = loader.load_file(&plugin_wasm("panic")).expect("loads");
    let (result, report) = host.filter(&plugin, &target("wh_1", "{}"), &event("{}"));
    match result {
        Err(CallError::Trap(message)) => {
            assert!(
                message.contains("fixture panic: cannot handle event evt_1"),
                "{message}"
            )
        }
        other => panic!("expected a trap, got {other:?}"),
    }
    assert!(
        report
            .logs
            .iter()
            .any(|l| l.message.contains("fixture panic")),
        "the SDK's panic hook logs through the host"
    );
    assert_eq!(host.idle_instances(), 0);
    assert_good_plugin_runs(&loader, &host);
}

#[test]
fn oversized_output_is_refused() {
    let (loader, host) = host();
    let plugin = loader
        .load_file(&plugin_wasm("oversized-body"))
        .expect("loads");
    let request = WitRequest {
        headers: vec![],
        body: b"{}".to_vec(),
    };
    let (result, _) = host.transform(&plugin, &target("wh_1", "{}"), &event("{}"), &request);
    assert!(
        matches!(result, Err(CallError::OutputTooLarge { size, limit }) if size > limit && limit == 4 << 20),
        "{result:?}"
    );
    // Under the limit the same plugin is fine.
    let (result, _) = host.transform(
        &plugin,
        &target("wh_1", r#"{"bytes":1000}"#),
        &event("{}"),
        &request,
    );
    assert_eq!(result.expect("small body").body.len(), 1000);
    assert_good_plugin_runs(&loader, &host);
}

#[test]
fn oversized_input_is_refused_before_the_call() {
    let limits = PluginLimits {
        max_input_bytes: 1024,
        ..unhurried_limits()
    };
    let (loader, host) = host_with(limits);
    let plugin = loader
        .load_file(&plugin_wasm("threshold-filter"))
        .expect("loads");
    let big = format!(r#"{{"pad":"{}"}}"#, "x".repeat(2000));
    let (result, _) = host.filter(&plugin, &target("wh_1", THRESHOLD), &event(&big));
    assert!(
        matches!(result, Err(CallError::InputTooLarge { limit: 1024, .. })),
        "{result:?}"
    );
}

/// Plugin calls run on blocking threads: while four loop until their
/// deadline, the async runtime goes on serving timers. Causal, not timed:
/// the timers must all fire before any call ends, with a deadline (3 s) far
/// above what ten 5 ms timers take even on a busy machine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_looping_plugin_does_not_stall_the_async_runtime() {
    let (loader, host) = host_with(PluginLimits {
        deadline: Duration::from_secs(3),
        ..PluginLimits::default()
    });
    let host = Arc::new(host);
    let plugin = loader
        .load_file(&plugin_wasm("loop-forever"))
        .expect("loads");
    let calls: Vec<_> = (0..4)
        .map(|i| {
            let (host, plugin) = (host.clone(), plugin.clone());
            tokio::task::spawn_blocking(move || {
                host.filter(&plugin, &target(&format!("wh_{i}"), "{}"), &event("{}"))
                    .0
            })
        })
        .collect();
    let started = Instant::now();
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let timers = started.elapsed();
    assert!(
        calls.iter().all(|c| !c.is_finished()),
        "the timers fired only after a looping call ended ({timers:?}): the runtime stalled"
    );
    for call in calls {
        let result = call.await.expect("joined");
        assert!(
            matches!(result, Err(CallError::DeadlineExceeded(d)) if d == Duration::from_secs(3)),
            "{result:?}"
        );
    }
}
