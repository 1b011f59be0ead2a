//! Host bindings generated from `wit/` for the two plugin worlds.
//!
//! The transform world reuses the filter world's `types` and `log`
//! bindings, so one `log` host implementation serves both worlds and the
//! shared records are one Rust type.

/// Bindings of the `filter-plugin` world.
#[allow(missing_docs)]
pub mod filter {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "filter-plugin",
        additional_derives: [PartialEq, Eq],
    });
}

/// Bindings of the `transform-plugin` world.
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

pub use filter::herald::plugin::log::Level as WitLevel;
pub use filter::herald::plugin::types::{
    Error as WitError, Event as WitEvent, Request as WitRequest, Verdict as WitVerdict,
};

/// The name under which a component exports the filter interface.
pub const FILTER_EXPORT: &str = "herald:plugin/filter@0.1.0";
/// The name under which a component exports the transform interface.
pub const TRANSFORM_EXPORT: &str = "herald:plugin/transform@0.1.0";
