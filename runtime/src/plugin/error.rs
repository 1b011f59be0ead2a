//! Errors of the plugin host: loading a component ([`LoadError`]) and
//! calling one ([`CallError`]). A plugin's own typed error (the WIT `error`
//! variant) is kept apart from host-enforced failures (traps, limits).

use std::time::Duration;

/// Which world a plugin implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum World {
    /// `herald:plugin/filter-plugin`.
    Filter,
    /// `herald:plugin/transform-plugin`.
    Transform,
}

impl World {
    /// The world's name in `wit/`.
    pub fn wit_name(self) -> &'static str {
        match self {
            World::Filter => "filter-plugin",
            World::Transform => "transform-plugin",
        }
    }
}

impl std::fmt::Display for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            World::Filter => "filter",
            World::Transform => "transform",
        })
    }
}

/// Why a file is not a usable Herald plugin.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The bytes are not WebAssembly at all.
    #[error("not a WebAssembly file (no `\\0asm` header)")]
    NotWasm,
    /// A core module, not a component.
    #[error(
        "this is a core WebAssembly module, not a component: build the plugin with \
         `cargo build --target wasm32-wasip2` (or wrap it with `wasm-tools component new`)"
    )]
    CoreModule,
    /// It exports neither plugin interface (or both).
    #[error(
        "not a Herald plugin: it must export exactly one of `herald:plugin/filter@0.2.0` or \
         `herald:plugin/transform@0.2.0` (or their 0.1.0 forms) (found exports: {found})"
    )]
    WrongWorld {
        /// The component's actual exports, comma-separated.
        found: String,
    },
    /// It imports something the host refuses to provide.
    #[error("imports `{0}`, which Herald never grants to plugins (no network, no HTTP)")]
    ForbiddenImport(String),
    /// It does not fit the world's exact types, or needs imports the host lacks.
    #[error("does not match the {world} world: {message}")]
    Mismatch {
        /// The world it claimed.
        world: World,
        /// wasmtime's explanation.
        message: String,
    },
    /// Compilation or deserialization failed.
    #[error("cannot compile the component: {0}")]
    Compile(String),
    /// The on-disk cache could not be used.
    #[error("component cache at {path}: {source}")]
    Cache {
        /// The file or directory involved.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Reading the file failed.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// The plugin's own typed error, as it returned it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[serde(tag = "kind", content = "message", rename_all = "kebab-case")]
pub enum GuestError {
    /// The config for this plugin is not acceptable.
    #[error("invalid config: {0}")]
    InvalidConfig(String),
    /// The plugin cannot handle this event.
    #[error("invalid event: {0}")]
    InvalidEvent(String),
    /// Anything else.
    #[error("failed: {0}")]
    Failed(String),
}

/// Why a plugin call did not produce a result.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    /// The call ran past its CPU deadline and was interrupted.
    #[error("deadline exceeded: the plugin ran longer than {0:?}")]
    DeadlineExceeded(Duration),
    /// The plugin tried to grow its memory past the cap.
    #[error("out of memory: the plugin tried to grow its memory past {limit} bytes")]
    OutOfMemory {
        /// The cap in bytes.
        limit: usize,
    },
    /// The input was larger than the host accepts.
    #[error("input too large: {size} bytes, the limit is {limit}")]
    InputTooLarge {
        /// Input size in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The plugin returned more than the host accepts.
    #[error("output too large: {size} bytes, the limit is {limit}")]
    OutputTooLarge {
        /// Output size in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The plugin trapped (a panic, an abort, an invalid operation).
    #[error("trap: {0}")]
    Trap(String),
    /// The plugin returned its own typed error.
    #[error("plugin error: {0}")]
    Guest(GuestError),
    /// The plugin returned its own typed error and said it is permanent
    /// (contract 0.2.0): trying the delivery again cannot help.
    #[error("plugin error: {0} (permanent: not retried)")]
    PermanentGuest(GuestError),
    /// The host could not create an instance.
    #[error("cannot instantiate the plugin: {0}")]
    Instantiate(String),
}

impl CallError {
    /// A stable, short name for the class of error (logs, metrics, CLI).
    pub fn class(&self) -> &'static str {
        match self {
            CallError::DeadlineExceeded(_) => "deadline_exceeded",
            CallError::OutOfMemory { .. } => "out_of_memory",
            CallError::InputTooLarge { .. } => "input_too_large",
            CallError::OutputTooLarge { .. } => "output_too_large",
            CallError::Trap(_) => "trap",
            CallError::Guest(_) | CallError::PermanentGuest(_) => "guest_error",
            CallError::Instantiate(_) => "instantiate",
        }
    }

    /// Whether the instance that produced this error must not be reused.
    pub fn poisons_instance(&self) -> bool {
        !matches!(
            self,
            CallError::Guest(_) | CallError::PermanentGuest(_) | CallError::InputTooLarge { .. }
        )
    }

    /// Whether the plugin said retrying cannot help (the delivery is dead
    /// at once).
    pub fn is_permanent(&self) -> bool {
        matches!(self, CallError::PermanentGuest(_))
    }
}
