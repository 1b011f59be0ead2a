//! # herald-sdk: write Herald webhook plugins in Rust
//!
//! A Herald plugin is a small WebAssembly component that runs inside Herald's
//! delivery path for one webhook. A **filter** decides whether an event is
//! delivered; a **transform** rewrites the outgoing request (body and headers)
//! before Herald signs and sends it. Plugins are pure functions of the event
//! and the webhook's JSON config for the plugin: they get a log function and
//! nothing else (no files, network, environment or clock).
//!
//! Writing one is: depend on this crate, implement one trait method, add one
//! export line.
//!
//! ```no_run
//! use herald_sdk::{Event, Filter, Verdict, PluginError};
//! use serde::Deserialize;
//!
//! /// Keeps orders whose total is at least `min`.
//! struct BigOrders;
//!
//! #[derive(Deserialize)]
//! #[serde(deny_unknown_fields)]
//! struct Config { min: f64 }
//!
//! #[derive(Deserialize)]
//! struct Order { total: f64 }
//!
//! impl Filter for BigOrders {
//!     type Config = Config;
//!     fn filter(event: &Event, config: &Config) -> Result<Verdict, PluginError> {
//!         let order: Order = event.data_as()?;
//!         Ok(if order.total >= config.min {
//!             Verdict::Keep
//!         } else {
//!             Verdict::drop(format!("total {} is below {}", order.total, config.min))
//!         })
//!     }
//! }
//!
//! herald_sdk::export_filter!(BigOrders);
//! ```
//!
//! Build it with `cargo build --release --target wasm32-wasip2` and try it with
//! `herald plugin run target/wasm32-wasip2/release/<crate>.wasm --event event.json`.
//!
//! # Layout
//! - [`types`]: the event, the outgoing request, verdicts and errors.
//! - [`plugin`]: the [`Filter`] and [`Transform`] traits a plugin implements.
//! - [`path`]: the dotted-path syntax (`data.order.status`) Herald's native
//!   filters use too, with lookups and edits on `serde_json::Value`.
//! - [`json`]: the same helpers under their older names, and [`json::to_text`].
//! - [`log`]: logging into Herald's log.
//! - [`export_filter!`] / [`export_transform!`]: the one export line.
//!
//! # Features
//! - `guest` (default): the WIT bindings the export macros generate. Turn it
//!   off (`default-features = false`) to use only [`path`], [`json`] and the
//!   types natively, as Herald's runtime does.

pub mod json;
pub mod log;
pub mod path;
pub mod plugin;
pub mod types;

#[cfg(feature = "guest")]
#[doc(hidden)]
pub mod __private;

pub use plugin::{Filter, Transform};

/// A filter as one function: `#[herald_sdk::filter] fn f(event: &Event,
/// config: &Cfg) -> Result<Verdict, PluginError>` (the config argument may
/// be left out). Writes the [`Filter`] impl and the export line; the trait
/// form stays available for filters that want `check_config` as a method
/// (or pass `#[herald_sdk::filter(check_config = check)]`).
///
/// ```no_run
/// use herald_sdk::{Event, PluginError, Verdict};
///
/// #[derive(serde::Deserialize)]
/// struct Cfg { min: f64 }
///
/// #[herald_sdk::filter]
/// fn big_orders(event: &Event, config: &Cfg) -> Result<Verdict, PluginError> {
///     let total = event.data_json()?["total"].as_f64().unwrap_or(0.0);
///     Ok(if total >= config.min { Verdict::Keep } else { Verdict::drop("small order") })
/// }
/// ```
#[cfg(feature = "guest")]
pub use herald_sdk_macros::filter;

/// A transform as one function: `#[herald_sdk::transform] fn t(event:
/// &Event, request: Request, config: &Cfg) -> Result<Request, PluginError>`
/// (the config argument may be left out); see [`macro@filter`].
#[cfg(feature = "guest")]
pub use herald_sdk_macros::transform;
pub use serde_json::{json, Value};
pub use types::{Event, PluginError, Request, Verdict};

#[cfg(feature = "guest")]
include!(concat!(env!("OUT_DIR"), "/generate.rs"));

/// Exports a type implementing [`Filter`] as this component's filter.
///
/// Use it once per plugin crate, at the crate root:
///
/// ```ignore
/// herald_sdk::export_filter!(MyFilter);
/// ```
///
/// On non-wasm targets (your crate's native unit tests) it expands to nothing,
/// so the plugin's logic can be tested with plain `cargo test`.
#[macro_export]
macro_rules! export_filter {
    ($plugin:ty) => {
        #[cfg(target_arch = "wasm32")]
        #[allow(dead_code, unused_imports, missing_docs, clippy::all)]
        mod __herald_filter_export {
            use super::*;
            $crate::__herald_generate!("filter-plugin");

            use self::herald::plugin::types as wit;

            struct __HeraldExport;

            impl self::exports::herald::plugin::filter::Guest for __HeraldExport {
                fn check_config(config: String) -> Result<(), wit::Error> {
                    $crate::__private::check_filter_config::<$plugin>(&config)
                        .map_err(__to_wit_error)
                }

                fn filter(event: wit::Event, config: String) -> Result<wit::Verdict, wit::Error> {
                    let event = __from_wit_event(event);
                    match $crate::__private::run_filter::<$plugin>(&event, &config) {
                        Ok($crate::Verdict::Keep) => Ok(wit::Verdict::Keep),
                        Ok($crate::Verdict::Drop(reason)) => Ok(wit::Verdict::Drop(reason)),
                        Err(e) => Err(__to_wit_error(e)),
                    }
                }
            }

            $crate::__herald_glue!();

            export!(__HeraldExport);
        }
    };
}

/// Exports a type implementing [`Transform`] as this component's transform.
///
/// Use it once per plugin crate, at the crate root:
///
/// ```ignore
/// herald_sdk::export_transform!(MyTransform);
/// ```
///
/// On non-wasm targets it expands to nothing (see [`export_filter!`]).
#[macro_export]
macro_rules! export_transform {
    ($plugin:ty) => {
        #[cfg(target_arch = "wasm32")]
        #[allow(dead_code, unused_imports, missing_docs, clippy::all)]
        mod __herald_transform_export {
            use super::*;
            $crate::__herald_generate!("transform-plugin");

            use self::herald::plugin::types as wit;

            struct __HeraldExport;

            impl self::exports::herald::plugin::transform::Guest for __HeraldExport {
                fn check_config(config: String) -> Result<(), wit::Error> {
                    $crate::__private::check_transform_config::<$plugin>(&config)
                        .map_err(__to_wit_error)
                }

                fn transform(
                    event: wit::Event,
                    request: wit::Request,
                    config: String,
                ) -> Result<wit::Request, wit::Error> {
                    let event = __from_wit_event(event);
                    let request = $crate::Request {
                        headers: request.headers,
                        body: request.body,
                    };
                    match $crate::__private::run_transform::<$plugin>(&event, request, &config) {
                        Ok(out) => Ok(wit::Request {
                            headers: out.headers,
                            body: out.body,
                        }),
                        Err(e) => Err(__to_wit_error(e)),
                    }
                }
            }

            $crate::__herald_glue!();

            export!(__HeraldExport);
        }
    };
}

/// Conversions between the generated WIT types and the SDK's; shared by both
/// export macros.
#[doc(hidden)]
#[macro_export]
macro_rules! __herald_glue {
    () => {
        fn __from_wit_event(e: wit::Event) -> $crate::Event {
            $crate::Event {
                id: e.id,
                event_type: e.event_type,
                timestamp: e.timestamp,
                org: e.org,
                environment: e.environment,
                webhook_id: e.webhook_id,
                data: e.data,
            }
        }

        fn __to_wit_error(e: $crate::PluginError) -> wit::Error {
            let permanent = e.is_permanent();
            let mut e = e;
            while let $crate::PluginError::Permanent(inner) = e {
                e = *inner;
            }
            let (kind, message) = match e {
                $crate::PluginError::InvalidConfig(m) => (wit::ErrorKind::InvalidConfig, m),
                $crate::PluginError::InvalidEvent(m) => (wit::ErrorKind::InvalidEvent, m),
                $crate::PluginError::Failed(m) => (wit::ErrorKind::Failed, m),
                // (Unwrapped above; kept for the match to be complete.)
                other @ $crate::PluginError::Permanent(_) => {
                    (wit::ErrorKind::Failed, other.message().to_string())
                }
            };
            wit::Error {
                kind,
                message,
                permanent,
            }
        }
    };
}
