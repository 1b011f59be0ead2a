//! The two traits a plugin implements: [`Filter`] and [`Transform`].

use crate::types::{Event, PluginError, Request, Verdict};
use serde::de::DeserializeOwned;

/// A filter plugin: decides whether an event is delivered to the webhook.
///
/// `Config` is the webhook's JSON config for this plugin; Herald parses it
/// once per config (not per event) and a config that does not deserialize is
/// rejected when the webhook is saved, with serde's message. Use
/// `serde_json::Value` to take any JSON.
///
/// ```
/// use herald_sdk::{Event, Filter, PluginError, Verdict};
///
/// struct OnlyProduction;
///
/// impl Filter for OnlyProduction {
///     type Config = serde_json::Value;
///     fn filter(event: &Event, _config: &serde_json::Value) -> Result<Verdict, PluginError> {
///         Ok(match event.environment.as_deref() {
///             Some("production") => Verdict::Keep,
///             other => Verdict::drop(format!("environment {other:?} is not production")),
///         })
///     }
/// }
///
/// let event = Event::example("order.created", "{}");
/// let cfg = serde_json::json!({});
/// assert!(matches!(OnlyProduction::filter(&event, &cfg), Ok(Verdict::Drop(_))));
/// ```
pub trait Filter {
    /// The plugin's config, deserialized from the webhook's JSON.
    type Config: DeserializeOwned + 'static;

    /// Decides whether `event` is delivered.
    fn filter(event: &Event, config: &Self::Config) -> Result<Verdict, PluginError>;

    /// Checks a config beyond what deserializing it already checked (ranges,
    /// combinations). Runs when a webhook is saved. The default accepts.
    fn check_config(_config: &Self::Config) -> Result<(), PluginError> {
        Ok(())
    }
}

/// A transform plugin: rewrites the outgoing request (body and headers).
///
/// Herald signs the bytes the last transform returns. `Config` works as for
/// [`Filter`].
///
/// ```
/// use herald_sdk::{Event, PluginError, Request, Transform};
///
/// struct AddPartnerHeader;
///
/// #[derive(serde::Deserialize)]
/// struct Config { partner: String }
///
/// impl Transform for AddPartnerHeader {
///     type Config = Config;
///     fn transform(_e: &Event, mut req: Request, c: &Config) -> Result<Request, PluginError> {
///         req.set_header("x-partner", &c.partner);
///         Ok(req)
///     }
/// }
///
/// let out = AddPartnerHeader::transform(
///     &Event::example("t", "{}"),
///     Request::default(),
///     &Config { partner: "acme".into() },
/// ).unwrap();
/// assert_eq!(out.header("x-partner"), Some("acme"));
/// ```
pub trait Transform {
    /// The plugin's config, deserialized from the webhook's JSON.
    type Config: DeserializeOwned + 'static;

    /// Rewrites `request` for `event`.
    fn transform(
        event: &Event,
        request: Request,
        config: &Self::Config,
    ) -> Result<Request, PluginError>;

    /// Checks a config beyond deserialization. The default accepts.
    fn check_config(_config: &Self::Config) -> Result<(), PluginError> {
        Ok(())
    }
}
