//! `herald plugin dry-run`: asks a running Herald what a webhook would do
//! with some events (`POST /v1/orgs/{org}/webhooks/{id}/dry-run`): its
//! trigger filters, filter plugins and transforms run exactly as for a
//! delivery; nothing is sent or written. Prints, per event, the verdict or
//! the request that would go out; exits 1 when a plugin would fail.

use super::api_call::{self, ApiCallError};
use super::CliError;
use clap::Args;
use serde_json::Value;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `herald plugin dry-run`.
#[derive(Debug, Args)]
pub struct DryRunArgs {
    /// Herald's base URL.
    #[arg(long, env = "HERALD_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// An org API key with `webhooks:write`, or the operator token.
    #[arg(long, env = "HERALD_API_KEY", hide_env_values = true)]
    pub key: String,
    /// The org.
    #[arg(long)]
    pub org: String,
    /// The webhook.
    #[arg(long)]
    pub webhook: String,
    /// A JSON file: one event (`{"type", "data", "id"?}`), an array of
    /// them, or `{"events": [...]}`.
    #[arg(long, conflicts_with = "recent", required_unless_present = "recent")]
    pub events: Option<PathBuf>,
    /// Or: the webhook's last N stored events (1 to 100).
    #[arg(long)]
    pub recent: Option<usize>,
    /// Print the API's JSON answer as it is.
    #[arg(long)]
    pub json: bool,
    /// A PEM file of extra CA certificates for an `https://` URL.
    #[arg(long)]
    pub ca_file: Option<PathBuf>,
    /// How long to wait for the answer.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
}

/// Runs the dry run and prints what it found.
pub fn run(args: DryRunArgs) -> Result<ExitCode, CliError> {
    let body = match (&args.events, args.recent) {
        (Some(path), _) => {
            let input = |message: String| CliError::Input {
                path: path.display().to_string(),
                message,
            };
            let text = std::fs::read_to_string(path).map_err(|e| input(e.to_string()))?;
            let value: Value =
                serde_json::from_str(&text).map_err(|e| input(format!("not JSON: {e}")))?;
            let events = match value {
                Value::Array(events) => Value::Array(events),
                Value::Object(mut o) if o.contains_key("events") => {
                    o.remove("events").unwrap_or_default()
                }
                Value::Object(o) => Value::Array(vec![Value::Object(o)]),
                _ => {
                    return Err(input(
                        "expected an event object, an array of events or {\"events\": [...]}"
                            .into(),
                    ))
                }
            };
            serde_json::json!({ "events": events })
        }
        (None, Some(n)) => serde_json::json!({ "recent": n }),
        (None, None) => {
            return Err(CliError::Input {
                path: "-".into(),
                message: "give --events FILE or --recent N".into(),
            })
        }
    };
    let path = format!("/v1/orgs/{}/webhooks/{}/dry-run", args.org, args.webhook);
    let answer = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?
        .block_on(api_call::post_json(
            &args.url,
            &path,
            &args.key,
            body.to_string().into_bytes(),
            args.ca_file.as_deref(),
            args.timeout,
        ))?;
    if answer.status != 200 {
        let message = serde_json::from_str::<Value>(&answer.body)
            .ok()
            .and_then(|v| {
                v.pointer("/error/message")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or(answer.body);
        return Err(CliError::Api {
            status: answer.status,
            message,
        });
    }
    let result: Value = serde_json::from_str(&answer.body).map_err(|e| CliError::Api {
        status: answer.status,
        message: format!("the answer is not JSON: {e}"),
    })?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&result).unwrap_or(answer.body)
        );
    }
    let mut failed = 0;
    for item in result["items"].as_array().into_iter().flatten() {
        if item["result"] == "failed" {
            failed += 1;
        }
        if !args.json {
            print_item(item);
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("{failed} event(s) would fail in a plugin (the delivery would be retried)");
        ExitCode::from(1)
    })
}

impl From<ApiCallError> for CliError {
    fn from(e: ApiCallError) -> Self {
        CliError::Api {
            status: 0,
            message: e.to_string(),
        }
    }
}

/// One event's result, for a terminal.
fn print_item(item: &Value) {
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    let head = format!("{} ({})", s(&item["event_id"]), s(&item["event_type"]));
    match item["result"].as_str() {
        Some("send") => {
            let r = &item["request"];
            println!("{head}: send to {}", s(&r["url"]));
            for (name, value) in r["headers"].as_object().into_iter().flatten() {
                println!("  {name}: {}", s(value));
            }
            println!();
            println!("{}", s(&r["body"]));
        }
        Some(other) => println!("{head}: {other}: {}", s(&item["reason"])),
        None => println!("{head}: {item}"),
    }
    for line in item["plugin_logs"].as_array().into_iter().flatten() {
        println!(
            "  log [{}] {}: {}",
            s(&line["level"]),
            s(&line["plugin"]),
            s(&line["message"])
        );
    }
    if let Some(ms) = item["plugins_ms"].as_f64() {
        println!("  plugins: {ms:.2} ms");
    }
    println!();
}
