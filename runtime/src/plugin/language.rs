//! Which toolchain made a plugin, and the limits that suit it. A Python
//! component carries a whole interpreter and its pre-initialised heap, a
//! JavaScript one a QuickJS engine: caps sized for Rust would kill them at
//! their first call. Each language has its own default deadline and memory
//! cap (never below the engine's), chosen when a plugin is registered and
//! recorded with it; the caps stay hard.

use super::limits::PluginLimits;
use std::time::Duration;

/// Most memory any plugin may be given (the pool's slot size).
pub const MAX_PLUGIN_MEMORY: usize = 512 << 20;
/// Longest CPU deadline any plugin may be given.
pub const MAX_PLUGIN_DEADLINE: Duration = Duration::from_secs(10);

/// The toolchain a component was built with, as its bytes tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// `cargo build --target wasm32-wasip2` (rustc in its producers).
    Rust,
    /// componentize-py (CPython inside).
    Python,
    /// jco with the QuickJS backend, or ComponentizeJS (StarlingMonkey).
    Javascript,
    /// Anything else (C, Go, hand-written WAT): the engine's limits.
    Other,
}

impl Language {
    /// Looks for each toolchain's runtime in the component's bytes.
    pub fn detect(bytes: &[u8]) -> Self {
        let has = |needle: &[u8]| memchr::memmem::find(bytes, needle).is_some();
        if has(b"componentize_py_runtime") {
            Language::Python
        } else if has(b"componentize_qjs_runtime") || has(b"StarlingMonkey") {
            Language::Javascript
        } else if has(b"rustc") {
            Language::Rust
        } else {
            Language::Other
        }
    }

    /// The name used in the API and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            Language::Rust => "rust",
            Language::Python => "python",
            Language::Javascript => "javascript",
            Language::Other => "other",
        }
    }

    /// This language's default limits, from the engine's (sized for Rust):
    /// never lower than those.
    pub fn limits(self, base: &PluginLimits) -> PluginLimits {
        let (deadline, memory) = match self {
            Language::Python => (PYTHON_DEADLINE, PYTHON_MEMORY),
            Language::Javascript => (JS_DEADLINE, JS_MEMORY),
            Language::Rust | Language::Other => (base.deadline, base.memory_bytes),
        };
        PluginLimits {
            deadline: deadline.min(MAX_PLUGIN_DEADLINE).max(base.deadline),
            memory_bytes: memory.min(MAX_PLUGIN_MEMORY).max(base.memory_bytes),
            ..base.clone()
        }
    }
}

/// Python's defaults. Measured (BENCHMARKS.md, "Plugins in three
/// languages"): the threshold and CRM ports peak at 13-14 MiB of linear
/// memory and take 24-27 ms on an 800 KB event (Rust: 6-7 MiB, 8-9 ms).
const PYTHON_DEADLINE: Duration = Duration::from_millis(250);
const PYTHON_MEMORY: usize = 64 << 20;
/// JavaScript's defaults (QuickJS; same section): 4-8 MiB and 15-124 ms on
/// the 800 KB event (the CRM port parses numbers exactly, the slow part).
const JS_DEADLINE: Duration = Duration::from_millis(250);
const JS_MEMORY: usize = 64 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_and_limits() {
        assert_eq!(
            Language::detect(b"..libcomponentize_py_runtime.so.."),
            Language::Python
        );
        assert_eq!(
            Language::detect(b"..componentize_qjs_runtime.wasm.."),
            Language::Javascript
        );
        assert_eq!(Language::detect(b"processed-by rustc 1.95"), Language::Rust);
        assert_eq!(Language::detect(b"(module)"), Language::Other);
        let base = PluginLimits::default();
        assert_eq!(Language::Rust.limits(&base), base);
        let py = Language::Python.limits(&base);
        assert!(py.memory_bytes > base.memory_bytes && py.deadline > base.deadline);
        // An engine configured above a language's default keeps its own.
        let big = PluginLimits {
            memory_bytes: 256 << 20,
            ..base
        };
        assert_eq!(Language::Javascript.limits(&big).memory_bytes, 256 << 20);
    }
}
