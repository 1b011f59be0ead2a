//! `herald plugin new`: a working plugin project to start from, with a
//! native unit test and a cases file (`herald plugin test`). A Rust project
//! depends on the guest SDK of a Herald checkout by path; Python and
//! JavaScript ones ([`super::plugin_templates`]) on the SDK `herald plugin
//! build` embeds.

pub use super::plugin_templates::{Kind, Lang};
use super::CliError;
use std::path::{Path, PathBuf};

/// Creates the project in `dir` (which must not exist, or be empty) and
/// returns the files written.
pub fn create(
    dir: &Path,
    lang: Lang,
    kind: Kind,
    sdk: Option<&Path>,
) -> Result<Vec<PathBuf>, CliError> {
    let fail = |message: String| CliError::Input {
        path: dir.display().to_string(),
        message,
    };
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    let valid = !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        return Err(fail(format!(
            "{name:?} is not a plugin name: lowercase letters, digits and '-', starting with a letter (e.g. vip-filter)"
        )));
    }
    if dir
        .read_dir()
        .is_ok_and(|mut entries| entries.next().is_some())
    {
        return Err(fail("exists and is not empty; give a new directory".into()));
    }
    if lang != Lang::Rust {
        return write_files(dir, super::plugin_templates::files(lang, kind, &name));
    }
    let sdk = match sdk {
        Some(path) => path.to_path_buf(),
        None => find_sdk(dir).ok_or_else(|| {
            fail("cannot find Herald's guest SDK above this directory or the herald binary; pass --sdk /path/to/herald/guest-sdk".into())
        })?,
    };
    let sdk = std::fs::canonicalize(&sdk).unwrap_or(sdk);
    if !is_sdk(&sdk) {
        return Err(fail(format!(
            "{} is not Herald's guest-sdk directory",
            sdk.display()
        )));
    }
    let ident = name.replace('-', "_");
    let type_name: String = name
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    let (lib, cases) = match kind {
        Kind::Filter => (FILTER_LIB, FILTER_CASES),
        Kind::Transform => (TRANSFORM_LIB, TRANSFORM_CASES),
    };
    let fill = |text: &str| {
        text.replace("{{name}}", &name)
            .replace("{{ident}}", &ident)
            .replace("{{Type}}", &type_name)
            .replace("{{sdk}}", &sdk.display().to_string().replace('\\', "/"))
    };
    let files = vec![
        ("Cargo.toml", fill(CARGO_TOML)),
        ("src/lib.rs", fill(lib)),
        ("example/cases.json", fill(cases)),
        ("README.md", fill(README)),
        (".gitignore", "/target\n".to_string()),
    ];
    write_files(dir, files)
}

/// Writes a project's files under `dir`; returns their paths.
fn write_files(dir: &Path, files: Vec<(&str, String)>) -> Result<Vec<PathBuf>, CliError> {
    let fail = |message: String| CliError::Input {
        path: dir.display().to_string(),
        message,
    };
    let mut written = Vec::new();
    for (file, text) in files {
        let path = dir.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| fail(e.to_string()))?;
        }
        std::fs::write(&path, text).map_err(|e| fail(e.to_string()))?;
        written.push(path);
    }
    Ok(written)
}

fn is_sdk(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml"))
        .is_ok_and(|t| t.contains("name = \"herald-sdk\""))
}

/// `guest-sdk` in a directory above `dir` (or the current one), or above the
/// running binary (a checkout's `target/release/herald`).
fn find_sdk(dir: &Path) -> Option<PathBuf> {
    let start = std::env::current_dir().ok().map(|cwd| cwd.join(dir));
    let exe = std::env::current_exe().ok();
    [start, exe]
        .into_iter()
        .flatten()
        .flat_map(|p| p.ancestors().map(Path::to_path_buf).collect::<Vec<_>>())
        .map(|p| p.join("guest-sdk"))
        .find(|p| is_sdk(p))
}

const CARGO_TOML: &str = r#"[package]
name = "{{name}}"
version = "0.1.0"
edition = "2021"
publish = false

[lib]
# cdylib: the WebAssembly component; rlib: `cargo test` runs natively.
crate-type = ["cdylib", "rlib"]

[dependencies]
herald-sdk = { path = "{{sdk}}" }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
"#;

const FILTER_LIB: &str = r##"//! {{name}}: a Herald filter. Keeps events whose `data.amount` is at
//! least the configured `min_amount`.

use herald_sdk::{Event, Filter, PluginError, Verdict};
use serde::Deserialize;

/// The plugin.
pub struct {{Type}};

/// The webhook's config for it, e.g. `{"min_amount": 100}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The smallest amount kept.
    pub min_amount: f64,
}

/// The part of the event payload read.
#[derive(Deserialize)]
struct Payload {
    amount: f64,
}

impl Filter for {{Type}} {
    type Config = Config;

    fn filter(event: &Event, config: &Config) -> Result<Verdict, PluginError> {
        let payload: Payload = event.data_as()?;
        if payload.amount >= config.min_amount {
            Ok(Verdict::Keep)
        } else {
            Ok(Verdict::drop(format!(
                "amount {} is below {}",
                payload.amount, config.min_amount
            )))
        }
    }
}

herald_sdk::export_filter!({{Type}});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_large_amounts_and_drops_small_ones() {
        let config = Config { min_amount: 100.0 };
        let big = Event::example("payment.received", r#"{"amount": 250}"#);
        let small = Event::example("payment.received", r#"{"amount": 20}"#);
        assert!(matches!({{Type}}::filter(&big, &config), Ok(Verdict::Keep)));
        assert!(matches!({{Type}}::filter(&small, &config), Ok(Verdict::Drop(_))));
    }
}
"##;

const FILTER_CASES: &str = r#"{
  "config": {"min_amount": 100},
  "cases": [
    {"name": "a large amount is kept",
     "event": {"type": "payment.received", "data": {"amount": 250}},
     "expect": {"verdict": "keep"}},
    {"name": "a small amount is dropped, saying why",
     "event": {"type": "payment.received", "data": {"amount": 20}},
     "expect": {"verdict": "drop", "reason": "amount 20 is below 100"}},
    {"name": "an event without an amount is refused",
     "event": {"type": "payment.received", "data": {}},
     "expect": {"error": "guest_error", "message": "amount"}}
  ]
}
"#;

const TRANSFORM_LIB: &str = r##"//! {{name}}: a Herald transform. Sends the partner a body of its own
//! shape, `{"event": <type>, "payload": <data>}`, with a configured header.

use herald_sdk::{Event, PluginError, Request, Transform};
use serde::{Deserialize, Serialize};

/// The plugin.
pub struct {{Type}};

/// The webhook's config for it, e.g. `{"partner_header": "acme"}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Sent as `x-partner`.
    pub partner_header: String,
}

/// The body the partner expects (fields in this order).
#[derive(Serialize)]
struct PartnerBody<'a> {
    event: &'a str,
    payload: serde_json::Value,
}

impl Transform for {{Type}} {
    type Config = Config;

    fn transform(event: &Event, mut request: Request, config: &Config) -> Result<Request, PluginError> {
        let payload: serde_json::Value = event.data_as()?;
        request.set_json(&PartnerBody {
            event: &event.event_type,
            payload,
        })?;
        request.set_header("x-partner", &config.partner_header);
        Ok(request)
    }
}

herald_sdk::export_transform!({{Type}});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_the_payload_for_the_partner() {
        let config = Config { partner_header: "acme".into() };
        let event = Event::example("order.created", r#"{"id": 7}"#);
        let out = {{Type}}::transform(&event, Request::default(), &config).expect("transforms");
        assert_eq!(out.body, br#"{"event":"order.created","payload":{"id":7}}"#);
        assert_eq!(out.header("x-partner"), Some("acme"));
    }
}
"##;

const TRANSFORM_CASES: &str = r#"{
  "config": {"partner_header": "acme"},
  "cases": [
    {"name": "the payload is wrapped for the partner, fields in order",
     "event": {"type": "order.created", "data": {"id": 7}},
     "expect": {"body_text": "{\"event\":\"order.created\",\"payload\":{\"id\":7}}",
                "headers": {"x-partner": "acme"}}}
  ]
}
"#;

const README: &str = r#"# {{name}}

A Herald plugin made by `herald plugin new`.

- `cargo test`: the native unit tests in `src/lib.rs`.
- `herald plugin build .`: builds the component (needs `rustup target add wasm32-wasip2`) and prints its
  path, `target/wasm32-wasip2/release/{{ident}}.wasm`.
- `herald plugin test . --cases example/cases.json`: runs the cases through Herald's real plugin host with
  the server's limits; add a case for every behaviour you rely on.
- Register it with `PUT /v1/plugins/{{name}}/0.1.0` (the `.wasm` as the body) and reference it from a
  webhook as `{{name}}@0.1.0`.
"#;
