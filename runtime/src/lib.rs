//! # Herald
//!
//! A WebAssembly-extensible webhook delivery runtime.
//!
//! # Layout
//! The modules, in the order an event passes through them:
//! - [`event`]: the event model and the default payload Herald sends.
//! - [`plugin`]: the sandboxed plugin host (filters, then transforms).
//! - [`cli`]: the `herald` command line (the binary only parses and wires).

pub mod cli;
pub mod event;
pub mod plugin;
