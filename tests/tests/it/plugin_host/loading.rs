//! Loading: what a file is, the compile cache on disk, and what a plugin
//! can see of the host (nothing).

use super::{event, host, target};
use herald::plugin::{EngineOptions, LoadError, PluginEngine, PluginLoader, WitVerdict, World};
use herald_e2e::plugin_wasm;

#[test]
fn loading_validates_what_a_file_is() {
    let (loader, _) = host();
    assert!(matches!(
        loader.load(b"definitely not wasm"),
        Err(LoadError::NotWasm)
    ));
    let core = wat::parse_str("(module)").expect("wat");
    assert!(matches!(loader.load(&core), Err(LoadError::CoreModule)));
    let empty = wat::parse_str("(component)").expect("wat");
    let err = loader
        .load(&empty)
        .err()
        .expect("an empty component is not a plugin");
    assert!(
        matches!(&err, LoadError::WrongWorld { found } if found == "none"),
        "{err}"
    );
    let sockets =
        wat::parse_str(r#"(component (import "wasi:sockets/tcp@0.2.6" (instance)))"#).expect("wat");
    assert!(
        matches!(loader.load(&sockets), Err(LoadError::ForbiddenImport(i)) if i.starts_with("wasi:sockets/"))
    );
    for (name, world) in [
        ("threshold-filter", World::Filter),
        ("redact-transform", World::Transform),
    ] {
        assert_eq!(
            loader.load_file(&plugin_wasm(name)).expect("loads").world(),
            world
        );
    }
}

#[test]
fn compiled_components_are_cached_on_disk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = PluginEngine::new(EngineOptions::default()).expect("engine");
    let wasm = std::fs::read(plugin_wasm("redact-transform")).expect("read");
    let first = PluginLoader::new(engine.clone(), Some(dir.path().into()))
        .load(&wasm)
        .expect("compiles");
    assert!(!first.load_info().from_cache);
    let files: Vec<_> = std::fs::read_dir(dir.path()).expect("cache dir").collect();
    assert_eq!(files.len(), 1, "one compiled artifact");
    // A new loader (as after a restart) uses the artifact instead of compiling.
    let second = PluginLoader::new(engine, Some(dir.path().into()))
        .load(&wasm)
        .expect("loads");
    assert!(second.load_info().from_cache);
    assert_eq!(first.sha256(), second.sha256());
    // A corrupt artifact is ignored and rewritten, not fatal. (Replaced by
    // rename, as Herald itself writes: loaded components map their file, so
    // it must never be rewritten in place.)
    drop((first, second));
    let artifact = std::fs::read_dir(dir.path())
        .expect("dir")
        .next()
        .expect("one")
        .expect("entry")
        .path();
    let tmp = dir.path().join("corrupt.tmp");
    std::fs::write(&tmp, b"garbage").expect("corrupt it");
    std::fs::rename(&tmp, &artifact).expect("replace");
    let engine = PluginEngine::new(EngineOptions::default()).expect("engine");
    let third = PluginLoader::new(engine, Some(dir.path().into()))
        .load(&wasm)
        .expect("recompiles");
    assert!(!third.load_info().from_cache);
}

#[test]
fn plugins_see_no_environment_clock_files_or_stdin() {
    // The host's own process has environment variables, a clock and files;
    // none of it reaches a plugin.
    let (loader, host) = host();
    let plugin = loader.load_file(&plugin_wasm("probe-env")).expect("loads");
    let (result, _) = host.filter(&plugin, &target("wh_1", "{}"), &event("{}"));
    let Ok(WitVerdict::Drop(report)) = result else {
        panic!("probe failed: {result:?}")
    };
    let seen: serde_json::Value = serde_json::from_str(&report).expect("probe reports JSON");
    assert_eq!(
        seen,
        serde_json::json!({"env": 0, "args": 0, "now_secs": 0, "file_readable": false,
                           "cwd_listable": false, "stdin_bytes": 0})
    );
    assert!(plugin
        .imports()
        .iter()
        .all(|i| !i.starts_with("wasi:sockets") && !i.starts_with("wasi:http")));
}
