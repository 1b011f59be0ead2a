//! The guest SDK as its users get it: the "Write your first plugin" guide
//! followed by a newcomer (its code blocks are taken from
//! `guest-sdk/README.md`, built as a crate outside the repository and run
//! through the real host), and the contract copy the published crate carries.

use herald_e2e::{herald_bin, target_dir, workspace_root};
use std::process::Command;

/// The code block that follows `<!-- newcomer:NAME -->` in the README.
fn block(readme: &str, name: &str) -> String {
    let marker = format!("<!-- newcomer:{name} -->");
    let after = readme
        .split_once(&marker)
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("README lacks {marker}"));
    let start = after.find("```").expect("a fence") + 3;
    let body = &after[start..];
    let body = &body[body.find('\n').expect("fence line") + 1..];
    body[..body.find("```").expect("closing fence")].to_string()
}

#[test]
fn a_plugin_written_from_the_readme_builds_and_runs() {
    let root = workspace_root();
    let readme = std::fs::read_to_string(root.join("guest-sdk/README.md")).expect("SDK README");
    let dir = tempfile::tempdir().expect("tempdir outside the repo");
    let krate = dir.path().join("vip-filter");
    std::fs::create_dir_all(krate.join("src")).expect("mkdir");
    let manifest =
        block(&readme, "Cargo.toml").replace("/path/to/herald", &root.display().to_string());
    std::fs::write(krate.join("Cargo.toml"), manifest).expect("write");
    std::fs::write(krate.join("src/lib.rs"), block(&readme, "src/lib.rs")).expect("write");
    std::fs::write(krate.join("event.json"), block(&readme, "event.json")).expect("write");
    std::fs::write(krate.join("config.json"), block(&readme, "config.json")).expect("write");

    // A target dir of its own under ours, so repeated runs reuse the build.
    let target = target_dir().join("newcomer");
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(&krate)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "the README's plugin does not build");

    let wasm = target.join("wasm32-wasip2/release/vip_filter.wasm");
    let out = Command::new(herald_bin())
        .arg("plugin")
        .arg("run")
        .arg(&wasm)
        .args(["--event", "event.json", "--config", "config.json"])
        .args(["--deadline-ms", "120000"])
        .current_dir(&krate)
        .output()
        .expect("herald runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    assert_eq!(printed["verdict"], "keep");
    assert_eq!(printed["logs"][0]["message"], "keeping evt_1 for tier gold");

    std::fs::write(
        krate.join("silver.json"),
        r#"{"type":"order.created","data":{"customer":{"tier":"silver"}}}"#,
    )
    .expect("write");
    let out = Command::new(herald_bin())
        .args(["plugin", "run"])
        .arg(&wasm)
        .args(["--event", "silver.json", "--config", "config.json"])
        .args(["--deadline-ms", "120000"])
        .current_dir(&krate)
        .output()
        .expect("herald runs");
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    assert_eq!(printed["verdict"]["drop"], "tier silver is not a VIP tier");
}

/// The `.wit` files of a directory, by name.
fn wit_files(dir: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|p| p.extension().is_some_and(|ext| ext == "wit"))
        .map(|p| {
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read_to_string(&p).expect("read .wit"))
        })
        .collect()
}

/// The SDK builds its bindings from its own copy of the contract (a
/// published crate cannot read `../wit`); the copy must be the contract.
#[test]
fn the_sdk_carries_the_contract_unchanged() {
    let root = workspace_root();
    let contract = wit_files(&root.join("wit"));
    assert!(!contract.is_empty(), "wit/ holds the contract");
    assert!(
        wit_files(&root.join("guest-sdk/wit")) == contract,
        "guest-sdk/wit/ differs from wit/: refresh it with `cp wit/*.wit guest-sdk/wit/` \
         (and remove files no longer in wit/)"
    );
}

/// The Python and JavaScript guides ("Write your first plugin" in
/// guest-sdk/python/README.md and guest-sdk/js/README.md), followed by a
/// newcomer outside the repository: their manifest, plugin and cases
/// files, built by `herald plugin build` and checked by `herald plugin
/// test` through the real host.
#[test]
fn the_python_and_javascript_guides_build_and_pass_their_cases() {
    let root = workspace_root();
    for (readme, main) in [
        ("guest-sdk/python/README.md", "app.py"),
        ("guest-sdk/js/README.md", "plugin.js"),
    ] {
        let readme = std::fs::read_to_string(root.join(readme)).expect("guide");
        let dir = tempfile::tempdir().expect("tempdir outside the repo");
        let plugin = dir.path().join("vip-filter");
        std::fs::create_dir_all(&plugin).expect("mkdir");
        for file in ["herald-plugin.json", main, "cases.json"] {
            std::fs::write(plugin.join(file), block(&readme, file)).expect("write");
        }
        let out = Command::new(herald_bin())
            .args(["plugin", "build"])
            .arg(&plugin)
            .output()
            .expect("herald runs");
        assert!(
            out.status.success(),
            "{main}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let wasm = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(std::path::Path::new(&wasm).is_file(), "{main}: {wasm}");
        let out = Command::new(herald_bin())
            .args(["plugin", "test"])
            .arg(&plugin)
            .arg("--cases")
            .arg(plugin.join("cases.json"))
            .args(["--deadline-ms", "10000"])
            .output()
            .expect("herald runs");
        let printed = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && printed.contains(" 0 failed"),
            "{main}: {printed}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
