//! The plugin host: runs each webhook's sandboxed WebAssembly filters and
//! transforms (components of the `wit/` worlds) with wasmtime.
//!
//! - [`engine`]: the wasmtime engine (pooling allocator, epochs) and linker.
//! - [`component`]: loading, validating and caching compiled plugins.
//! - [`instance`]: one instance in its own store, one call with every limit.
//! - [`pool`]: [`PluginHost`], reusing instances per webhook safely.
//! - [`state`], [`stderr`]: what a store holds (deny-all WASI, limiter, logs).
//! - [`limits`], [`error`]: the limits and the typed errors.
//! - [`language`]: which toolchain built a plugin, and its default limits.

pub mod bindings;
pub mod component;
pub mod engine;
pub mod error;
pub mod instance;
pub mod language;
pub mod limits;
pub mod pool;
pub mod quarantine;
pub mod state;
pub mod stderr;
pub mod ticker;

pub use bindings::{WitEvent, WitRequest, WitVerdict};
pub use component::{LoadInfo, Plugin, PluginLoader};
pub use engine::{EngineError, EngineOptions, PluginEngine};
pub use error::{CallError, GuestError, LoadError, World};
pub use instance::{CallReport, PluginInstance};
pub use language::Language;
pub use limits::PluginLimits;
pub use pool::{CallTarget, PluginHost};
pub use quarantine::Quarantine;
pub use state::{CallTags, LogLevel, LogLine};
