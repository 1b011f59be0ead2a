//! CRM reshape transform: maps an event onto a partner CRM's own field
//! names and structure, with a configured mapping, so one order event can
//! feed a CRM that expects e.g. `{"properties": {"dealname": …, "amount": …}}`.
//!
//! Config:
//! ```json
//! {"mapping": {"properties.dealname": "data.order.id", "properties.amount": "data.order.total",
//!              "properties.email": "data.customer.email"},
//!  "constants": {"properties.pipeline": "webshop"},
//!  "required": ["data.order.id"],
//!  "headers": {"x-crm-object": "deal"}}
//! ```
//! - `mapping`: target path in the new body → source path in the event
//!   envelope (`id`, `type`, `timestamp`, `environment`, `data.…`). Absent
//!   sources are skipped (or become `null` with `"missing": "null"`).
//! - `constants`: target path → fixed JSON value.
//! - `required`: source paths that must be present, else the call fails
//!   with `invalid-event` (and the delivery is retried / dead-lettered).
//! - `headers`: static headers to set on the request.

use herald_sdk::{json, Event, PluginError, Request, Transform};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The plugin.
pub struct CrmReshape;

/// What an absent source becomes.
#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Missing {
    /// Leave the target out (default).
    #[default]
    Skip,
    /// Set the target to `null`.
    Null,
}

/// The webhook's config for this plugin.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Target path → source path.
    pub mapping: BTreeMap<String, String>,
    /// Target path → fixed value.
    #[serde(default)]
    pub constants: BTreeMap<String, Value>,
    /// Source paths that must be present.
    #[serde(default)]
    pub required: Vec<String>,
    /// Static headers set on the request.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// What an absent source becomes.
    #[serde(default)]
    pub missing: Missing,
}

/// Builds the CRM body from the event envelope.
pub fn reshape(envelope: &Value, config: &Config) -> Result<Value, PluginError> {
    if let Some(path) = config
        .required
        .iter()
        .find(|p| json::lookup(envelope, p).is_none())
    {
        // The event will never gain the field: no retry can help.
        return Err(
            PluginError::invalid_event(format!("required field {path} is missing")).permanent(),
        );
    }
    let mut out = Value::Object(Default::default());
    for (target, source) in &config.mapping {
        let value = match (json::lookup(envelope, source), config.missing) {
            (Some(v), _) => v.clone(),
            (None, Missing::Null) => Value::Null,
            (None, Missing::Skip) => continue,
        };
        if !json::set(&mut out, target, value) {
            return Err(PluginError::failed(format!("cannot write target {target}")));
        }
    }
    for (target, value) in &config.constants {
        if !json::set(&mut out, target, value.clone()) {
            return Err(PluginError::failed(format!("cannot write target {target}")));
        }
    }
    Ok(out)
}

impl Transform for CrmReshape {
    type Config = Config;

    fn transform(
        event: &Event,
        mut request: Request,
        config: &Config,
    ) -> Result<Request, PluginError> {
        let body = reshape(&event.envelope()?, config)?;
        request.set_json_body(&body);
        for (name, value) in &config.headers {
            request.set_header(name, value);
        }
        Ok(request)
    }

    fn check_config(config: &Config) -> Result<(), PluginError> {
        if config.mapping.is_empty() && config.constants.is_empty() {
            return Err(PluginError::invalid_config(
                "`mapping` or `constants` must have an entry",
            ));
        }
        let targets = config.mapping.keys().chain(config.constants.keys());
        if let Some(t) = targets
            .clone()
            .find(|t| herald_sdk::path::check(t).is_err())
        {
            return Err(PluginError::invalid_config(format!(
                "target {t:?} has an empty segment"
            )));
        }
        // A target that is also a prefix of another would be overwritten.
        let all: Vec<&String> = targets.collect();
        for a in &all {
            if let Some(b) = all.iter().find(|b| b.starts_with(&format!("{a}."))) {
                return Err(PluginError::invalid_config(format!(
                    "target {a:?} conflicts with {b:?}"
                )));
            }
        }
        Ok(())
    }
}

herald_sdk::export_transform!(CrmReshape);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(text: &str) -> Config {
        serde_json::from_str(text).expect("test config parses")
    }

    #[test]
    fn maps_nested_targets_constants_and_headers() {
        let c = config(
            r#"{"mapping":{"properties.dealname":"data.order.id","properties.amount":"data.order.total","kind":"type"},
                "constants":{"properties.pipeline":"webshop"},"headers":{"x-crm-object":"deal"}}"#,
        );
        let event = Event::example("order.created", r#"{"order":{"id":"o1","total":5}}"#);
        let out = CrmReshape::transform(&event, Request::default(), &c).expect("maps");
        assert_eq!(
            out.json_body().expect("json"),
            json!({"kind":"order.created","properties":{"dealname":"o1","amount":5,"pipeline":"webshop"}})
        );
        assert_eq!(out.header("x-crm-object"), Some("deal"));
    }

    #[test]
    fn required_and_missing() {
        let c = config(r#"{"mapping":{"email":"data.email"},"required":["data.id"]}"#);
        let event = Event::example("t", r#"{"email":"x"}"#);
        assert!(
            matches!(CrmReshape::transform(&event, Request::default(), &c), Err(e) if e.is_permanent() && e.message().contains("data.id"))
        );
        let c =
            config(r#"{"mapping":{"email":"data.email","phone":"data.phone"},"missing":"null"}"#);
        let out = CrmReshape::transform(&event, Request::default(), &c).expect("maps");
        assert_eq!(
            out.json_body().expect("json"),
            json!({"email":"x","phone":null})
        );
    }

    #[test]
    fn conflicting_targets_are_rejected() {
        let c = config(r#"{"mapping":{"a":"data.x","a.b":"data.y"}}"#);
        assert!(CrmReshape::check_config(&c).is_err());
    }
}
