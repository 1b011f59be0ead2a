//! `HERALD_LOG_FORMAT=json`: every log line of the real binary is one JSON
//! object with its timestamp, level, target and fields; a value it does not
//! know stops Herald with a message saying what to write.

use herald_e2e::herald::{HeraldProcess, Options};
use herald_e2e::herald_bin;
use herald_e2e::redis::TestRedis;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_per_line() {
    let redis = TestRedis::start();
    let h = HeraldProcess::start(Options {
        redis_url: Some(redis.url()),
        env: vec![("HERALD_LOG_FORMAT".into(), "json".into())],
        role: None,
    })
    .await;
    let org = h.org().await;
    assert!(org.starts_with("org_"));
    let log = h.log();
    let mut objects = 0;
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        if line.starts_with("herald: ") {
            continue; // the start-up banner, written before logging starts
        }
        let object: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(object["timestamp"].is_string(), "{object}");
        assert!(
            ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]
                .contains(&object["level"].as_str().unwrap_or_default()),
            "{object}"
        );
        assert!(
            object["target"]
                .as_str()
                .is_some_and(|t| t.starts_with("herald")),
            "{object}"
        );
        assert!(object["fields"]["message"].is_string(), "{object}");
        objects += 1;
    }
    assert!(objects >= 2, "{log}");
    assert!(
        log.lines()
            .any(|l| l.contains("\"API listening\"") && l.contains("\"addr\":\"127.0.0.1:")),
        "{log}"
    );
}

#[test]
fn an_unknown_log_format_is_refused() {
    let out = std::process::Command::new(herald_bin())
        .args(["serve"])
        .env("HERALD_LOG_FORMAT", "xml")
        .output()
        .expect("herald runs");
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("HERALD_LOG_FORMAT=\"xml\": expected `text` or `json`"),
        "{said}"
    );
}
