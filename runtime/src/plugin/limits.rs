//! Per-call and per-instance limits the host enforces on every plugin.

use std::time::Duration;

/// Limits applied to every plugin call; configurable per engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginLimits {
    /// CPU time one call may take before it is interrupted (epoch deadline).
    pub deadline: Duration,
    /// Linear memory one instance may hold; growth beyond it fails and the
    /// call ends with an out-of-memory error.
    pub memory_bytes: usize,
    /// Largest input one call may receive (event data + request body + config).
    pub max_input_bytes: usize,
    /// Largest output one call may return (body + headers, or a drop reason).
    pub max_output_bytes: usize,
    /// Calls after which a reused instance is recycled, so slow leaks inside
    /// a guest cannot accumulate.
    pub max_calls_per_instance: u64,
    /// How much of a guest's stderr is kept (to report a panic's message).
    pub stderr_bytes: usize,
    /// Log lines one call may write; further lines are counted, not kept.
    pub max_log_lines: usize,
    /// Longest log line kept; longer ones are cut.
    pub max_log_line_bytes: usize,
    /// Period of the engine's epoch ticker, the granularity of the deadline.
    pub epoch_tick: Duration,
}

impl Default for PluginLimits {
    fn default() -> Self {
        PluginLimits {
            deadline: Duration::from_millis(50),
            memory_bytes: 32 << 20,
            max_input_bytes: 4 << 20,
            max_output_bytes: 4 << 20,
            max_calls_per_instance: 10_000,
            stderr_bytes: 16 << 10,
            max_log_lines: 64,
            max_log_line_bytes: 4 << 10,
            epoch_tick: Duration::from_millis(1),
        }
    }
}

impl PluginLimits {
    /// Epoch ticks that make up the deadline (at least one).
    pub fn deadline_ticks(&self) -> u64 {
        let tick = self.epoch_tick.as_nanos().max(1);
        (self.deadline.as_nanos().div_ceil(tick)).max(1) as u64
    }
}

/// A plugin's recorded limits.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct PluginLimitsRecord {
    /// CPU time one call may take, in milliseconds.
    #[schema(example = 250)]
    pub deadline_ms: u64,
    /// Linear memory one instance may hold, in MiB.
    #[schema(example = 64)]
    pub memory_mib: u64,
}

impl PluginLimitsRecord {
    /// `plugin` under these limits.
    pub fn apply(&self, plugin: &crate::plugin::Plugin) -> crate::plugin::Plugin {
        plugin.with_limits(
            std::time::Duration::from_millis(self.deadline_ms),
            (self.memory_mib as usize) << 20,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_ticks_round_up() {
        let mut l = PluginLimits::default();
        assert_eq!(l.deadline_ticks(), 50);
        l.deadline = Duration::from_micros(1500);
        assert_eq!(l.deadline_ticks(), 2);
        l.deadline = Duration::ZERO;
        assert_eq!(l.deadline_ticks(), 1);
    }
}
