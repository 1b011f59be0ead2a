//! Embeds the plugin contract (`wit/*.wit` inside this crate, a copy of the
//! repository's `wit/` so that the published crate carries it) into the SDK's
//! export macros, so the WIT bindings are generated inside each plugin crate
//! for exactly the world it implements. Refresh the copy with
//! `cp wit/*.wit guest-sdk/wit/` (a test in `tests/` fails while they differ).
//!
//! Why not generate the bindings here, in the SDK? Each `generate!` emits a
//! `component-type` custom section describing its world, and rustc links
//! every upstream `#[used]` static: an SDK holding both worlds would make every
//! plugin claim both, and a filter would fail to build for lack of a
//! `transform` export.

use std::{env, fs, path::PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // Without the `guest` feature there are no bindings to generate.
    if env::var_os("CARGO_FEATURE_GUEST").is_none() {
        return;
    }
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let wit_dir = manifest.join("wit");
    let mut files: Vec<PathBuf> = fs::read_dir(&wit_dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", wit_dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "wit"))
        .collect();
    files.sort();
    let mut wit = String::new();
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        wit.push_str(
            &fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display())),
        );
        wit.push('\n');
    }
    println!("cargo:rerun-if-changed={}", wit_dir.display());

    let literal = format!("{wit:?}");
    let macros = format!(
        r#"
/// Generates the WIT bindings of one Herald world inside the plugin crate.
/// Used by [`export_filter!`] and [`export_transform!`]; not for direct use.
#[doc(hidden)]
#[macro_export]
macro_rules! __herald_generate {{
    ($world:literal) => {{
        ::herald_sdk::__private::wit_bindgen::generate!({{
            inline: {literal},
            world: $world,
            runtime_path: "::herald_sdk::__private::wit_bindgen::rt",
        }});
    }};
}}
"#
    );
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo")).join("generate.rs");
    fs::write(&out, macros).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}
