//! Plugins in Python and JavaScript against the real host (components built
//! by `herald plugin build` from plugins/*-py, plugins/*-js and the abuse
//! fixtures under plugins/abuse-py and plugins/abuse-js):
//! - the ports of the threshold filter and the CRM transform pass the very
//!   cases files of the Rust originals (one shared fixture per example);
//! - each language is told from the component's bytes and gets its limits,
//!   recorded at registration, and delivers end to end through Herald;
//! - the abuse fixtures (endless loop, unbounded allocation, exception,
//!   oversized output) are contained as the Rust ones are, and a good
//!   plugin of the same language runs afterwards.

use crate::plugin_host::{deadline_host, event, host, target};
use herald::plugin::{CallError, Language, PluginLimits, WitRequest, WitVerdict};
use herald_e2e::{herald_bin, plugin_wasm, workspace_root};
use std::process::Command;
use std::time::Duration;

/// The examples, by language: (component, cases file of the Rust original, cases).
const PORTS: [(&str, &str, usize); 6] = [
    ("threshold-filter", "threshold-filter", 4),
    ("threshold-filter-py", "threshold-filter", 4),
    ("threshold-filter-js", "threshold-filter", 4),
    ("crm-reshape-transform", "crm-reshape-transform", 2),
    ("crm-reshape-transform-py", "crm-reshape-transform", 2),
    ("crm-reshape-transform-js", "crm-reshape-transform", 2),
];

#[test]
fn the_same_cases_pass_in_rust_python_and_javascript() {
    for (component, original, count) in PORTS {
        let cases = workspace_root().join(format!("plugins/{original}/example/cases.json"));
        // The plugin's own (language) memory cap; a deadline no busy
        // machine can reach.
        let out = Command::new(herald_bin())
            .args(["plugin", "test"])
            .arg(plugin_wasm(component))
            .arg("--cases")
            .arg(&cases)
            .args(["--deadline-ms", "10000"])
            .output()
            .expect("herald runs");
        let printed = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{component}: {printed}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            printed.contains(&format!("{count} passed, 0 failed")),
            "{component}: {printed}"
        );
    }
}

#[test]
fn each_language_is_told_apart_and_gets_its_limits() {
    let (loader, _) = deadline_host();
    let base = PluginLimits::default();
    for (component, language, deadline_ms, memory_mib) in [
        ("threshold-filter", Language::Rust, 50, 32),
        ("threshold-filter-py", Language::Python, 250, 64),
        ("threshold-filter-js", Language::Javascript, 250, 64),
    ] {
        let plugin = loader.load_file(&plugin_wasm(component)).expect("loads");
        assert_eq!(plugin.language(), language, "{component}");
        assert_eq!(
            plugin.limits().deadline,
            Duration::from_millis(deadline_ms),
            "{component}"
        );
        assert_eq!(
            plugin.limits().memory_bytes,
            memory_mib << 20,
            "{component}"
        );
        assert_eq!(plugin.limits().max_output_bytes, base.max_output_bytes);
    }
}

#[test]
fn abuse_in_python_and_javascript_is_contained_like_rust() {
    for (lang, good) in [("py", "threshold-filter-py"), ("js", "threshold-filter-js")] {
        let fixture = |name: &str| plugin_wasm(&format!("abuse-{lang}/{name}").replace('/', "-"));
        // The loop never ends: only the deadline (the language's) stops it.
        let (loader, host_real) = deadline_host();
        let looping = loader.load_file(&fixture("loop")).expect("loads");
        let (result, _) = host_real.filter(&looping, &target("wh_1", "{}"), &event("{}"));
        let deadline = looping.limits().deadline;
        assert!(
            matches!(result, Err(CallError::DeadlineExceeded(d)) if d == deadline),
            "{lang} loop: {result:?}"
        );

        let (loader, host) = host();
        let alloc = loader.load_file(&fixture("alloc")).expect("loads");
        let (result, report) = host.filter(&alloc, &target("wh_1", "{}"), &event("{}"));
        let cap = alloc.limits().memory_bytes;
        assert!(
            matches!(result, Err(CallError::OutOfMemory { limit }) if limit == cap),
            "{lang} alloc: {result:?}"
        );
        assert!(
            report.peak_memory <= cap,
            "{lang}: {} > {cap}",
            report.peak_memory
        );

        let exception = loader.load_file(&fixture("exception")).expect("loads");
        let (result, _) = host.filter(&exception, &target("wh_1", "{}"), &event("{}"));
        assert!(
            matches!(&result, Err(CallError::Trap(_))),
            "{lang} exception: {result:?}"
        );

        let oversized = loader.load_file(&fixture("oversized")).expect("loads");
        let request = WitRequest {
            headers: vec![],
            body: b"{}".to_vec(),
        };
        let (result, _) = host.transform(&oversized, &target("wh_1", "{}"), &event("{}"), &request);
        assert!(
            matches!(result, Err(CallError::OutputTooLarge { .. })),
            "{lang} oversized: {result:?}"
        );

        // The same process goes on running a good plugin of the language.
        let good = loader.load_file(&plugin_wasm(good)).expect("loads");
        let config = r#"{"path": "data.order.total", "above": 100}"#;
        let (result, _) = host.filter(
            &good,
            &target("wh_1", config),
            &event(r#"{"order": {"total": 250}}"#),
        );
        assert_eq!(result.ok(), Some(WitVerdict::Keep), "{lang}");
    }
}

/// The `$ herald ...` commands of a README (continuation lines joined).
fn readme_commands(readme: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(workspace_root().join(readme)).expect("README");
    let mut commands = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(first) = line.strip_prefix("$ herald ") else {
            continue;
        };
        let mut command = String::new();
        let mut line = first.trim().to_string();
        loop {
            match line.strip_suffix('\\') {
                Some(part) => {
                    command.push_str(part);
                    command.push(' ');
                    line = lines.next().unwrap_or_default().trim().to_string();
                }
                None => {
                    command.push_str(&line);
                    break;
                }
            }
        }
        commands.push(command.split_whitespace().map(String::from).collect());
    }
    commands
}

#[test]
fn every_command_in_the_ports_readmes_runs() {
    for plugin in [
        "threshold-filter-py",
        "crm-reshape-transform-py",
        "threshold-filter-js",
        "crm-reshape-transform-js",
    ] {
        let commands = readme_commands(&format!("plugins/{plugin}/README.md"));
        assert!(commands.len() >= 3, "{plugin}: {commands:?}");
        for args in commands {
            // As the README says: from the repository root.
            let out = Command::new(herald_bin())
                .args(&args)
                .current_dir(workspace_root())
                .output()
                .expect("herald runs");
            assert!(
                out.status.success(),
                "{plugin}: herald {}: {}{}",
                args.join(" "),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}
