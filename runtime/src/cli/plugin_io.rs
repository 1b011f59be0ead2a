//! What the `herald plugin` commands share: reading files and event files,
//! the loader with the server's engine settings, and the JSON they print.

use super::CliError;
use crate::event::{now_rfc3339, Event};
use crate::plugin::{
    EngineOptions, PluginEngine, PluginLimits, PluginLoader, WitRequest, WitVerdict,
};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, value::RawValue, Value};
use std::path::Path;

/// The event file's shape: what a producer publishes, plus optional context.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EventFile {
    id: Option<String>,
    #[serde(rename = "type")]
    event_type: String,
    timestamp: Option<String>,
    environment: Option<String>,
    org: Option<String>,
    webhook_id: Option<String>,
    data: Box<RawValue>,
}

/// The event of an event file, and the webhook id it runs under.
pub(super) fn event_from(ef: EventFile) -> (Event, String) {
    let webhook_id = ef.webhook_id.unwrap_or_else(|| "wh_local".into());
    let event = Event {
        id: ef.id.unwrap_or_else(|| "evt_local".into()),
        event_type: ef.event_type,
        timestamp: ef.timestamp.unwrap_or_else(now_rfc3339),
        org: ef.org.unwrap_or_else(|| "org_local".into()),
        environment: ef.environment,
        data: ef.data,
        traceparent: None,
    };
    (event, webhook_id)
}

pub(super) fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|e| CliError::Input {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

pub(super) fn loader(limits: PluginLimits, fuel: bool) -> Result<PluginLoader, CliError> {
    let engine = PluginEngine::new(EngineOptions {
        limits,
        max_instances: 4,
        fuel,
        pooling: true,
    })?;
    Ok(PluginLoader::new(engine, None))
}

pub(super) fn verdict_json(verdict: &WitVerdict) -> Value {
    match verdict {
        WitVerdict::Keep => json!({"verdict": "keep"}),
        WitVerdict::Drop(reason) => json!({"verdict": {"drop": reason}}),
    }
}

/// Prints `text` and a newline on stdout. A reader that went away (`| head`)
/// is not an error: what it did not read is not needed.
pub(super) fn emit(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{text}").and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("herald: cannot write the result: {e}");
        }
    }
}

pub(super) fn request_json(request: &WitRequest) -> Value {
    let headers: Vec<Value> = request.headers.iter().map(|(n, v)| json!([n, v])).collect();
    let mut out = json!({ "headers": headers });
    if let Ok(body) = serde_json::from_slice::<Value>(&request.body) {
        out["body"] = body;
        // The bytes exactly as they would be sent (key order and spacing kept).
        out["body_text"] = json!(String::from_utf8_lossy(&request.body));
    } else if let Ok(text) = std::str::from_utf8(&request.body) {
        out["body_text"] = json!(text);
    } else {
        out["body_base64"] = json!(base64::engine::general_purpose::STANDARD.encode(&request.body));
    }
    out
}

pub(super) fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// Limits given on the command line, over the plugin's own (its
/// language's defaults: 50 ms and 32 MiB for Rust, more for Python and
/// JavaScript; see `herald plugin check`).
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct LimitArgs {
    /// CPU deadline per call, in milliseconds (default: the plugin's language's).
    #[arg(long)]
    pub deadline_ms: Option<u64>,
    /// Memory cap per instance, in MiB (default: the plugin's language's).
    #[arg(long)]
    pub memory_mib: Option<usize>,
}

impl LimitArgs {
    /// `plugin` under these limits where given, its own elsewhere.
    pub fn apply(&self, plugin: crate::plugin::Plugin) -> crate::plugin::Plugin {
        if self.deadline_ms.is_none() && self.memory_mib.is_none() {
            return plugin;
        }
        let own = plugin.limits().clone();
        plugin.with_limits(
            self.deadline_ms
                .map_or(own.deadline, std::time::Duration::from_millis),
            self.memory_mib.map_or(own.memory_bytes, |m| m << 20),
        )
    }
}
