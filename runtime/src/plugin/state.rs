//! The per-store host state: a WASI context that grants nothing, the
//! memory limiter, the captured stderr and the plugin's log lines.

use super::bindings::{filter::herald::plugin::log, WitLevel};
use super::limits::PluginLimits;
use super::stderr::StderrCapture;
use std::sync::Arc;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Severity of a plugin log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Trace.
    Trace,
    /// Debug.
    Debug,
    /// Info.
    Info,
    /// Warn.
    Warn,
    /// Error.
    Error,
}

impl From<WitLevel> for LogLevel {
    fn from(level: WitLevel) -> Self {
        match level {
            WitLevel::Trace => LogLevel::Trace,
            WitLevel::Debug => LogLevel::Debug,
            WitLevel::Info => LogLevel::Info,
            WitLevel::Warn => LogLevel::Warn,
            WitLevel::Error => LogLevel::Error,
        }
    }
}

/// One line a plugin logged during a call.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogLine {
    /// Severity.
    pub level: LogLevel,
    /// The text, cut to the host's line limit.
    pub message: String,
}

/// Who a store belongs to, for tagging log lines.
#[derive(Debug, Clone, Default)]
pub struct CallTags {
    /// `name@version` (or the file name in `herald plugin run`).
    pub plugin: Arc<str>,
    /// The webhook the instance serves.
    pub webhook: Arc<str>,
}

/// Tracks linear-memory growth against the cap and remembers whether the
/// cap was hit (so the resulting trap is reported as out-of-memory).
#[derive(Debug)]
pub struct MemoryLimiter {
    limit: usize,
    /// Set when a growth request was refused.
    pub hit: bool,
    /// The largest total linear memory granted so far.
    pub peak: usize,
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.hit = true;
            return Ok(false);
        }
        self.peak = self.peak.max(desired).max(current);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// Everything a plugin's store holds besides the instance itself.
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    /// Linear-memory cap and peak.
    pub limiter: MemoryLimiter,
    /// The guest's stderr, bounded.
    pub stderr: StderrCapture,
    /// Lines logged during the current call.
    pub logs: Vec<LogLine>,
    /// Lines dropped during the current call because of the line limit.
    pub logs_dropped: usize,
    max_log_lines: usize,
    max_log_line_bytes: usize,
    /// Tags for the runtime's own tracing.
    pub tags: CallTags,
}

impl HostState {
    /// A fresh state: WASI with no environment, arguments, files, network or
    /// real clock; empty stdin; stdout discarded; stderr captured.
    pub fn new(limits: &PluginLimits, tags: CallTags) -> Self {
        let stderr = StderrCapture::new(limits.stderr_bytes);
        let wasi = WasiCtx::builder()
            .stderr(stderr.clone())
            .wall_clock(FrozenClock)
            .monotonic_clock(FrozenClock)
            .secure_random(wasmtime_wasi::Deterministic::new(vec![0x2a]))
            .insecure_random(wasmtime_wasi::Deterministic::new(vec![0x2a]))
            .insecure_random_seed(0)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        HostState {
            wasi,
            table: ResourceTable::new(),
            limiter: MemoryLimiter {
                limit: limits.memory_bytes,
                hit: false,
                peak: 0,
            },
            stderr,
            logs: Vec::new(),
            logs_dropped: 0,
            max_log_lines: limits.max_log_lines,
            max_log_line_bytes: limits.max_log_line_bytes,
            tags,
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl log::Host for HostState {
    fn log(&mut self, level: WitLevel, mut message: String) {
        if message.len() > self.max_log_line_bytes {
            let mut cut = self.max_log_line_bytes;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push('…');
        }
        let level = LogLevel::from(level);
        let (plugin, webhook) = (&*self.tags.plugin, &*self.tags.webhook);
        match level {
            LogLevel::Trace => tracing::trace!(plugin, webhook, "{message}"),
            LogLevel::Debug => tracing::debug!(plugin, webhook, "{message}"),
            LogLevel::Info => tracing::info!(plugin, webhook, "{message}"),
            LogLevel::Warn => tracing::warn!(plugin, webhook, "{message}"),
            LogLevel::Error => tracing::error!(plugin, webhook, "{message}"),
        }
        if self.logs.len() < self.max_log_lines {
            self.logs.push(LogLine { level, message });
        } else {
            self.logs_dropped += 1;
        }
    }
}

/// A clock that never moves: plugins get no time beyond what the event carries.
struct FrozenClock;

impl wasmtime_wasi::HostWallClock for FrozenClock {
    fn resolution(&self) -> std::time::Duration {
        std::time::Duration::from_secs(1)
    }
    fn now(&self) -> std::time::Duration {
        std::time::Duration::ZERO
    }
}

impl wasmtime_wasi::HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}
