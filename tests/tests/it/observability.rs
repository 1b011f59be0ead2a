//! Metrics as operators consume them: every `herald_*` metric the shipped
//! Grafana dashboard (`deploy/grafana/herald-dashboard.json`) and alert
//! rules (`deploy/prometheus/alerts.yaml`) reference is served by a real
//! Herald's `/metrics`, and the exposition follows Prometheus's naming
//! conventions (counters `_total`, units in names, no URL or event id as a
//! label value).

use herald_e2e::backend::TestBackend;
use herald_e2e::herald::HeraldInProcess;
use herald_e2e::receiver::{Answer, Receiver};
use herald_e2e::tls::TestCa;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

/// How long anything a test waits for may take, even on a busy machine.
const WAIT: Duration = Duration::from_secs(30);

/// The `herald_*` names in `text`.
fn names_in(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("herald_") {
        let name: String = rest[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        rest = &rest[at + name.len()..];
        out.insert(name);
    }
    out
}

/// Every `expr` of the Grafana dashboard.
fn dashboard_exprs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("expr", Value::String(e)) => out.push(e.clone()),
                    _ => dashboard_exprs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| dashboard_exprs(v, out)),
        _ => {}
    }
}

/// Metric families of an exposition (`# TYPE name kind`), by name.
fn families(metrics: &str) -> HashMap<String, String> {
    metrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_once(' '))
        .map(|(name, kind)| (name.to_string(), kind.to_string()))
        .collect()
}

/// The family a sample or query name belongs to.
fn family_of<'a>(name: &'a str, families: &HashMap<String, String>) -> Option<&'a str> {
    if families.contains_key(name) {
        return Some(name);
    }
    ["_total", "_bucket", "_sum", "_count", "_created"]
        .iter()
        .filter_map(|suffix| name.strip_suffix(suffix))
        .find(|base| families.contains_key(*base))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_dashboard_and_alerts_use_only_metrics_herald_serves() {
    let (redis, ca) = (TestBackend::start(), TestCa::new());
    let ok = Receiver::ok(Some(ca.server.clone())).await;
    // 503s: the destination is throttled and its circuit opens, so its
    // per-destination series exist too.
    let gone: Answer = Arc::new(|_, _| (503, vec![], Duration::ZERO));
    let failing = Receiver::start(Some(ca.server.clone()), gone).await;
    let h = HeraldInProcess::trusting(&redis, &ca).await;
    let wasm = std::fs::read(herald_e2e::plugin_wasm("threshold-filter")).expect("plugin built");
    let (status, body) = h.call_raw("PUT", "/v1/plugins/threshold/1.0.0", wasm).await;
    assert_eq!(status, 201, "{body}");
    let org = h.org().await;
    h.webhook(&org, json!({"name": "ok", "url": ok.url(), "active": true, "triggers": [{"event": "a"}],
        "plugins": {"filters": [{"plugin": "threshold@1.0.0", "config": {"path": "data.total", "above": 1}}]}}))
        .await;
    let dead = h
        .webhook(&org, json!({"name": "dead", "url": failing.url(), "active": true, "triggers": [{"event": "a"}],
            "retry": {"schedule": ["50ms"]}}))
        .await;
    let dead = dead["id"].as_str().expect("id").to_string();
    for i in 0..3 {
        h.publish(
            &org,
            json!({"id": format!("evt-observed-{i}"), "type": "a", "data": {"total": 5}}),
        )
        .await;
    }
    ok.wait_for(3, WAIT).await;
    h.wait_deliveries(&org, &dead, WAIT, |d| {
        d.len() == 3 && d.iter().all(|d| d["status"] == "dead")
    })
    .await;
    // The counters move just after the outcome is stored: read until the
    // third death is counted too.
    let started = std::time::Instant::now();
    let metrics = loop {
        let (status, metrics) = h.call("GET", "/metrics", None).await;
        assert_eq!(status, 200);
        let metrics = metrics.as_str().expect("text").to_string();
        if metrics.contains("herald_deliveries_total{outcome=\"dead\"} 3")
            || started.elapsed() > WAIT
        {
            break metrics;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let families = families(&metrics);

    // Everything the shipped files reference is served.
    let root = herald_e2e::workspace_root();
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("deploy/grafana/herald-dashboard.json"))
            .expect("dashboard"),
    )
    .expect("the dashboard is JSON");
    let mut exprs = Vec::new();
    dashboard_exprs(&dashboard, &mut exprs);
    assert!(exprs.len() >= 10, "{exprs:?}");
    let alerts =
        std::fs::read_to_string(root.join("deploy/prometheus/alerts.yaml")).expect("alerts");
    let alert_exprs: Vec<String> = alerts
        .lines()
        .filter_map(|l| l.trim().strip_prefix("expr: "))
        .map(str::to_string)
        .collect();
    assert!(alert_exprs.len() >= 5, "{alert_exprs:?}");
    let referenced: BTreeSet<String> = exprs
        .iter()
        .chain(&alert_exprs)
        .flat_map(|e| names_in(e))
        .collect();
    let missing: Vec<&String> = referenced
        .iter()
        .filter(|n| family_of(n, &families).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "referenced but not served: {missing:?}\n{metrics}"
    );

    // With this traffic, the series the alerts watch have samples.
    for sample in [
        "herald_deliveries_total{outcome=\"dead\"} 3",
        "herald_queue_entries{shard=\"0\"}",
        "herald_queue_in_flight{shard=\"0\"}",
        "herald_retry_set_entries{shard=\"0\"}",
        "herald_queue_oldest_age_seconds{shard=\"0\"}",
        "herald_plugin_call_seconds_count{plugin=\"threshold@1.0.0\"} 3",
        "herald_webhooks_auto_disabled_total",
        "herald_delivery_latency_seconds_bucket",
        "herald_destination_concurrency_limit{destination=\"localhost:",
        "herald_destination_circuit_state{destination=\"localhost:",
    ] {
        assert!(metrics.contains(sample), "{sample} missing:\n{metrics}");
    }

    // Conventions: herald_ names, counters end _total, no URL or event id.
    for (name, kind) in &families {
        assert!(name.starts_with("herald_"), "{name}");
        if kind == "counter" {
            let total = format!("{name}_total");
            let samples: Vec<&str> = metrics
                .lines()
                .filter(|l| !l.starts_with('#'))
                .map(|l| l.split(['{', ' ']).next().unwrap_or_default())
                .filter(|sample| family_of(sample, &families) == Some(name.as_str()))
                .collect();
            assert!(
                !samples.is_empty() && samples.iter().all(|s| *s == total),
                "{name}: {samples:?}"
            );
        }
        if kind == "histogram" {
            assert!(
                name.ends_with("_seconds"),
                "histograms are durations in seconds: {name}"
            );
        }
    }
    for line in metrics.lines().filter(|l| !l.starts_with('#')) {
        assert!(
            !line.contains("://") && !line.contains("evt-observed"),
            "unbounded label value: {line}"
        );
    }
}
