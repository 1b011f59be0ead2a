//! The wasmtime engine Herald runs plugins on: component model, pooling
//! instance allocator sized to the memory cap, epoch interruption driven by a
//! ticker that runs while plugin code does, and the one linker (deny-by-default WASI plus the
//! `log` import) every plugin instance is created from.

use super::bindings::{filter::herald::plugin::log, legacy};
use super::limits::PluginLimits;
use super::state::HostState;
use super::ticker::{Running, Ticker};
use std::sync::Arc;
use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How the engine is built.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Limits applied to every call.
    pub limits: PluginLimits,
    /// Component instances the pool holds at once (idle reused ones included).
    pub max_instances: u32,
    /// Count instructions with fuel (only `herald plugin run` does: it slows
    /// every call).
    pub fuel: bool,
    /// Use the pooling allocator (the default); off only for comparisons.
    pub pooling: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            limits: PluginLimits::default(),
            max_instances: 1000,
            fuel: false,
            pooling: true,
        }
    }
}

/// Why the engine could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the plugin engine: {0}")]
pub struct EngineError(String);

/// A shareable plugin engine. Cheap to clone.
#[derive(Clone)]
pub struct PluginEngine {
    inner: Arc<EngineInner>,
}

struct EngineInner {
    engine: Engine,
    linker: Linker<HostState>,
    options: EngineOptions,
    /// Advances the epoch while plugin code runs; its `Drop` stops the
    /// thread with the engine.
    ticker: Ticker,
}

impl PluginEngine {
    /// Builds the engine, its linker and the epoch ticker.
    pub fn new(options: EngineOptions) -> Result<Self, EngineError> {
        let limits = &options.limits;
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        config.consume_fuel(options.fuel);
        // Compile on the calling thread: parallel compilation ran Cranelift on
        // rayon's threads, which never allocate again once idle, so what a
        // compile used stayed resident for good (about 18 MiB for two plugins;
        // see `crate::memory`). Uploads are rare; the loader frees after itself.
        config.parallel_compilation(false);
        if options.pooling {
            let n = options.max_instances.max(1);
            let mut pool = PoolingAllocationConfig::default();
            pool.total_component_instances(n);
            // A Rust component holds a handful of core instances (the
            // program, the WASI adapter, shims), a componentize-py one 38
            // (CPython's shared libraries, each an instance): room for a mix.
            pool.total_core_instances(n.saturating_mul(16));
            pool.total_memories(n.saturating_mul(2));
            pool.total_tables(n.saturating_mul(8));
            // Room for the largest cap any plugin may get (Python's
            // defaults are above the engine's); each store's limiter holds
            // its own plugin to its own cap.
            pool.max_memory_size(limits.memory_bytes.max(super::language::MAX_PLUGIN_MEMORY));
            pool.max_core_instances_per_component(64);
            pool.max_memories_per_component(4);
            pool.max_tables_per_component(16);
            pool.max_unused_warm_slots(n.min(100));
            // Where the kernel has PAGEMAP_SCAN (Linux 6.7+), keep the low
            // pages of a reused slot resident and reset only the dirty ones:
            // a new instance then does not page-fault its stack and heap back
            // in (halves fresh-instance mode; see BENCHMARKS.md). Without it,
            // keeping pages resident would mean a memset of all of them.
            if PoolingAllocationConfig::is_pagemap_scan_available() {
                pool.pagemap_scan(wasmtime::Enabled::Yes);
                pool.linear_memory_keep_resident(2 << 20);
                pool.table_keep_resident(64 << 10);
            }
            config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        }
        let engine = Engine::new(&config).map_err(|e| EngineError(format!("{e:#}")))?;

        let mut linker = Linker::<HostState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(|e| EngineError(format!("{e:#}")))?;
        log::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)
            .map_err(|e| EngineError(format!("{e:#}")))?;
        // Components built against contract 0.1.0 import its `log`.
        legacy::filter::herald::plugin::log::add_to_linker::<HostState, HasSelf<HostState>>(
            &mut linker,
            |s| s,
        )
        .map_err(|e| EngineError(format!("{e:#}")))?;

        let weak = engine.weak();
        let ticker = Ticker::spawn(limits.epoch_tick, move || match weak.upgrade() {
            Some(engine) => {
                engine.increment_epoch();
                true
            }
            None => false,
        })
        .map_err(|e| EngineError(format!("cannot start the epoch thread: {e}")))?;
        Ok(PluginEngine {
            inner: Arc::new(EngineInner {
                engine,
                linker,
                options,
                ticker,
            }),
        })
    }

    /// Marks plugin code (a call or an instantiation) as running until the
    /// guard is dropped: deadlines count only while one lives.
    pub fn running(&self) -> Running<'_> {
        self.inner.ticker.enter()
    }

    /// The wasmtime engine.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The linker every instance is created from.
    pub fn linker(&self) -> &Linker<HostState> {
        &self.inner.linker
    }

    /// The limits applied to every call.
    pub fn limits(&self) -> &PluginLimits {
        &self.inner.options.limits
    }

    /// Whether calls count fuel.
    pub fn fuel(&self) -> bool {
        self.inner.options.fuel
    }

    /// A hex hash of everything that makes compiled code compatible with this
    /// engine (wasmtime version, target, settings): part of the cache key.
    pub fn compatibility_hash(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.inner
            .engine
            .precompile_compatibility_hash()
            .hash(&mut hasher);
        format!("{:016x}", hasher.finish())
    }
}
