//! Event versions on the delivery path: the version a webhook receives (its
//! trigger's pin, else the type's newest) and the conversion of an event,
//! published in the newest version, down to the pinned one by the type's
//! `downgrade` transform plugins, one step at a time. It runs before the
//! native filters and the webhook's own plugins, which all see the event as
//! the webhook receives it.

use super::chain::{noted, paused, ChainFailure, CollectOnDrop, Logs};
use crate::app::App;
use crate::event::Event;
use crate::model::{EventType, PluginRef, Webhook};
use crate::plugin::WitRequest;
use serde_json::value::RawValue;
use std::sync::Arc;

/// The event as the webhook receives it.
pub(super) struct Versioned {
    /// The converted event (`None`: the event as published is the one sent).
    pub(super) converted: Option<Event>,
    /// The version sent (`None`: the type is not versioned).
    pub(super) version: Option<String>,
}

/// Converts `event` to the version `webhook` pinned for its type; plugin
/// log lines go to `logs`.
pub(super) async fn convert(
    app: &App,
    webhook: &Webhook,
    event: &Event,
    logs: &mut Logs,
) -> Result<Versioned, ChainFailure> {
    let pinned = webhook
        .triggers
        .iter()
        .find(|t| t.event == event.event_type)
        .and_then(|t| t.version.as_deref());
    let entry = match app.catalogue.get(&event.event_type).await {
        Ok(entry) => entry.filter(|e| !e.versions.is_empty()),
        // Unpinned deliveries go on (only the version header is missing).
        Err(_) if pinned.is_none() => None,
        Err(e) => return Err(format!("cannot read the event-type catalogue: {e}").into()),
    };
    let Some(entry) = entry else {
        return match pinned {
            Some(pinned) => Err(format!(
                "the webhook receives version {pinned:?} of {}, which declares no versions in the catalogue",
                event.event_type
            )
            .into()),
            None => Ok(Versioned {
                converted: None,
                version: None,
            }),
        };
    };
    let version = pinned.or(entry.newest()).unwrap_or_default().to_string();
    let steps: Vec<PluginRef> = entry.steps_to(&version)?.into_iter().cloned().collect();
    if steps.is_empty() {
        return Ok(Versioned {
            converted: None,
            version: Some(version),
        });
    }
    let converted = run_steps(app, webhook, event, &entry, steps, logs).await?;
    Ok(Versioned {
        converted: Some(converted),
        version: Some(version),
    })
}

/// Runs the conversions in order on the blocking pool, each on the event
/// the one before left.
async fn run_steps(
    app: &App,
    webhook: &Webhook,
    event: &Event,
    entry: &EventType,
    steps: Vec<PluginRef>,
    logs_out: &mut Logs,
) -> Result<Event, ChainFailure> {
    let mut resolved = super::chain::resolve(app, &steps)
        .await
        .map_err(|e| format!("downgrade plugin of {}: {e}", entry.event_type))?;
    for (_, target) in &mut resolved {
        target.webhook_id = Arc::from(webhook.id.as_str());
        target.fresh = webhook.plugins.fresh_instance;
    }
    let slot = app
        .plugin_runs
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| "shutting down".to_string())?;
    let (host, quarantine) = (app.host.clone(), app.quarantine.clone());
    let mut event = event.clone();
    let webhook_id = webhook.id.clone();
    let started = std::time::SystemTime::now();
    let joined = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let _collect = CollectOnDrop;
        let mut logs = Logs::default();
        let mut timings = Vec::new();
        for (plugin, target) in &resolved {
            if let Some(said) = paused(&quarantine, target) {
                return (Err(said.into()), logs, timings);
            }
            let request = WitRequest {
                headers: vec![("content-type".into(), "application/json".into())],
                body: event.payload(),
            };
            let wit_event = event.to_plugin_event(&webhook_id);
            let (result, report) = host.transform(plugin, target, &wit_event, &request);
            timings.push((
                target.plugin_ref.clone(),
                report.duration,
                std::time::SystemTime::now(),
            ));
            logs.add(&target.plugin_ref, &report);
            let converted = noted(&quarantine, target, result).and_then(|out| {
                data_of(&out.body).map_err(|e| {
                    ChainFailure::from(format!("{} (downgrade): {e}", target.plugin_ref))
                })
            });
            match converted {
                Ok(data) => event.data = data,
                Err(failure) => return (Err(failure), logs, timings),
            }
        }
        (Ok(event), logs, timings)
    })
    .await;
    let (result, logs, timings) = joined.map_err(|e| format!("plugin task failed: {e}"))?;
    *logs_out = logs;
    if crate::telemetry::on() {
        crate::telemetry::spans::plugin_calls(started, &timings);
    }
    super::chain::observe(app, timings);
    result
}

/// The `data` of a converted envelope: a JSON object's `data` object.
fn data_of(body: &[u8]) -> Result<Box<RawValue>, String> {
    #[derive(serde::Deserialize)]
    struct Envelope {
        data: Option<Box<RawValue>>,
    }
    let envelope: Envelope = serde_json::from_slice(body)
        .map_err(|e| format!("the body it returned is not a JSON object ({e})"))?;
    match envelope.data {
        Some(data) if data.get().trim_start().starts_with('{') => Ok(data),
        _ => Err("the body it returned has no `data` object".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::data_of;

    #[test]
    fn a_conversion_must_return_an_envelope_with_a_data_object() {
        let data = data_of(br#"{"id":"e1","data":{"order_id":7}}"#).expect("data");
        assert_eq!(data.get(), r#"{"order_id":7}"#);
        assert!(data_of(br#"{"data":[1]}"#).is_err());
        assert!(data_of(br#"{"order_id":7}"#).is_err());
        assert!(data_of(b"not json").is_err());
    }
}
