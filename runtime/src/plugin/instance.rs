//! One plugin instance in its own `Store`, and one call on it with every
//! limit enforced: input size, CPU deadline (epochs), memory cap (the store's
//! limiter), output size. Failures are classified into [`CallError`], and a
//! call always yields a [`CallReport`] (log lines, time, fuel, memory).

use super::bindings::{
    filter::FilterPlugin, legacy, transform::TransformPlugin, WitError, WitErrorKind, WitEvent,
    WitRequest, WitVerdict,
};
use super::component::{Plugin, Pre};
use super::engine::PluginEngine;
use super::error::{CallError, GuestError};
use super::limits::PluginLimits;
use super::state::{CallTags, HostState, LogLine};
use std::time::{Duration, Instant};
use wasmtime::{Store, Trap};

/// What one call cost and said, whether it succeeded or not.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CallReport {
    /// Lines the plugin logged.
    pub logs: Vec<LogLine>,
    /// Lines beyond the per-call limit, counted but not kept.
    pub logs_dropped: usize,
    /// Wall time of the call (instantiation not included).
    #[serde(serialize_with = "as_micros")]
    pub duration: Duration,
    /// Instructions executed, as fuel (only when the engine counts fuel).
    pub fuel: Option<u64>,
    /// Peak linear memory of the instance so far, in bytes.
    pub peak_memory: usize,
}

fn as_micros<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1e6)
}

enum Bound {
    Filter(FilterPlugin),
    Transform(TransformPlugin),
    /// Built against contract 0.1.0: its values are converted.
    LegacyFilter(legacy::filter::FilterPlugin),
    LegacyTransform(legacy::transform::TransformPlugin),
}

/// A live instance of one plugin, owned by one webhook.
pub struct PluginInstance {
    store: Store<HostState>,
    bound: Bound,
    calls: u64,
    poisoned: bool,
    engine: PluginEngine,
    /// The plugin's own limits (its language's, or its registration's).
    limits: PluginLimits,
}

impl PluginInstance {
    /// Instantiates `plugin` in a fresh store (from its `InstancePre`).
    pub fn new(engine: &PluginEngine, plugin: &Plugin, tags: CallTags) -> Result<Self, CallError> {
        let limits = plugin.limits().clone();
        let mut store = Store::new(engine.engine(), HostState::new(&limits, tags));
        store.limiter(|state| &mut state.limiter);
        store.epoch_deadline_trap();
        store.set_epoch_deadline(limits.deadline_ticks());
        if engine.fuel() {
            store
                .set_fuel(u64::MAX)
                .map_err(|e| CallError::Instantiate(format!("{e:#}")))?;
        }
        let running = engine.running();
        let bound = match plugin.pre() {
            Pre::Filter(pre) => pre.instantiate(&mut store).map(Bound::Filter),
            Pre::Transform(pre) => pre.instantiate(&mut store).map(Bound::Transform),
            Pre::LegacyFilter(pre) => pre.instantiate(&mut store).map(Bound::LegacyFilter),
            Pre::LegacyTransform(pre) => pre.instantiate(&mut store).map(Bound::LegacyTransform),
        };
        drop(running);
        let bound = bound.map_err(|e| classify(&mut store, e, &limits))?;
        Ok(PluginInstance {
            store,
            bound,
            calls: 0,
            poisoned: false,
            engine: engine.clone(),
            limits,
        })
    }

    /// Whether the instance may serve another call (not trapped, not spent).
    pub fn reusable(&self) -> bool {
        !self.poisoned && self.calls < self.limits.max_calls_per_instance
    }

    /// Runs the plugin's `check-config`.
    pub fn check_config(&mut self, config: &str) -> (Result<(), CallError>, CallReport) {
        let (result, report) = self.call(config.len(), |store, bound| match bound {
            Bound::Filter(p) => p.herald_plugin_filter().call_check_config(store, config),
            Bound::Transform(p) => p.herald_plugin_transform().call_check_config(store, config),
            Bound::LegacyFilter(p) => p
                .herald_plugin_filter()
                .call_check_config(store, config)
                .map(|r| r.map_err(legacy::error_back)),
            Bound::LegacyTransform(p) => p
                .herald_plugin_transform()
                .call_check_config(store, config)
                .map(|r| r.map_err(legacy::error_back)),
        });
        (result.and_then(|r| r.map_err(guest_error)), report)
    }

    /// Runs a filter.
    pub fn filter(
        &mut self,
        event: &WitEvent,
        config: &str,
    ) -> (Result<WitVerdict, CallError>, CallReport) {
        let limit = self.limits.max_output_bytes;
        let (result, report) =
            self.call(
                event_size(event) + config.len(),
                |store, bound| match bound {
                    Bound::Filter(p) => p.herald_plugin_filter().call_filter(store, event, config),
                    Bound::LegacyFilter(p) => p
                        .herald_plugin_filter()
                        .call_filter(store, &legacy::event(event), config)
                        .map(|r| r.map(legacy::verdict_back).map_err(legacy::error_back)),
                    Bound::Transform(_) | Bound::LegacyTransform(_) => Err(wasmtime::format_err!(
                        "a transform plugin cannot be called as a filter"
                    )),
                },
            );
        let result =
            result
                .and_then(|r| r.map_err(guest_error))
                .and_then(|verdict| match &verdict {
                    WitVerdict::Drop(reason) if reason.len() > limit => {
                        Err(CallError::OutputTooLarge {
                            size: reason.len(),
                            limit,
                        })
                    }
                    _ => Ok(verdict),
                });
        (result, report)
    }

    /// Runs a transform.
    pub fn transform(
        &mut self,
        event: &WitEvent,
        request: &WitRequest,
        config: &str,
    ) -> (Result<WitRequest, CallError>, CallReport) {
        let limit = self.limits.max_output_bytes;
        let size = event_size(event) + request_size(request) + config.len();
        let (result, report) = self.call(size, |store, bound| match bound {
            Bound::Transform(p) => p
                .herald_plugin_transform()
                .call_transform(store, event, request, config),
            Bound::LegacyTransform(p) => p
                .herald_plugin_transform()
                .call_transform(
                    store,
                    &legacy::event(event),
                    &legacy::request(request),
                    config,
                )
                .map(|r| r.map(legacy::request_back).map_err(legacy::error_back)),
            Bound::Filter(_) | Bound::LegacyFilter(_) => Err(wasmtime::format_err!(
                "a filter plugin cannot be called as a transform"
            )),
        });
        let result = result.and_then(|r| r.map_err(guest_error)).and_then(|out| {
            let size = request_size(&out);
            if size > limit {
                Err(CallError::OutputTooLarge { size, limit })
            } else {
                Ok(out)
            }
        });
        if matches!(result, Err(CallError::OutputTooLarge { .. })) {
            // The guest's heap now holds the oversized body; start afresh.
            self.poisoned = true;
        }
        (result, report)
    }

    fn call<R>(
        &mut self,
        input_size: usize,
        f: impl FnOnce(&mut Store<HostState>, &Bound) -> wasmtime::Result<R>,
    ) -> (Result<R, CallError>, CallReport) {
        let limits = &self.limits;
        if input_size > limits.max_input_bytes {
            let report = CallReport {
                peak_memory: self.store.data().limiter.peak,
                ..Default::default()
            };
            return (
                Err(CallError::InputTooLarge {
                    size: input_size,
                    limit: limits.max_input_bytes,
                }),
                report,
            );
        }
        self.calls += 1;
        self.store.set_epoch_deadline(limits.deadline_ticks());
        if self.engine.fuel() {
            // Cannot fail: fuel is enabled on this engine.
            let _ = self.store.set_fuel(u64::MAX);
        }
        let running = self.engine.running();
        let started = Instant::now();
        let result = f(&mut self.store, &self.bound);
        let duration = started.elapsed();
        drop(running);
        let fuel = if self.engine.fuel() {
            self.store.get_fuel().ok().map(|left| u64::MAX - left)
        } else {
            None
        };
        let result = result.map_err(|e| {
            self.poisoned = true;
            classify(&mut self.store, e, &self.limits)
        });
        let state = self.store.data_mut();
        let report = CallReport {
            logs: std::mem::take(&mut state.logs),
            logs_dropped: std::mem::take(&mut state.logs_dropped),
            duration,
            fuel,
            peak_memory: state.limiter.peak,
        };
        (result, report)
    }
}

/// Turns a wasmtime error from a call or an instantiation into a [`CallError`].
fn classify(
    store: &mut Store<HostState>,
    error: wasmtime::Error,
    limits: &PluginLimits,
) -> CallError {
    let state = store.data_mut();
    let stderr = state.stderr.take();
    if let Some(Trap::Interrupt) = error.downcast_ref::<Trap>() {
        return CallError::DeadlineExceeded(limits.deadline);
    }
    if std::mem::take(&mut state.limiter.hit) {
        return CallError::OutOfMemory {
            limit: limits.memory_bytes,
        };
    }
    let panic = state
        .logs
        .iter()
        .rev()
        .find(|l| l.message.starts_with("plugin panicked"))
        .map(|l| l.message.clone());
    let detail = panic.or_else(|| Some(stderr.trim().to_string()).filter(|s| !s.is_empty()));
    let trap = match error.downcast_ref::<Trap>() {
        Some(trap) => trap.to_string(),
        None => format!("{error:#}"),
    };
    CallError::Trap(match detail {
        Some(detail) => format!("{detail} ({trap})"),
        None => trap,
    })
}

fn guest_error(e: WitError) -> CallError {
    let error = match e.kind {
        WitErrorKind::InvalidConfig => GuestError::InvalidConfig(e.message),
        WitErrorKind::InvalidEvent => GuestError::InvalidEvent(e.message),
        WitErrorKind::Failed => GuestError::Failed(e.message),
    };
    if e.permanent {
        CallError::PermanentGuest(error)
    } else {
        CallError::Guest(error)
    }
}

fn event_size(e: &WitEvent) -> usize {
    e.id.len()
        + e.event_type.len()
        + e.timestamp.len()
        + e.org.len()
        + e.environment.as_ref().map_or(0, String::len)
        + e.webhook_id.len()
        + e.data.len()
}

/// Bytes of a request as the host counts them: body plus header text.
pub fn request_size(r: &WitRequest) -> usize {
    r.body.len()
        + r.headers
            .iter()
            .map(|(n, v)| n.len() + v.len())
            .sum::<usize>()
}
