//! The `herald plugin` commands. `check` and `run` are here: load a plugin
//! exactly as the server does and run it once with the same limits,
//! printing the result, its log lines, the time, fuel (instructions) and
//! peak memory. `new` is in `plugin_new`, `build` and `test` in
//! `plugin_cases`; what they share in `plugin_io`.

use super::plugin_io::{
    emit, event_from, loader, pretty, read, request_json, verdict_json, EventFile, LimitArgs,
};
use super::CliError;
use crate::plugin::{
    CallError, CallReport, CallTags, PluginInstance, PluginLimits, WitRequest, World,
};
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Plugin subcommands.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Validate a `.wasm`: which world it targets, its exports and imports,
    /// or why it is not a Herald plugin.
    Check {
        /// The component file.
        file: PathBuf,
        /// Also run the plugin's `check-config` on this JSON config file.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Keep compiled code in this directory, as the server does (a
        /// second check loads from it: `from_cache`, and `compile_ms` is
        /// then the cached load).
        #[arg(long)]
        cache_dir: Option<PathBuf>,
    },
    /// Run a plugin once against an event, as the host would.
    Run(RunArgs),
    /// Create a plugin project in DIR (named after it): the plugin, a native
    /// unit test and a cases file for `herald plugin test`.
    New {
        /// The plugin's language.
        #[arg(long, value_enum, default_value_t = super::plugin_new::Lang::Rust)]
        lang: super::plugin_new::Lang,
        /// A filter or a transform.
        #[arg(long, value_enum)]
        kind: super::plugin_new::Kind,
        /// Herald's guest-sdk directory (found above DIR or the herald binary when not given).
        #[arg(long)]
        sdk: Option<PathBuf>,
        /// The new directory; its name is the plugin's (e.g. vip-filter).
        dir: PathBuf,
    },
    /// Build a plugin directory (a Rust crate, or a Python or JavaScript
    /// plugin with its `herald-plugin.json`) to one `.wasm` and print its
    /// path. Installs nothing: says what is missing and how to get it.
    Build {
        /// The plugin's directory.
        dir: PathBuf,
        /// Where to write the `.wasm` (default: Rust: cargo's target
        /// directory; Python and JavaScript: DIR/build/NAME.wasm).
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Run a file of cases through the real host with the server's limits:
    /// each case's event (and config, and request body for transforms)
    /// against its expected verdict, request or error. Exits 1 on any
    /// mismatch, with a diff.
    Test {
        /// The plugin: a `.wasm`, or a plugin directory (built first).
        plugin: PathBuf,
        /// The cases: `{"config"?, "cases": [{"name", "event", "config"?, "body"?, "expect"}]}`.
        #[arg(long)]
        cases: PathBuf,
        /// The limits of each call.
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Ask a running Herald what a webhook would do with some events (its
    /// filters and plugins run exactly as for a delivery; nothing is sent):
    /// the verdict, or the headers and exact body. Exits 1 when a plugin
    /// would fail.
    DryRun(super::plugin_dry_run::DryRunArgs),
}

/// Arguments of `herald plugin run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The component file.
    pub file: PathBuf,
    /// The event: `{"type", "data", "id"?, "timestamp"?, "environment"?, "org"?, "webhook_id"?}`.
    #[arg(long)]
    pub event: PathBuf,
    /// The webhook's config for the plugin (JSON file); default `{}`.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// For transforms: the request body file; default Herald's payload for the event.
    #[arg(long)]
    pub body: Option<PathBuf>,
    /// The limits of the call.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Runs a plugin subcommand.
pub fn run(command: PluginCommand) -> Result<ExitCode, CliError> {
    match command {
        PluginCommand::Check {
            file,
            config,
            cache_dir,
        } => check(&file, config.as_deref(), cache_dir),
        PluginCommand::DryRun(args) => super::plugin_dry_run::run(args),
        PluginCommand::Run(args) => run_once(&args),
        PluginCommand::New {
            lang,
            kind,
            sdk,
            dir,
        } => {
            for file in super::plugin_new::create(&dir, lang, kind, sdk.as_deref())? {
                emit(&file.display().to_string());
            }
            Ok(ExitCode::SUCCESS)
        }
        PluginCommand::Build { dir, out } => {
            let wasm = super::plugin_build::build(&dir, out.as_deref())?;
            emit(&wasm.display().to_string());
            Ok(ExitCode::SUCCESS)
        }
        PluginCommand::Test {
            plugin,
            cases,
            limits,
        } => super::plugin_cases::test(&plugin, &cases, limits),
    }
}

fn read_config(path: Option<&Path>) -> Result<String, CliError> {
    let Some(path) = path else {
        return Ok("{}".into());
    };
    let text = read(path)?;
    serde_json::from_str::<Value>(&text).map_err(|e| CliError::Input {
        path: path.display().to_string(),
        message: format!("not valid JSON: {e}"),
    })?;
    Ok(text)
}

fn check(
    file: &Path,
    config: Option<&Path>,
    cache_dir: Option<PathBuf>,
) -> Result<ExitCode, CliError> {
    let loader = loader(PluginLimits::default(), false)?;
    let loader = crate::plugin::PluginLoader::new(loader.engine().clone(), cache_dir);
    let plugin = loader.load_file(file).map_err(|source| CliError::Load {
        path: file.display().to_string(),
        source,
    })?;
    let mut out = json!({
        "file": file.display().to_string(),
        "world": plugin.world().wit_name(),
        "contract": plugin.contract(),
        "sha256": plugin.sha256(),
        "exports": plugin.exports(),
        "imports": plugin.imports(),
        "wasm_bytes": plugin.load_info().wasm_bytes,
        "language": plugin.language().name(),
        "limits": {
            "deadline_ms": plugin.limits().deadline.as_millis() as u64,
            "memory_mib": plugin.limits().memory_bytes >> 20,
        },
        "compile_ms": plugin.load_info().elapsed.as_secs_f64() * 1e3,
        "from_cache": plugin.load_info().from_cache,
    });
    let mut code = ExitCode::SUCCESS;
    if let Some(path) = config {
        let text = read_config(Some(path))?;
        let tags = CallTags {
            plugin: file.display().to_string().into(),
            webhook: "(check)".into(),
        };
        let (result, _) = match PluginInstance::new(loader.engine(), &plugin, tags) {
            Ok(mut instance) => instance.check_config(&text),
            Err(e) => (Err(e), CallReport::default()),
        };
        out["config"] = match result {
            Ok(()) => json!("accepted"),
            Err(e) => {
                code = ExitCode::from(1);
                json!({"rejected": e.to_string()})
            }
        };
    }
    emit(&pretty(&out));
    Ok(code)
}

fn run_once(args: &RunArgs) -> Result<ExitCode, CliError> {
    let loader = loader(PluginLimits::default(), true)?;
    let file = args.file.display().to_string();
    let plugin = loader
        .load_file(&args.file)
        .map_err(|source| CliError::Load {
            path: file.clone(),
            source,
        })?;
    let plugin = args.limits.apply(plugin);
    let event_text = read(&args.event)?;
    let ef: EventFile = serde_json::from_str(&event_text).map_err(|e| CliError::Input {
        path: args.event.display().to_string(),
        message: format!("not a Herald event ({e}); expected {{\"type\", \"data\", \"id\"?, \"timestamp\"?, \"environment\"?}}"),
    })?;
    let (event, webhook_id) = event_from(ef);
    let config = read_config(args.config.as_deref())?;
    let wit_event = event.to_plugin_event(&webhook_id);
    let tags = CallTags {
        plugin: file.clone().into(),
        webhook: webhook_id.into(),
    };

    let started = Instant::now();
    let mut instance = match PluginInstance::new(loader.engine(), &plugin, tags) {
        Ok(instance) => instance,
        Err(e) => return Ok(report_failure(&e, &CallReport::default(), None)),
    };
    let instantiate = started.elapsed();
    let (result, report) = match plugin.world() {
        World::Filter => {
            let (r, report) = instance.filter(&wit_event, &config);
            (r.map(|v| verdict_json(&v)), report)
        }
        World::Transform => {
            let body = match &args.body {
                Some(path) => std::fs::read(path).map_err(|e| CliError::Input {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })?,
                None => event.payload(),
            };
            let request = WitRequest {
                headers: vec![("content-type".into(), "application/json".into())],
                body,
            };
            let (r, report) = instance.transform(&wit_event, &request, &config);
            (
                r.map(|req| json!({ "request": request_json(&req) })),
                report,
            )
        }
    };
    match result {
        Ok(mut out) => {
            out["logs"] = json!(report.logs);
            out["stats"] = stats_json(&report, Some(instantiate));
            emit(&pretty(&out));
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Ok(report_failure(&e, &report, Some(instantiate))),
    }
}

fn report_failure(
    error: &CallError,
    report: &CallReport,
    instantiate: Option<Duration>,
) -> ExitCode {
    let out = json!({
        "error": {"class": error.class(), "message": error.to_string()},
        "logs": report.logs,
        "stats": stats_json(report, instantiate),
    });
    emit(&pretty(&out));
    eprintln!("error[{}]: {error}", error.class());
    ExitCode::from(1)
}

fn stats_json(report: &CallReport, instantiate: Option<Duration>) -> Value {
    json!({
        "call_us": report.duration.as_secs_f64() * 1e6,
        "instantiate_us": instantiate.map(|d| d.as_secs_f64() * 1e6),
        "fuel": report.fuel,
        "peak_memory_bytes": report.peak_memory,
        "logs_dropped": report.logs_dropped,
    })
}
