//! `herald plugin test` and `herald plugin build`, through the real binary:
//! each example's cases file passes; a wrong expectation fails with exit
//! code 1 and a diff; `herald plugin new` makes a project of each kind that
//! passes its own unit test, builds to the `.wasm` `herald plugin build`
//! names, and passes its cases.

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

/// `herald plugin test PLUGIN --cases CASES` with an unhurried deadline:
/// asserts it exits 0 having passed all `count` cases. `what` names the
/// plugin in failures.
fn assert_cases_pass(
    what: &str,
    plugin: &str,
    cases: &str,
    count: usize,
    target_dir: Option<&std::path::Path>,
) {
    let out = herald(
        &[
            "plugin",
            "test",
            plugin,
            "--cases",
            cases,
            "--deadline-ms",
            UNHURRIED,
        ],
        target_dir,
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{what}: {printed}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        printed.contains(&format!("{count} passed, 0 failed")),
        "{printed}"
    );
}

/// A plugin's cases file: `plugins/NAME/example/cases.json`, or a
/// fixture's `cases.json` (NAME starting with `../tests/fixtures/`).
fn cases(plugin: &str) -> String {
    let path = match plugin.strip_prefix("../") {
        Some(fixture) => format!("{fixture}/cases.json"),
        None => format!("plugins/{plugin}/example/cases.json"),
    };
    workspace_root().join(path).display().to_string()
}

#[test]
fn the_examples_cases_pass_and_a_wrong_expectation_fails_with_a_diff() {
    for (plugin, krate, count) in [
        ("threshold-filter", "threshold-filter", 4),
        ("crm-reshape-transform", "crm-reshape-transform", 2),
        // The SDK's function form (#[herald_sdk::filter] / ::transform).
        ("../tests/fixtures/fn-filter", "fn-filter", 3),
        ("../tests/fixtures/fn-transform", "fn-transform", 1),
    ] {
        let wasm = plugin_wasm(krate).display().to_string();
        assert_cases_pass(plugin, &wasm, &cases(plugin), count, None);
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
fn a_new_project_of_each_kind_builds_and_passes_its_own_test_and_cases() {
    let (work, target) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("target dir"),
    );
    let sdk = workspace_root().join("guest-sdk").display().to_string();
    for (name, kind, cases) in [("vip-filter", "filter", 3), ("acme-shape", "transform", 1)] {
        let dir = work.path().join(name);
        let dir_text = dir.display().to_string();
        let out = herald(
            &["plugin", "new", "--kind", kind, "--sdk", &sdk, &dir_text],
            None,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Its own native unit test passes.
        let test = Command::new("cargo")
            .args(["test", "-q"])
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", target.path())
            .output()
            .expect("cargo runs");
        assert!(
            test.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&test.stderr)
        );
        // It builds to the component `build` names ...
        let out = herald(&["plugin", "build", &dir_text], Some(target.path()));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let wasm = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let file = format!("wasm32-wasip2/release/{}.wasm", name.replace('-', "_"));
        assert!(
            wasm.ends_with(&file) && std::path::Path::new(&wasm).is_file(),
            "{wasm}"
        );
        // ... and its cases pass through the real host (the directory form).
        let cases_file = dir.join("example/cases.json").display().to_string();
        assert_cases_pass(name, &dir_text, &cases_file, cases, Some(target.path()));
    }
    // Refusals say what to do: a taken directory, a bad name, no Cargo.toml.
    let taken = work.path().join("vip-filter").display().to_string();
    let out = herald(
        &["plugin", "new", "--kind", "filter", "--sdk", &sdk, &taken],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
    let bad = work.path().join("Bad_Name").display().to_string();
    let out = herald(
        &["plugin", "new", "--kind", "filter", "--sdk", &sdk, &bad],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a plugin name"));
    let out = herald(
        &["plugin", "build", &work.path().display().to_string()],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(
        "expected a plugin directory: a Rust crate (Cargo.toml), or a Python or JavaScript plugin"
    ));
}

#[test]
fn a_new_python_or_javascript_project_of_each_kind_builds_and_passes_its_cases() {
    let work = tempfile::tempdir().expect("temp dir");
    for lang in ["python", "js"] {
        for (kind, cases) in [("filter", 3), ("transform", 1)] {
            let dir = work.path().join(format!("new-{lang}-{kind}"));
            let dir_text = dir.display().to_string();
            let out = herald(
                &["plugin", "new", "--lang", lang, "--kind", kind, &dir_text],
                None,
            );
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let cases_file = dir.join("example/cases.json").display().to_string();
            assert_cases_pass(
                &format!("{lang} {kind}"),
                &dir_text,
                &cases_file,
                cases,
                None,
            );
            assert!(dir.join(format!("build/new-{lang}-{kind}.wasm")).is_file());
        }
    }
}
