//! Shared test support for Herald's end-to-end tests: where the built
//! plugins and the `herald` binary are, Herald in-process or as a process
//! ([`herald`]) and its API client ([`api`]), a private `redis-server` per
//! test ([`redis`]) or a private Redis Cluster ([`cluster`]), either one
//! chosen by `HERALD_TEST_REDIS` ([`backend`]), HTTPS receivers ([`receiver`], [`tls`]), an OTLP trace collector ([`otlp`]) and the barrier
//! that replaces sleep-then-assert-nothing ([`barrier`]).
//!
//! The plugins are built from `plugins/` and `tests/fixtures/` by
//! `tests/run.sh` (`cargo build --profile plugin --target wasm32-wasip2`).

use std::path::{Path, PathBuf};

pub mod api;
pub mod backend;
pub mod barrier;
pub mod cluster;
pub mod dns;
pub mod herald;
pub mod otlp;
pub mod receiver;
pub mod redis;
pub mod tls;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The cargo target directory (honours `CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// The built component of a plugin or fixture crate (`threshold-filter`, `panic`, …).
///
/// Panics with the command to run when it has not been built.
pub fn plugin_wasm(crate_name: &str) -> PathBuf {
    let file = format!("{}.wasm", crate_name.replace('-', "_"));
    let path = target_dir().join("wasm32-wasip2").join("plugin").join(file);
    assert!(
        path.is_file(),
        "{} is missing: build the plugins first with `bash tests/run.sh` or \
         `cargo build --profile plugin --target wasm32-wasip2 -p {crate_name}`",
        path.display()
    );
    path
}

/// The `herald` binary of the profile these tests were built with.
///
/// Panics with the command to run when it has not been built.
pub fn herald_bin() -> PathBuf {
    // Test executables live in target/<profile>/deps/, binaries (the
    // benchmark) in target/<profile>/: look beside the executable, then above.
    let exe = std::env::current_exe().unwrap_or_default();
    let candidates: Vec<PathBuf> = exe
        .ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join("herald"))
        .collect();
    let found = candidates.iter().find(|bin| bin.is_file());
    assert!(
        found.is_some(),
        "{} is missing: run `cargo build --release -p herald` (tests/run.sh does)",
        candidates
            .last()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    );
    found.cloned().unwrap_or_default()
}

/// The example inputs of a plugin under `plugins/<name>/example/`.
pub fn example_file(plugin: &str, file: &str) -> PathBuf {
    workspace_root()
        .join("plugins")
        .join(plugin)
        .join("example")
        .join(file)
}
