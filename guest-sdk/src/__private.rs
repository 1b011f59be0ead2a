//! Glue used by the export macros; not part of the public API.
//!
//! It parses each plugin config once (cached by its text: an instance only
//! ever sees one webhook's config), and installs a panic hook that reports
//! the panic through the host's log before the instance traps.

use crate::plugin::{Filter, Transform};
use crate::types::{Event, PluginError, Request, Verdict};
use serde::de::DeserializeOwned;
use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;

pub use wit_bindgen;

thread_local! {
    /// The last config text seen and its parsed value.
    static CONFIG: RefCell<Option<(String, Rc<dyn Any>)>> = const { RefCell::new(None) };
}

fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let message = format!("plugin panicked: {info}");
            crate::log::error(&message);
            eprintln!("{message}");
        }));
    });
}

/// Parses `text` into `C`, reusing the previous parse when the text is the same.
pub fn parsed_config<C: DeserializeOwned + 'static>(text: &str) -> Result<Rc<C>, PluginError> {
    install_panic_hook();
    let cached = CONFIG.with(|slot| {
        slot.borrow()
            .as_ref()
            .filter(|(t, _)| t == text)
            .and_then(|(_, v)| v.clone().downcast::<C>().ok())
    });
    if let Some(config) = cached {
        return Ok(config);
    }
    let text_or_null = if text.trim().is_empty() { "null" } else { text };
    let config: Rc<C> = Rc::new(
        serde_json::from_str(text_or_null)
            .map_err(|e| PluginError::InvalidConfig(e.to_string()))?,
    );
    CONFIG
        .with(|slot| *slot.borrow_mut() = Some((text.to_string(), config.clone() as Rc<dyn Any>)));
    Ok(config)
}

/// `check-config` of a filter.
pub fn check_filter_config<P: Filter>(config: &str) -> Result<(), PluginError> {
    P::check_config(&*parsed_config::<P::Config>(config)?)
}

/// `filter` of a filter.
pub fn run_filter<P: Filter>(event: &Event, config: &str) -> Result<Verdict, PluginError> {
    P::filter(event, &*parsed_config::<P::Config>(config)?)
}

/// `check-config` of a transform.
pub fn check_transform_config<P: Transform>(config: &str) -> Result<(), PluginError> {
    P::check_config(&*parsed_config::<P::Config>(config)?)
}

/// `transform` of a transform.
pub fn run_transform<P: Transform>(
    event: &Event,
    request: Request,
    config: &str,
) -> Result<Request, PluginError> {
    P::transform(event, request, &*parsed_config::<P::Config>(config)?)
}
