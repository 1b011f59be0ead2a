//! `herald plugin build` for a Rust plugin crate: `cargo build --release
//! --target wasm32-wasip2`, after checking the target is installed, and the
//! `.wasm` found from `cargo metadata` (the crate's cdylib target).

use super::CliError;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds the Rust crate in `dir` (`cargo build --release --target
/// wasm32-wasip2`) and returns the `.wasm` it wrote.
pub(super) fn build_rust(dir: &Path) -> Result<PathBuf, CliError> {
    let fail = |message: String| CliError::Input {
        path: dir.display().to_string(),
        message,
    };
    let manifest = dir.join("Cargo.toml");
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("wasm32-wasip2"))
        .unwrap_or(false);
    if !installed {
        return Err(fail(
            "the wasm32-wasip2 target is missing; install it with `rustup target add wasm32-wasip2`".into(),
        ));
    }
    let metadata = Command::new("cargo")
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--manifest-path",
        ])
        .arg(&manifest)
        .output()
        .map_err(|e| fail(format!("cannot run cargo: {e}")))?;
    let metadata: Value = serde_json::from_slice(&metadata.stdout).map_err(|_| {
        fail(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&metadata.stderr).trim()
        ))
    })?;
    let manifest_path = std::fs::canonicalize(&manifest).unwrap_or(manifest.clone());
    let package = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["manifest_path"].as_str().map(PathBuf::from) == Some(manifest_path.clone()))
        .ok_or_else(|| {
            fail(
                "no package in this Cargo.toml (a workspace root? give the plugin's own directory)"
                    .into(),
            )
        })?;
    let lib = package["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| {
            t["crate_types"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c == "cdylib"))
        })
        .and_then(|t| t["name"].as_str())
        .ok_or_else(|| {
            fail("the crate has no cdylib target; add `[lib] crate-type = [\"cdylib\"]`".into())
        })?
        .replace('-', "_");
    let target_dir = metadata["target_directory"]
        .as_str()
        .unwrap_or("target")
        .to_string();
    let status = Command::new("cargo")
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--manifest-path",
        ])
        .arg(&manifest)
        .status()
        .map_err(|e| fail(format!("cannot run cargo: {e}")))?;
    if !status.success() {
        return Err(fail("cargo build failed (its errors are above)".into()));
    }
    let wasm = Path::new(&target_dir).join(format!("wasm32-wasip2/release/{lib}.wasm"));
    if !wasm.is_file() {
        return Err(fail(format!("cargo built nothing at {}", wasm.display())));
    }
    Ok(wasm)
}
