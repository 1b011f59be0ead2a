//! `herald plugin test` and `herald plugin build`, through the real binary:
//! each example's cases file passes; a wrong expectation fails with exit
//! code 1 and a diff; a plugin directory is built to the `.wasm` it names.

use herald_e2e::{herald_bin, plugin_wasm, workspace_root};
use std::process::{Command, Output};

/// A deadline no busy machine can cause (as in the `cli` tests).
const UNHURRIED: &str = "120000";

fn herald(args: &[&str], target_dir: Option<&std::path::Path>) -> Output {
    let mut command = Command::new(herald_bin());
    command.args(args).current_dir(workspace_root());
    if let Some(dir) = target_dir {
        command.env("CARGO_TARGET_DIR", dir);
    }
    command.output().expect("herald runs")
}

fn cases(plugin: &str) -> String {
    workspace_root()
        .join(format!("plugins/{plugin}/example/cases.json"))
        .display()
        .to_string()
}

#[test]
fn the_examples_cases_pass_and_a_wrong_expectation_fails_with_a_diff() {
    for (plugin, krate, count) in [
        ("threshold-filter", "threshold-filter", 4),
        ("crm-reshape-transform", "crm-reshape-transform", 2),
    ] {
        let wasm = plugin_wasm(krate).display().to_string();
        let out = herald(
            &[
                "plugin",
                "test",
                &wasm,
                "--cases",
                &cases(plugin),
                "--deadline-ms",
                UNHURRIED,
            ],
            None,
        );
        let printed = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{plugin}: {printed}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            printed.contains(&format!("{count} passed, 0 failed")),
            "{printed}"
        );
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let wrong = dir.path().join("cases.json");
    std::fs::write(
        &wrong,
        r#"{"config": {"path": "data.order.total", "above": 100},
            "cases": [{"name": "80 is not above 100", "event": {"type": "o", "data": {"order": {"total": 80}}},
                       "expect": {"verdict": "keep"}}]}"#,
    )
    .expect("write");
    let wasm = plugin_wasm("threshold-filter").display().to_string();
    let out = herald(
        &[
            "plugin",
            "test",
            &wasm,
            "--cases",
            &wrong.display().to_string(),
            "--deadline-ms",
            UNHURRIED,
        ],
        None,
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{printed}");
    assert!(printed.contains("FAIL  80 is not above 100"), "{printed}");
    assert!(
        printed.contains("-  \"verdict\": \"keep\"\n+  \"verdict\": \"drop\""),
        "{printed}"
    );
    // A cases file that is not one: exit 2, saying the shape expected.
    std::fs::write(&wrong, r#"{"cases": [{"name": 1}]}"#).expect("write");
    let out = herald(
        &[
            "plugin",
            "test",
            &wasm,
            "--cases",
            &wrong.display().to_string(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a cases file"));
}

#[test]
fn a_plugin_directory_is_built_and_tested() {
    // Its own target directory: the workspace's is the outer cargo's.
    let target = tempfile::tempdir().expect("target dir");
    let dir = workspace_root()
        .join("plugins/threshold-filter")
        .display()
        .to_string();
    let out = herald(&["plugin", "build", &dir], Some(target.path()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wasm = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        wasm.ends_with("wasm32-wasip2/release/threshold_filter.wasm"),
        "{wasm}"
    );
    assert!(std::path::Path::new(&wasm).is_file(), "{wasm}");
    // `test` takes the directory too (built again: nothing left to compile).
    let out = herald(
        &[
            "plugin",
            "test",
            &dir,
            "--cases",
            &cases("threshold-filter"),
            "--deadline-ms",
            UNHURRIED,
        ],
        Some(target.path()),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Not a plugin directory: exit 2 with what to do.
    let out = herald(
        &[
            "plugin",
            "build",
            &workspace_root().join("docs").display().to_string(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("expected a plugin directory with a Cargo.toml"));
}
