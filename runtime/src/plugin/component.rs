//! Loading a plugin: check the bytes are a component, compile it once
//! (cached on disk by content hash and engine compatibility hash, so a
//! restart does not recompile), check it targets exactly one Herald world
//! and imports nothing Herald refuses, and pre-link it (`InstancePre`)
//! for the contract version it was built against (0.2.0 or 0.1.0).

use super::bindings::{
    filter::FilterPluginPre, legacy, transform::TransformPluginPre, CONTRACTS, FILTER_EXPORTS,
    TRANSFORM_EXPORTS,
};
use super::engine::PluginEngine;
use super::error::{LoadError, World};
use super::language::Language;
use super::limits::PluginLimits;
use super::state::HostState;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::component::types::ComponentItem;
use wasmtime::component::Component;

/// Import prefixes a plugin may not even ask for.
const FORBIDDEN_IMPORTS: &[&str] = &["wasi:sockets/", "wasi:http/"];

/// A compiled, validated plugin, ready to instantiate. Cheap to clone.
#[derive(Clone)]
pub struct Plugin {
    inner: Arc<PluginInner>,
    /// The limits its calls run under (its language's defaults, or what
    /// its registration recorded).
    limits: PluginLimits,
}

struct PluginInner {
    sha256: String,
    world: World,
    contract: &'static str,
    language: Language,
    pre: Pre,
    exports: Vec<String>,
    imports: Vec<String>,
    load: LoadInfo,
}

/// The pre-linked instance factory of the plugin's world and contract.
#[derive(Clone)]
pub(crate) enum Pre {
    Filter(FilterPluginPre<HostState>),
    Transform(TransformPluginPre<HostState>),
    LegacyFilter(legacy::filter::FilterPluginPre<HostState>),
    LegacyTransform(legacy::transform::TransformPluginPre<HostState>),
}

/// How a load went, for `herald plugin check` and logs.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct LoadInfo {
    /// Whether the compiled code came from the disk cache.
    pub from_cache: bool,
    /// Time to compile or deserialize, validate and pre-link.
    #[serde(with = "micros")]
    pub elapsed: Duration,
    /// Size of the `.wasm`.
    pub wasm_bytes: usize,
}

mod micros {
    pub fn serialize<S: serde::Serializer>(
        d: &std::time::Duration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_micros() as u64)
    }
}

impl Plugin {
    /// The world the plugin implements.
    pub fn world(&self) -> World {
        self.inner.world
    }

    /// The contract version it was built against (`"0.2.0"`, `"0.1.0"`).
    pub fn contract(&self) -> &'static str {
        self.inner.contract
    }

    /// Hex SHA-256 of the `.wasm` bytes.
    pub fn sha256(&self) -> &str {
        &self.inner.sha256
    }

    /// The component's export names.
    pub fn exports(&self) -> &[String] {
        &self.inner.exports
    }

    /// The component's import names (what it asks the host for).
    pub fn imports(&self) -> &[String] {
        &self.inner.imports
    }

    /// How loading went.
    pub fn load_info(&self) -> LoadInfo {
        self.inner.load
    }

    /// The toolchain that built it.
    pub fn language(&self) -> Language {
        self.inner.language
    }

    /// The limits its calls run under.
    pub fn limits(&self) -> &PluginLimits {
        &self.limits
    }

    /// The same plugin under another deadline and memory cap (what its
    /// registration recorded). The engine's pool holds up to
    /// [`super::language::MAX_PLUGIN_MEMORY`] or its own cap, if larger.
    pub fn with_limits(&self, deadline: Duration, memory_bytes: usize) -> Plugin {
        Plugin {
            inner: self.inner.clone(),
            limits: PluginLimits {
                deadline,
                memory_bytes,
                ..self.limits.clone()
            },
        }
    }

    pub(crate) fn pre(&self) -> &Pre {
        &self.inner.pre
    }
}

/// Compiles and validates plugins, caching compiled code in `cache_dir`.
#[derive(Clone)]
pub struct PluginLoader {
    engine: PluginEngine,
    cache_dir: Option<PathBuf>,
}

impl PluginLoader {
    /// A loader; with `cache_dir`, compiled code is kept there across
    /// restarts. The directory must be writable only by Herald: its files are
    /// loaded as trusted native code.
    pub fn new(engine: PluginEngine, cache_dir: Option<PathBuf>) -> Self {
        PluginLoader { engine, cache_dir }
    }

    /// The engine plugins are loaded into.
    pub fn engine(&self) -> &PluginEngine {
        &self.engine
    }

    /// Reads and loads a `.wasm` file.
    pub fn load_file(&self, path: &Path) -> Result<Plugin, LoadError> {
        let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
            path: path.display().to_string(),
            source,
        })?;
        self.load(&bytes)
    }

    /// Loads a plugin from its `.wasm` bytes.
    pub fn load(&self, bytes: &[u8]) -> Result<Plugin, LoadError> {
        let loaded = self.load_inner(bytes);
        // Compiling allocates tens of MiB for a moment; hand it back now.
        crate::memory::collect_now();
        loaded
    }

    fn load_inner(&self, bytes: &[u8]) -> Result<Plugin, LoadError> {
        let started = Instant::now();
        check_header(bytes)?;
        let sha256 = hex::encode(Sha256::digest(bytes));
        let (component, from_cache) = self.compile(bytes, &sha256)?;
        let engine = self.engine.engine();
        let ty = component.component_type();
        let exports: Vec<String> = ty
            .exports(engine)
            .map(|(name, _)| name.to_string())
            .collect();
        let imports: Vec<String> = ty
            .imports(engine)
            .map(|(name, _)| name.to_string())
            .collect();
        if let Some(bad) = imports
            .iter()
            .find(|i| FORBIDDEN_IMPORTS.iter().any(|p| i.starts_with(p)))
        {
            return Err(LoadError::ForbiddenImport(bad.clone()));
        }
        let (world, contract) = world_of(ty.exports(engine).map(|(name, item)| (name, item.ty)))
            .ok_or_else(|| LoadError::WrongWorld {
                found: if exports.is_empty() {
                    "none".into()
                } else {
                    exports.join(", ")
                },
            })?;
        let mismatch = |e: wasmtime::Error| LoadError::Mismatch {
            world,
            message: format!("{e:#}"),
        };
        let instance_pre = self
            .engine
            .linker()
            .instantiate_pre(&component)
            .map_err(mismatch)?;
        let pre = match (world, contract == CONTRACTS[0]) {
            (World::Filter, true) => {
                Pre::Filter(FilterPluginPre::new(instance_pre).map_err(mismatch)?)
            }
            (World::Transform, true) => {
                Pre::Transform(TransformPluginPre::new(instance_pre).map_err(mismatch)?)
            }
            (World::Filter, false) => Pre::LegacyFilter(
                legacy::filter::FilterPluginPre::new(instance_pre).map_err(mismatch)?,
            ),
            (World::Transform, false) => Pre::LegacyTransform(
                legacy::transform::TransformPluginPre::new(instance_pre).map_err(mismatch)?,
            ),
        };
        let load = LoadInfo {
            from_cache,
            elapsed: started.elapsed(),
            wasm_bytes: bytes.len(),
        };
        let language = Language::detect(bytes);
        Ok(Plugin {
            inner: Arc::new(PluginInner {
                sha256,
                world,
                contract,
                language,
                pre,
                exports,
                imports,
                load,
            }),
            limits: language.limits(self.engine.limits()),
        })
    }

    fn compile(&self, bytes: &[u8], sha256: &str) -> Result<(Component, bool), LoadError> {
        let engine = self.engine.engine();
        let Some(dir) = &self.cache_dir else {
            return Component::new(engine, bytes)
                .map(|c| (c, false))
                .map_err(|e| LoadError::Compile(format!("{e:#}")));
        };
        let path = dir.join(format!(
            "{sha256}-{}.cwasm",
            self.engine.compatibility_hash()
        ));
        if path.is_file() {
            // SAFETY: the cache directory is Herald's own; its files were
            // written by `Component::serialize` below for this engine's
            // compatibility hash, which is part of the file name.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(component) => return Ok((component, true)),
                Err(e) => {
                    tracing::warn!(path = %path.display(), "ignoring unusable cached component: {e:#}")
                }
            }
        }
        let component =
            Component::new(engine, bytes).map_err(|e| LoadError::Compile(format!("{e:#}")))?;
        let serialized = component
            .serialize()
            .map_err(|e| LoadError::Compile(format!("{e:#}")))?;
        let cache_err = |source| LoadError::Cache {
            path: path.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(cache_err)?;
        // Write to a temporary file and rename: readers never see half a file.
        let tmp = dir.join(format!(".{sha256}.{}.tmp", std::process::id()));
        std::fs::write(&tmp, serialized).map_err(cache_err)?;
        std::fs::rename(&tmp, &path).map_err(cache_err)?;
        Ok((component, false))
    }
}

fn check_header(bytes: &[u8]) -> Result<(), LoadError> {
    match bytes.get(..8) {
        Some([0, b'a', b's', b'm', _, _, 0, 0]) => Err(LoadError::CoreModule),
        Some([0, b'a', b's', b'm', _, _, 1, 0]) => Ok(()),
        Some([0, b'a', b's', b'm', ..]) => {
            Err(LoadError::Compile("unknown WebAssembly layer".into()))
        }
        _ => Err(LoadError::NotWasm),
    }
}

/// The one world (and its contract version) a component exports, or
/// `None` when it exports none or more than one.
fn world_of<'a>(
    exports: impl Iterator<Item = (&'a str, ComponentItem)>,
) -> Option<(World, &'static str)> {
    let mut found = None;
    for (name, item) in exports {
        let version = |names: [&str; 2]| names.iter().position(|n| *n == name);
        let (world, at) = match (version(FILTER_EXPORTS), version(TRANSFORM_EXPORTS)) {
            (Some(at), _) => (World::Filter, at),
            (_, Some(at)) => (World::Transform, at),
            _ => continue,
        };
        if !matches!(item, ComponentItem::ComponentInstance(_)) || found.is_some() {
            return None;
        }
        found = Some((world, CONTRACTS[at]));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_classifies_inputs() {
        assert!(matches!(
            check_header(b"hello world"),
            Err(LoadError::NotWasm)
        ));
        assert!(matches!(
            check_header(&[0, b'a', b's', b'm', 1, 0, 0, 0]),
            Err(LoadError::CoreModule)
        ));
        assert!(check_header(&[0, b'a', b's', b'm', 0x0d, 0, 1, 0]).is_ok());
        assert!(matches!(check_header(&[0, b'a']), Err(LoadError::NotWasm)));
    }
}
