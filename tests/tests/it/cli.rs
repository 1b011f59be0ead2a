//! `herald plugin check` and `herald plugin run`, through the real binary.

use herald_e2e::{example_file, herald_bin, plugin_wasm, workspace_root};
use serde_json::Value;
use std::process::{Command, Output};

fn herald(args: &[&str]) -> Output {
    Command::new(herald_bin())
        .args(args)
        .current_dir(workspace_root())
        .output()
        .expect("herald runs")
}

fn path(p: std::path::PathBuf) -> String {
    p.display().to_string()
}

/// `--deadline-ms` for every run whose test is not about the deadline: far
/// above anything a busy machine can cause, so that only the deadline test
/// can end in `deadline_exceeded`.
const UNHURRIED: &str = "120000";

/// `expected` is contained in `actual`: objects by key, arrays exactly,
/// except that an expected `headers` object lists pairs that must appear.
fn contains(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Array(pairs), Value::Object(want)) => want.iter().all(|(name, value)| {
            pairs.iter().any(|p| {
                p[0].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name)) && &p[1] == value
            })
        }),
        (Value::Object(a), Value::Object(e)) => e
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|av| contains(av, v))),
        (a, e) => a == e,
    }
}

/// The arguments of the `$ herald plugin run …` command in a plugin's
/// README (continuation lines joined).
fn readme_command(plugin: &str) -> Vec<String> {
    let readme =
        std::fs::read_to_string(workspace_root().join(format!("plugins/{plugin}/README.md")))
            .expect("plugin README");
    let mut lines = readme
        .lines()
        .skip_while(|l| !l.starts_with("$ herald plugin run"));
    let mut command = String::new();
    for line in lines.by_ref() {
        let line = line.trim_start_matches("$ ").trim();
        match line.strip_suffix('\\') {
            Some(part) => command.push_str(part),
            None => {
                command.push_str(line);
                break;
            }
        }
        command.push(' ');
    }
    let words: Vec<String> = command.split_whitespace().map(String::from).collect();
    assert_eq!(
        words.first().map(String::as_str),
        Some("herald"),
        "{plugin}: {command}"
    );
    words[1..].to_vec()
}

#[test]
fn every_example_plugin_gives_its_readme_result() {
    for plugin in [
        "threshold-filter",
        "field-match-filter",
        "redact-transform",
        "crm-reshape-transform",
        "chat-message-transform",
    ] {
        // The command exactly as the plugin's README shows it, run from
        // the repository root (where the README says to run it).
        assert!(plugin_wasm(plugin).exists(), "{plugin} built");
        let mut args = readme_command(plugin);
        args.extend(["--deadline-ms".to_string(), UNHURRIED.to_string()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = herald(&args);
        assert!(
            out.status.success(),
            "{plugin}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let printed: Value = serde_json::from_slice(&out.stdout).expect("JSON output");
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(example_file(plugin, "expected.json")).expect("expected.json"),
        )
        .expect("expected.json is JSON");
        assert!(
            contains(&printed, &expected),
            "{plugin}: printed {printed:#}\nexpected {expected:#}"
        );
        let stats = &printed["stats"];
        assert!(
            stats["fuel"].as_u64().is_some_and(|f| f > 0),
            "{plugin}: fuel counted"
        );
        assert!(
            stats["peak_memory_bytes"].as_u64().is_some_and(|m| m > 0),
            "{plugin}: memory reported"
        );
        assert!(
            stats["call_us"].as_f64().is_some_and(|t| t > 0.0),
            "{plugin}: time reported"
        );
    }
}

#[test]
fn failures_exit_non_zero_with_their_class() {
    let event = path(example_file("threshold-filter", "event.json"));
    // Only the loop runs with the default 50 ms deadline: it never ends, so
    // load cannot keep it from being hit. The others must fail for their own
    // reason however long a busy machine makes them take.
    for (fixture, class, deadline_ms) in [
        ("loop-forever", "deadline_exceeded", "50"),
        ("alloc-forever", "out_of_memory", UNHURRIED),
        ("panic", "trap", UNHURRIED),
        ("oversized-body", "output_too_large", UNHURRIED),
    ] {
        let out = herald(&[
            "plugin",
            "run",
            &path(plugin_wasm(fixture)),
            "--event",
            &event,
            "--deadline-ms",
            deadline_ms,
        ]);
        assert_eq!(out.status.code(), Some(1), "{fixture}");
        let printed: Value = serde_json::from_slice(&out.stdout).expect("JSON output");
        assert_eq!(printed["error"]["class"], class, "{fixture}: {printed}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(&format!("error[{class}]")),
            "{fixture}"
        );
    }
}

#[test]
fn check_names_the_world_or_says_why_not() {
    let out = herald(&["plugin", "check", &path(plugin_wasm("redact-transform"))]);
    assert!(out.status.success());
    let printed: Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    assert_eq!(printed["world"], "transform-plugin");
    assert_eq!(
        printed["exports"],
        serde_json::json!(["herald:plugin/transform@0.2.0"])
    );
    assert_eq!(printed["contract"], "0.2.0");

    let out = herald(&["plugin", "check", "Cargo.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a WebAssembly file"));

    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"path": "data.x"}"#).expect("write");
    let out = herald(&[
        "plugin",
        "check",
        &path(plugin_wasm("threshold-filter")),
        "--config",
        &path(bad),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let printed: Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    assert!(
        printed["config"]["rejected"]
            .as_str()
            .is_some_and(|m| m.contains("set `above`")),
        "{printed}"
    );
}

#[test]
fn a_bad_event_file_says_what_is_expected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("event.json");
    std::fs::write(&bad, r#"{"kind": "order.created"}"#).expect("write");
    let out = herald(&[
        "plugin",
        "run",
        &path(plugin_wasm("threshold-filter")),
        "--event",
        &path(bad),
        "--deadline-ms",
        UNHURRIED,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not a Herald event") && stderr.contains("\"type\""),
        "{stderr}"
    );
}

/// `herald health` (the container `HEALTHCHECK`): 0 and Herald's answer
/// while ready; 1 and a message naming the route and the reason when Redis
/// is gone or nothing listens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_probe_says_ready_and_fails_clearly() {
    use herald_e2e::herald::{HeraldProcess, Options};
    use herald_e2e::redis::{free_port, TestRedis};
    let (redis, ca) = (TestRedis::start(), herald_e2e::tls::TestCa::new());
    let server = HeraldProcess::start(Options::trusting(&redis.url(), &ca, &[])).await;
    let addr = server.base.trim_start_matches("http://").to_string();

    let ready = herald(&["health", "--addr", &addr]);
    assert!(ready.status.success(), "{ready:?}");
    assert!(String::from_utf8_lossy(&ready.stdout).contains("\"ready\""));

    drop(redis);
    let unready = herald(&["health", "--addr", &addr, "--timeout", "60s"]);
    assert_eq!(unready.status.code(), Some(1), "{unready:?}");
    let message = String::from_utf8_lossy(&unready.stderr);
    assert!(message.contains("/readyz answered 503"), "{message}");
    // Liveness does not depend on Redis.
    let live = herald(&["health", "--addr", &addr, "--live"]);
    assert!(live.status.success(), "{live:?}");

    let closed = format!("127.0.0.1:{}", free_port());
    let nothing = herald(&["health", "--addr", &closed]);
    assert_eq!(nothing.status.code(), Some(1), "{nothing:?}");
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("cannot connect"));
}

#[test]
fn a_reader_that_goes_away_is_not_a_crash() {
    // `herald plugin check … | head -c 1`: the pipe closes before the
    // result is written; Herald must neither panic nor fail.
    let mut child = Command::new(herald_bin())
        .args(["plugin", "check", &path(plugin_wasm("redact-transform"))])
        .current_dir(workspace_root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("herald runs");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("herald ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success(), "{:?} {stderr}", out.status);
}
