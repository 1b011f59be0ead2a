//! `herald plugin build DIR`: one `.wasm` from a plugin directory in any of
//! Herald's three languages. A Rust crate (`Cargo.toml`) is built with
//! cargo (`plugin_build_rust`); a Python or JavaScript plugin (`herald-plugin.json`: name, lang,
//! world, main) with componentize-py or jco (QuickJS backend) against the
//! WIT contract and the language's SDK module, both embedded in this binary
//! so that a plugin project needs nothing from Herald's checkout. Installs
//! nothing: a missing tool is named with the command that installs it.

use super::CliError;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The WIT contract every plugin builds against.
const WIT: &str = include_str!("../../../wit/plugin.wit");
/// The Python SDK package (`import herald_sdk`), file by file.
const PYTHON_SDK: &[(&str, &str)] = &[
    (
        "__init__.py",
        include_str!("../../../guest-sdk/python/herald_sdk/__init__.py"),
    ),
    (
        "_json.py",
        include_str!("../../../guest-sdk/python/herald_sdk/_json.py"),
    ),
    (
        "_types.py",
        include_str!("../../../guest-sdk/python/herald_sdk/_types.py"),
    ),
    (
        "_path.py",
        include_str!("../../../guest-sdk/python/herald_sdk/_path.py"),
    ),
    (
        "_log.py",
        include_str!("../../../guest-sdk/python/herald_sdk/_log.py"),
    ),
    (
        "_export.py",
        include_str!("../../../guest-sdk/python/herald_sdk/_export.py"),
    ),
];
/// The JavaScript SDK package (`import ... from 'herald-sdk'`), file by file.
const JS_SDK: &[(&str, &str)] = &[
    (
        "index.js",
        include_str!("../../../guest-sdk/js/herald-sdk/index.js"),
    ),
    (
        "utf8.js",
        include_str!("../../../guest-sdk/js/herald-sdk/utf8.js"),
    ),
    (
        "json.js",
        include_str!("../../../guest-sdk/js/herald-sdk/json.js"),
    ),
    (
        "path.js",
        include_str!("../../../guest-sdk/js/herald-sdk/path.js"),
    ),
    (
        "types.js",
        include_str!("../../../guest-sdk/js/herald-sdk/types.js"),
    ),
    (
        "export.js",
        include_str!("../../../guest-sdk/js/herald-sdk/export.js"),
    ),
];
/// componentize-py's version, as pinned by plugins/tools/requirements.txt.
const COMPONENTIZE_PY: &str = "componentize-py==0.25.1";
/// What installs the Python and JavaScript tools.
const INSTALL_HINT: &str =
    "run `bash plugins/tools.sh` in Herald's checkout (it installs the pinned \
     tools into ~/.cache/herald/plugin-tools, where herald finds them)";

/// A Python or JavaScript plugin's `herald-plugin.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The plugin's name (the `.wasm` is named after it).
    pub name: String,
    /// `python` or `js`.
    pub lang: ManifestLang,
    /// `filter` or `transform`.
    pub world: ManifestWorld,
    /// The entry file: `app.py`, `plugin.js`.
    pub main: String,
}

/// A manifest's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ManifestLang {
    /// componentize-py.
    Python,
    /// jco, QuickJS backend.
    Js,
}

/// A manifest's world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ManifestWorld {
    /// `filter-plugin`.
    Filter,
    /// `transform-plugin`.
    Transform,
}

impl ManifestWorld {
    fn wit(self) -> &'static str {
        match self {
            ManifestWorld::Filter => "filter-plugin",
            ManifestWorld::Transform => "transform-plugin",
        }
    }
}

/// Builds the plugin in `dir` and returns the `.wasm` it wrote (at `out`
/// when given).
pub fn build(dir: &Path, out: Option<&Path>) -> Result<PathBuf, CliError> {
    let fail = |message: String| CliError::Input {
        path: dir.display().to_string(),
        message,
    };
    if dir.join("Cargo.toml").is_file() {
        let wasm = super::plugin_build_rust::build_rust(dir)?;
        return match out {
            Some(out) => {
                std::fs::copy(&wasm, out)
                    .map_err(|e| fail(format!("cannot write {}: {e}", out.display())))?;
                Ok(out.to_path_buf())
            }
            None => Ok(wasm),
        };
    }
    let manifest_path = dir.join("herald-plugin.json");
    if !manifest_path.is_file() {
        return Err(fail(
            "expected a plugin directory: a Rust crate (Cargo.toml), or a Python or JavaScript plugin \
             with a herald-plugin.json ({\"name\", \"lang\": \"python\"|\"js\", \"world\": \"filter\"|\"transform\", \"main\"}), \
             as `herald plugin new` makes"
                .into(),
        ));
    }
    let manifest: Manifest = serde_json::from_str(&super::plugin_io::read(&manifest_path)?)
        .map_err(|e| CliError::Input {
            path: manifest_path.display().to_string(),
            message: format!(
                "{e}; expected {{\"name\", \"lang\": \"python\"|\"js\", \"world\": \"filter\"|\"transform\", \"main\"}}"
            ),
        })?;
    if !dir.join(&manifest.main).is_file() {
        return Err(fail(format!("its main file {} is missing", manifest.main)));
    }
    if manifest.name.is_empty()
        || !manifest
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    {
        return Err(fail(format!(
            "name {:?} in herald-plugin.json: use letters, digits, `-` and `_`",
            manifest.name
        )));
    }
    let dir = std::fs::canonicalize(dir).map_err(|e| fail(e.to_string()))?;
    let out = match out {
        Some(out) => absolute(out),
        None => {
            let build = dir.join("build");
            std::fs::create_dir_all(&build)
                .map_err(|e| fail(format!("cannot create build/: {e}")))?;
            build.join(format!("{}.wasm", manifest.name))
        }
    };
    let scratch =
        Scratch::new().map_err(|e| fail(format!("cannot make a temporary directory: {e}")))?;
    let wit = scratch.0.join("wit");
    write(&wit.join("plugin.wit"), WIT).map_err(&fail)?;
    match manifest.lang {
        ManifestLang::Python => build_python(&dir, &manifest, &scratch.0, &out)?,
        ManifestLang::Js => build_js(&dir, &manifest, &scratch.0, &out)?,
    }
    if !out.is_file() {
        return Err(fail(format!(
            "the build wrote nothing at {}",
            out.display()
        )));
    }
    Ok(out)
}

fn build_python(dir: &Path, m: &Manifest, scratch: &Path, out: &Path) -> Result<(), CliError> {
    let fail = |message: String| CliError::Input {
        path: dir.display().to_string(),
        message,
    };
    let module = m
        .main
        .strip_suffix(".py")
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .ok_or_else(|| {
            fail(format!(
                "main {:?}: a Python plugin's main is a module file like app.py",
                m.main
            ))
        })?;
    let tool = find_tool("python/bin/componentize-py", "componentize-py").ok_or_else(|| {
        fail(format!(
            "componentize-py is not installed: {INSTALL_HINT}, or `pip install {COMPONENTIZE_PY}`"
        ))
    })?;
    let sdk = scratch.join("sdk");
    for (file, text) in PYTHON_SDK {
        write(&sdk.join("herald_sdk").join(file), text).map_err(&fail)?;
    }
    // --stub-wasi: the component imports nothing but Herald's own
    // interfaces (without it, CPython links wasi:sockets, which Herald refuses).
    let mut command = Command::new(&tool);
    command
        .arg("-d")
        .arg(scratch.join("wit"))
        .args([
            "-w",
            m.world.wit(),
            "componentize",
            "--stub-wasi",
            module,
            "-p",
        ])
        .arg(dir)
        .arg("-p")
        .arg(&sdk)
        .arg("-o")
        .arg(out)
        .current_dir(dir);
    run(command, &tool, dir)
}

fn build_js(dir: &Path, m: &Manifest, scratch: &Path, out: &Path) -> Result<(), CliError> {
    let fail = |message: String| CliError::Input {
        path: dir.display().to_string(),
        message,
    };
    let tool = find_tool("js/node_modules/.bin/jco", "jco").ok_or_else(|| {
        fail(format!(
            "jco is not installed: {INSTALL_HINT}, or `npm install @bytecodealliance/jco@1.35.0` \
             (with @bytecodealliance/preview2-shim pinned to 0.25.0, as plugins/tools/package.json does)"
        ))
    })?;
    // The plugin's files, with the SDK where `import ... from 'herald-sdk'`
    // finds it.
    let src = scratch.join("src");
    copy_tree(dir, &src).map_err(|e| fail(format!("cannot copy the plugin: {e}")))?;
    let sdk = src.join("node_modules/herald-sdk");
    for (file, text) in JS_SDK {
        write(&sdk.join(file), text).map_err(&fail)?;
    }
    write(
        &sdk.join("package.json"),
        r#"{"name": "herald-sdk", "type": "module", "main": "index.js", "exports": "./index.js"}"#,
    )
    .map_err(&fail)?;
    // QuickJS, without WASI and without component-model async: the
    // component imports only Herald's interfaces and runs on Herald's engine.
    let mut command = Command::new(&tool);
    command
        .arg("componentize")
        .arg(&m.main)
        .arg("--wit")
        .arg(scratch.join("wit"))
        .args(["--world-name", m.world.wit()])
        .args([
            "--backend",
            "qjs",
            "--backend-qjs-stub-wasi",
            "--backend-qjs-disable-async",
        ])
        .arg("-o")
        .arg(out)
        .current_dir(&src);
    run(command, &tool, dir)
}

/// Runs a build tool, all its output going to stderr (stdout carries only
/// the path of the `.wasm`, for scripts).
fn run(mut command: Command, tool: &Path, dir: &Path) -> Result<(), CliError> {
    let status = command
        .stdout(std::io::stderr())
        .status()
        .map_err(|e| CliError::Input {
            path: dir.display().to_string(),
            message: format!("cannot run {}: {e}", tool.display()),
        })?;
    if !status.success() {
        return Err(CliError::Input {
            path: dir.display().to_string(),
            message: format!("{} failed (its errors are above)", tool.display()),
        });
    }
    Ok(())
}

/// A tool from Herald's tools directory, else from PATH.
fn find_tool(in_tools: &str, name: &str) -> Option<PathBuf> {
    let tools = std::env::var_os("HERALD_TOOLS_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/herald")))
        .map(|base| base.join("plugin-tools").join(in_tools));
    if let Some(path) = tools.filter(|p| p.is_file()) {
        return Some(path);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Copies a plugin directory, leaving out what builds and installs make.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if matches!(name.to_str(), Some("node_modules" | "build" | ".git")) {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&entry.path(), &to.join(&name))?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), to.join(&name))?;
        }
    }
    Ok(())
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

/// A temporary directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> std::io::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!("herald-build-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
