//! `herald plugin test`: run a file of cases (event, config, expected verdict
//! or request, or expected error) through the real host with the server's
//! limits, printing a diff for each mismatch and exiting non-zero if any.

use super::plugin_io::{
    event_from, loader, read, request_json, verdict_json, EventFile, LimitArgs,
};
use super::CliError;
use crate::plugin::{CallError, CallTags, PluginInstance, PluginLimits, WitRequest, World};
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::Path;
use std::process::ExitCode;

/// A cases file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CasesFile {
    /// The config every case uses unless it sets its own.
    #[serde(default)]
    config: Option<Value>,
    cases: Vec<Case>,
}

/// One case.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    event: EventFile,
    #[serde(default)]
    config: Option<Value>,
    /// For transforms: the request body going in (a JSON value is written
    /// compactly; a string is used as is); default Herald's payload.
    #[serde(default)]
    body: Option<Value>,
    expect: Expect,
}

/// What a case expects: a verdict (filters), a request (transforms), or
/// an error.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// `"keep"` or `"drop"`.
    verdict: Option<String>,
    /// With `"drop"`: the reason, exactly.
    reason: Option<String>,
    /// The body as JSON (compared as values).
    body: Option<Value>,
    /// The body's bytes exactly, as text.
    body_text: Option<String>,
    /// Headers that must be present with these values.
    headers: Option<serde_json::Map<String, Value>>,
    /// An error class (`deadline_exceeded`, `guest_error`, `trap`, ...).
    error: Option<String>,
    /// With `error`: a part of its message.
    message: Option<String>,
    /// With `error`: whether the plugin marked it permanent (no retry).
    permanent: Option<bool>,
}

/// Runs the cases in `cases` against the plugin at `path` (a `.wasm`, or a
/// plugin directory, built first) under its own limits, or `limits` where given.
pub fn test(path: &Path, cases: &Path, limits: LimitArgs) -> Result<ExitCode, CliError> {
    let file = if path.is_dir() {
        super::plugin_build::build(path, None)?
    } else {
        path.to_path_buf()
    };
    let text = read(cases)?;
    let cases_file: CasesFile = serde_json::from_str(&text).map_err(|e| CliError::Input {
        path: cases.display().to_string(),
        message: format!(
            "not a cases file ({e}); expected {{\"config\"?, \"cases\": [{{\"name\", \"event\", \"config\"?, \"body\"?, \"expect\"}}]}}"
        ),
    })?;
    let loader = loader(PluginLimits::default(), false)?;
    let plugin = loader.load_file(&file).map_err(|source| CliError::Load {
        path: file.display().to_string(),
        source,
    })?;
    let plugin = limits.apply(plugin);
    let (mut passed, mut failed) = (0, 0);
    for case in cases_file.cases {
        let config = case
            .config
            .as_ref()
            .or(cases_file.config.as_ref())
            .map_or_else(|| "{}".to_string(), Value::to_string);
        let (event, webhook_id) = event_from(case.event);
        let wit_event = event.to_plugin_event(&webhook_id);
        let tags = CallTags {
            plugin: file.display().to_string().into(),
            webhook: webhook_id.into(),
        };
        let got = match PluginInstance::new(loader.engine(), &plugin, tags) {
            Err(e) => error_json(&e),
            Ok(mut instance) => match plugin.world() {
                World::Filter => match instance.filter(&wit_event, &config).0 {
                    Ok(v) => verdict_json(&v),
                    Err(e) => error_json(&e),
                },
                World::Transform => {
                    let body = match case.body {
                        Some(Value::String(s)) => s.into_bytes(),
                        Some(v) => v.to_string().into_bytes(),
                        None => event.payload(),
                    };
                    let request = WitRequest {
                        headers: vec![("content-type".into(), "application/json".into())],
                        body,
                    };
                    match instance.transform(&wit_event, &request, &config).0 {
                        Ok(out) => request_json(&out),
                        Err(e) => error_json(&e),
                    }
                }
            },
        };
        match compare(&case.expect, &got) {
            None => {
                passed += 1;
                println!("ok    {}", case.name);
            }
            Some((expected, actual)) => {
                failed += 1;
                println!("FAIL  {}", case.name);
                print_diff(&expected, &actual);
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn error_json(e: &CallError) -> Value {
    json!({"error": e.class(), "message": e.to_string(), "permanent": e.is_permanent()})
}

/// `None` if `got` meets `expect`, else the two sides to show, with only
/// what the case names.
fn compare(expect: &Expect, got: &Value) -> Option<(Value, Value)> {
    let mut want = serde_json::Map::new();
    let mut have = serde_json::Map::new();
    let mut note = |key: &str, w: Value, h: &Value| {
        want.insert(key.into(), w);
        have.insert(key.into(), h.clone());
    };
    if let Some(class) = &expect.error {
        note("error", json!(class), &got["error"]);
        if let Some(permanent) = expect.permanent {
            note("permanent", json!(permanent), &got["permanent"]);
        }
        if let Some(part) = &expect.message {
            let message = got["message"].as_str().unwrap_or_default();
            let shown = if message.contains(part.as_str()) {
                json!(part)
            } else {
                got["message"].clone()
            };
            note("message (contains)", json!(part), &shown);
        }
    } else if got.get("error").is_some() {
        note("error", Value::Null, &got["error"]);
        note("message", Value::Null, &got["message"]);
    }
    if let Some(verdict) = &expect.verdict {
        let (kind, reason) = match &got["verdict"] {
            Value::String(k) => (json!(k), Value::Null),
            Value::Object(o) => (json!("drop"), o.get("drop").cloned().unwrap_or(Value::Null)),
            _ => (Value::Null, Value::Null),
        };
        note("verdict", json!(verdict), &kind);
        if let Some(r) = &expect.reason {
            note("reason", json!(r), &reason);
        }
    }
    if let Some(body) = &expect.body {
        note("body", body.clone(), &got["body"]);
    }
    if let Some(text) = &expect.body_text {
        note("body_text", json!(text), &got["body_text"]);
    }
    if let Some(headers) = &expect.headers {
        let sent: serde_json::Map<String, Value> = got["headers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|h| Some((h[0].as_str()?.to_ascii_lowercase(), h[1].clone())))
            .filter(|(name, _)| headers.keys().any(|k| k.eq_ignore_ascii_case(name)))
            .collect();
        let wanted: serde_json::Map<String, Value> = headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect();
        note("headers", Value::Object(wanted), &Value::Object(sent));
    }
    let (want, have) = (Value::Object(want), Value::Object(have));
    (want != have).then_some((want, have))
}

fn print_diff(expected: &Value, actual: &Value) {
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default() + "\n";
    let (e, a) = (pretty(expected), pretty(actual));
    let diff = similar::TextDiff::from_lines(&e, &a);
    print!(
        "{}",
        diff.unified_diff()
            .context_radius(3)
            .header("expected", "got")
    );
}
