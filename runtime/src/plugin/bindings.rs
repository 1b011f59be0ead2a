//! Host bindings generated from `wit/` for the two plugin worlds, in both
//! contract versions the host runs: `herald:plugin@0.2.0` (`wit/`, what the
//! SDKs build) and `herald:plugin@0.1.0` (`wit/0.1.0/`, plugins built
//! before it). The versions differ only in the `error` type; [`legacy`]
//! converts 0.1.0 values to and from the 0.2.0 ones, so the rest of the
//! host sees one set of types.
//!
//! In each version the transform world reuses the filter world's `types`
//! and `log` bindings, so one `log` host implementation serves both worlds
//! and the shared records are one Rust type.

/// Bindings of the `filter-plugin` world (0.2.0).
#[allow(missing_docs)]
pub mod filter {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "filter-plugin",
        additional_derives: [PartialEq, Eq],
    });
}

/// Bindings of the `transform-plugin` world (0.2.0).
#[allow(missing_docs)]
pub mod transform {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "transform-plugin",
        with: {
            "herald:plugin/types": super::filter::herald::plugin::types,
            "herald:plugin/log": super::filter::herald::plugin::log,
        },
    });
}

/// Bindings of contract 0.1.0, for components built against it.
pub mod legacy;

pub use filter::herald::plugin::log::Level as WitLevel;
pub use filter::herald::plugin::types::{
    Error as WitError, ErrorKind as WitErrorKind, Event as WitEvent, Request as WitRequest,
    Verdict as WitVerdict,
};

/// The contract versions the host runs, newest first.
pub const CONTRACTS: [&str; 2] = ["0.2.0", "0.1.0"];
/// The names under which a component exports the filter interface, per
/// version (as [`CONTRACTS`]).
pub const FILTER_EXPORTS: [&str; 2] = ["herald:plugin/filter@0.2.0", "herald:plugin/filter@0.1.0"];
/// The names under which a component exports the transform interface, per
/// version (as [`CONTRACTS`]).
pub const TRANSFORM_EXPORTS: [&str; 2] = [
    "herald:plugin/transform@0.2.0",
    "herald:plugin/transform@0.1.0",
];
