//! The plugin chain of one attempt: the webhook's filter plugins in order
//! (any may drop the event), then its transform plugins in order (each may
//! rewrite the request), on the blocking pool, bounded by the plugin
//! semaphore, each call timed into the metrics.

use super::Filters;
use crate::app::App;
use crate::event::Event;
use crate::model::{PluginLogLine, Webhook, MAX_PLUGIN_LOG_LINES};
use crate::plugin::{CallError, CallTarget, Plugin, Quarantine, WitRequest, WitVerdict};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// Where the chain left the request.
pub(super) enum ChainResult {
    /// The request to sign and send (as the transforms left it).
    Request(WitRequest),
    /// A filter plugin dropped the event, with its reason.
    Dropped(String),
}

/// Why the chain stopped without a request.
pub(super) struct ChainFailure {
    /// What to record: which plugin, its error class and message.
    pub(super) message: String,
    /// The plugin said trying again cannot help (contract 0.2.0).
    pub(super) permanent: bool,
}

impl From<String> for ChainFailure {
    fn from(message: String) -> Self {
        ChainFailure {
            message,
            permanent: false,
        }
    }
}

/// What the plugins logged, bounded per attempt.
#[derive(Default)]
pub(super) struct Logs(pub(super) Vec<PluginLogLine>);

impl Logs {
    pub(super) fn add(&mut self, plugin: &str, report: &crate::plugin::CallReport) {
        for line in &report.logs {
            if self.0.len() >= MAX_PLUGIN_LOG_LINES {
                return;
            }
            let mut message = line.message.clone();
            if message.len() > 1024 {
                let mut end = 1024;
                while !message.is_char_boundary(end) {
                    end -= 1;
                }
                message.truncate(end);
            }
            self.0.push(PluginLogLine {
                plugin: plugin.to_string(),
                level: serde_json::to_value(line.level)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                message,
            });
        }
    }
}

/// The plugins of `refs`, loaded, each with its call target (its config;
/// the webhook's id is left for the caller to set).
pub(super) async fn resolve(
    app: &App,
    refs: &[crate::model::PluginRef],
) -> std::result::Result<Vec<(Plugin, CallTarget)>, String> {
    let mut out = Vec::with_capacity(refs.len());
    for r in refs {
        let plugin = app
            .plugins
            .get(&r.plugin)
            .await
            .map_err(|e| e.to_string())?;
        let target = CallTarget {
            webhook_id: Arc::from(""),
            plugin_ref: Arc::from(r.plugin.as_str()),
            config: Arc::from(r.config.to_string()),
            fresh: false,
        };
        out.push((plugin, target));
    }
    Ok(out)
}

pub(super) async fn run_plugins(
    app: &App,
    webhook: &Webhook,
    event: &Event,
    payload: Vec<u8>,
    filters: Filters,
) -> (std::result::Result<ChainResult, ChainFailure>, Logs) {
    let mut logs = Logs::default();
    let result = run_chain(app, webhook, event, payload, filters, &mut logs).await;
    (result, logs)
}

async fn run_chain(
    app: &App,
    webhook: &Webhook,
    event: &Event,
    payload: Vec<u8>,
    filters: Filters,
    logs_out: &mut Logs,
) -> std::result::Result<ChainResult, ChainFailure> {
    let request = WitRequest {
        headers: vec![("content-type".into(), "application/json".into())],
        body: payload,
    };
    let chain = &webhook.plugins;
    if chain.transforms.is_empty() && (chain.filters.is_empty() || filters == Filters::Skip) {
        return Ok(ChainResult::Request(request));
    }
    let with_webhook = |mut list: Vec<(Plugin, CallTarget)>| {
        for (_, t) in &mut list {
            t.webhook_id = Arc::from(webhook.id.as_str());
            t.fresh = chain.fresh_instance;
        }
        list
    };
    let filter_plugins = if filters == Filters::Apply {
        with_webhook(resolve(app, &chain.filters).await?)
    } else {
        Vec::new()
    };
    let transform_plugins = with_webhook(resolve(app, &chain.transforms).await?);
    // The first plugin to run is paused: fail before any work.
    if let Some((_, first)) = filter_plugins.first().or(transform_plugins.first()) {
        if let Some(said) = paused(&app.quarantine, first) {
            return Err(said.into());
        }
    }
    let chain_started = SystemTime::now();
    let wit_event = event.to_plugin_event(&webhook.id);
    let host = app.host.clone();
    let quarantine = app.quarantine.clone();
    let timings: Vec<PluginTiming> = Vec::new();
    let logs = Logs::default();
    let slot = app
        .plugin_runs
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| "shutting down".to_string())?;
    let joined = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        // Runs when the chain ends, whichever way it returns.
        let _collect = CollectOnDrop;
        let (mut timings, mut logs) = (timings, logs);
        for (plugin, target) in &filter_plugins {
            if let Some(said) = paused(&quarantine, target) {
                return (Err(said.into()), timings, logs);
            }
            let (result, report) = host.filter(plugin, target, &wit_event);
            timings.push((
                target.plugin_ref.clone(),
                report.duration,
                SystemTime::now(),
            ));
            logs.add(&target.plugin_ref, &report);
            let result = noted(&quarantine, target, result);
            match result {
                Ok(WitVerdict::Keep) => {}
                Ok(WitVerdict::Drop(reason)) => {
                    return (
                        Ok(ChainResult::Dropped(format!(
                            "{}: {reason}",
                            target.plugin_ref
                        ))),
                        timings,
                        logs,
                    )
                }
                Err(said) => return (Err(said), timings, logs),
            }
        }
        let mut request = request;
        for (plugin, target) in &transform_plugins {
            if let Some(said) = paused(&quarantine, target) {
                return (Err(said.into()), timings, logs);
            }
            let (result, report) = host.transform(plugin, target, &wit_event, &request);
            timings.push((
                target.plugin_ref.clone(),
                report.duration,
                SystemTime::now(),
            ));
            logs.add(&target.plugin_ref, &report);
            let result = noted(&quarantine, target, result);
            match result {
                Ok(out) => request = out,
                Err(said) => return (Err(said), timings, logs),
            }
        }
        (Ok(ChainResult::Request(request)), timings, logs)
    })
    .await;
    let (result, timings, logs) = joined.map_err(|e| format!("plugin task failed: {e}"))?;
    *logs_out = logs;
    if crate::telemetry::on() {
        crate::telemetry::spans::plugin_calls(chain_started, &timings);
    }
    observe(app, timings);
    result
}

/// A plugin call's plugin, duration and end.
pub(super) type PluginTiming = (Arc<str>, Duration, SystemTime);

/// Records each plugin call's duration in the metrics.
pub(super) fn observe(app: &App, timings: Vec<PluginTiming>) {
    for (plugin, took, _) in timings {
        app.metrics
            .plugin_call
            .get_or_create(&crate::metrics::PluginLabel {
                plugin: plugin.to_string(),
            })
            .observe(took.as_secs_f64());
    }
}

/// The failure to report instead of calling a plugin paused on this webhook.
pub(super) fn paused(quarantine: &Quarantine, target: &CallTarget) -> Option<String> {
    quarantine.paused(&target.webhook_id, &target.plugin_ref, Instant::now())
}

/// Notes a call's end in the quarantine; a failure becomes its message.
pub(super) fn noted<T>(
    quarantine: &Quarantine,
    target: &CallTarget,
    result: Result<T, CallError>,
) -> Result<T, ChainFailure> {
    match result {
        Ok(value) => {
            quarantine.record(&target.webhook_id, &target.plugin_ref, None, Instant::now());
            Ok(value)
        }
        Err(e) => {
            let said = format!("{} ({}): {e}", target.plugin_ref, e.class());
            quarantine.record(
                &target.webhook_id,
                &target.plugin_ref,
                Some((&e, &said)),
                Instant::now(),
            );
            Err(ChainFailure {
                message: said,
                permanent: e.is_permanent(),
            })
        }
    }
}

/// Returns the blocking thread's free memory (rate-limited) when dropped.
pub(super) struct CollectOnDrop;

impl Drop for CollectOnDrop {
    fn drop(&mut self) {
        crate::memory::collect_if_due();
    }
}
