//! [`PluginHost`]: runs plugin calls for webhooks, reusing instances safely.
//!
//! An instance is only ever reused for the same webhook, plugin (by content
//! hash) and config, never across webhooks (so never across tenants). It is
//! recycled after `max_calls_per_instance` calls or after any trap, and a
//! webhook may ask for a fresh instance per call (strict isolation). Idle
//! instances are bounded per key and in total.

use super::bindings::{WitEvent, WitRequest, WitVerdict};
use super::component::Plugin;
use super::engine::PluginEngine;
use super::error::CallError;
use super::instance::{CallReport, PluginInstance};
use super::state::CallTags;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Idle instances kept per (webhook, plugin, config).
const IDLE_PER_KEY: usize = 8;

/// Who a call is for.
#[derive(Debug, Clone)]
pub struct CallTarget {
    /// The webhook the call serves.
    pub webhook_id: Arc<str>,
    /// `name@version` of the plugin, for logs.
    pub plugin_ref: Arc<str>,
    /// The webhook's config for the plugin (JSON text).
    pub config: Arc<str>,
    /// A fresh instance for this call, discarded afterwards.
    pub fresh: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct InstanceKey {
    webhook_id: Arc<str>,
    sha256: String,
    config: Arc<str>,
}

/// Runs plugin calls. Shareable across threads; calls block the calling
/// thread (run them on a blocking pool, e.g. `tokio::task::spawn_blocking`).
pub struct PluginHost {
    engine: PluginEngine,
    idle: Mutex<Idle>,
    max_idle: usize,
}

#[derive(Default)]
struct Idle {
    by_key: HashMap<InstanceKey, Vec<PluginInstance>>,
    total: usize,
}

impl PluginHost {
    /// A host on `engine`, keeping at most half the engine's instance pool idle.
    pub fn new(engine: PluginEngine, max_instances: u32) -> Self {
        let max_idle = (max_instances as usize / 2).max(1);
        PluginHost {
            engine,
            idle: Mutex::new(Idle::default()),
            max_idle,
        }
    }

    /// The engine calls run on.
    pub fn engine(&self) -> &PluginEngine {
        &self.engine
    }

    /// Runs a filter plugin for `target`.
    pub fn filter(
        &self,
        plugin: &Plugin,
        target: &CallTarget,
        event: &WitEvent,
    ) -> (Result<WitVerdict, CallError>, CallReport) {
        self.with_instance(plugin, target, |instance| {
            instance.filter(event, &target.config)
        })
    }

    /// Runs a transform plugin for `target`.
    pub fn transform(
        &self,
        plugin: &Plugin,
        target: &CallTarget,
        event: &WitEvent,
        request: &WitRequest,
    ) -> (Result<WitRequest, CallError>, CallReport) {
        self.with_instance(plugin, target, |instance| {
            instance.transform(event, request, &target.config)
        })
    }

    /// Runs a plugin's `check-config` in a fresh instance (used when a
    /// webhook is saved).
    pub fn check_config(
        &self,
        plugin: &Plugin,
        plugin_ref: &str,
        config: &str,
    ) -> (Result<(), CallError>, CallReport) {
        let tags = CallTags {
            plugin: plugin_ref.into(),
            webhook: "(config check)".into(),
        };
        match PluginInstance::new(&self.engine, plugin, tags) {
            Ok(mut instance) => instance.check_config(config),
            Err(e) => (Err(e), CallReport::default()),
        }
    }

    /// Idle instances currently kept.
    pub fn idle_instances(&self) -> usize {
        self.lock().total
    }

    /// Drops every idle instance of `webhook_id` (its config changed or it
    /// was deleted).
    pub fn evict_webhook(&self, webhook_id: &str) {
        let mut idle = self.lock();
        let mut freed = 0;
        idle.by_key.retain(|key, instances| {
            let keep = &*key.webhook_id != webhook_id;
            if !keep {
                freed += instances.len();
            }
            keep
        });
        idle.total -= freed;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Idle> {
        // The map stays consistent even if a holder panicked: every update is
        // a single push, pop or retain.
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn with_instance<R>(
        &self,
        plugin: &Plugin,
        target: &CallTarget,
        f: impl FnOnce(&mut PluginInstance) -> (Result<R, CallError>, CallReport),
    ) -> (Result<R, CallError>, CallReport) {
        let key = InstanceKey {
            webhook_id: target.webhook_id.clone(),
            sha256: plugin.sha256().to_string(),
            config: target.config.clone(),
        };
        let reused = if target.fresh {
            None
        } else {
            self.checkout(&key)
        };
        let mut instance = match reused {
            Some(instance) => instance,
            None => {
                let tags = CallTags {
                    plugin: target.plugin_ref.clone(),
                    webhook: target.webhook_id.clone(),
                };
                match PluginInstance::new(&self.engine, plugin, tags) {
                    Ok(instance) => instance,
                    Err(e) => return (Err(e), CallReport::default()),
                }
            }
        };
        let outcome = f(&mut instance);
        if !target.fresh && instance.reusable() {
            self.checkin(key, instance);
        }
        outcome
    }

    fn checkout(&self, key: &InstanceKey) -> Option<PluginInstance> {
        let mut idle = self.lock();
        let instance = idle.by_key.get_mut(key)?.pop()?;
        idle.total -= 1;
        Some(instance)
    }

    fn checkin(&self, key: InstanceKey, instance: PluginInstance) {
        let mut idle = self.lock();
        if idle.total >= self.max_idle {
            // Make room by dropping an idle instance of some other key.
            let victim = idle
                .by_key
                .iter()
                .find(|(k, v)| **k != key && !v.is_empty())
                .map(|(k, _)| k.clone());
            match victim.and_then(|k| idle.by_key.get_mut(&k).and_then(Vec::pop)) {
                Some(_) => idle.total -= 1,
                None => return,
            }
            idle.by_key.retain(|_, v| !v.is_empty());
        }
        let slot = idle.by_key.entry(key).or_default();
        if slot.len() < IDLE_PER_KEY {
            slot.push(instance);
            idle.total += 1;
        }
    }
}
