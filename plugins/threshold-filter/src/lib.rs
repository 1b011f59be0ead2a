//! Threshold filter: keeps an event when a numeric field is above (and/or
//! below) configured amounts, e.g. "orders whose total is above 100".
//!
//! Config: `{"path": "data.order.total", "above": 100, "below": 10000, "missing": "drop"}`
//! - `path`: dotted path into the event envelope (`{"id","type","timestamp","environment","data"}`).
//! - `above` / `below`: exclusive bounds; at least one is required.
//! - `missing`: `"drop"` (default) or `"keep"` when the field is absent or not a number.
//!
//! Numbers given as strings (`"12.50"`, common for money) are accepted.

use herald_sdk::{json, Event, Filter, PluginError, Verdict};
use serde::Deserialize;

/// The plugin.
pub struct Threshold;

/// What to do when the field is absent or not numeric.
#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Missing {
    /// Drop the event (the default).
    #[default]
    Drop,
    /// Keep the event.
    Keep,
}

/// The webhook's config for this plugin.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Dotted path to the numeric field.
    pub path: String,
    /// Keep only values strictly greater than this.
    pub above: Option<f64>,
    /// Keep only values strictly less than this.
    pub below: Option<f64>,
    /// What to do when the field is absent or not numeric.
    #[serde(default)]
    pub missing: Missing,
}

fn number(value: &serde_json::Value) -> Option<f64> {
    match value {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl Filter for Threshold {
    type Config = Config;

    fn filter(event: &Event, config: &Config) -> Result<Verdict, PluginError> {
        let envelope = event.envelope()?;
        let Some(value) = json::lookup(&envelope, &config.path).and_then(number) else {
            return Ok(match config.missing {
                Missing::Keep => Verdict::Keep,
                Missing::Drop => {
                    Verdict::drop(format!("{} is missing or not a number", config.path))
                }
            });
        };
        if let Some(above) = config.above {
            if value <= above {
                return Ok(Verdict::drop(format!(
                    "{} = {value} is not above {above}",
                    config.path
                )));
            }
        }
        if let Some(below) = config.below {
            if value >= below {
                return Ok(Verdict::drop(format!(
                    "{} = {value} is not below {below}",
                    config.path
                )));
            }
        }
        Ok(Verdict::Keep)
    }

    fn check_config(config: &Config) -> Result<(), PluginError> {
        if config.path.trim().is_empty() {
            return Err(PluginError::invalid_config("`path` must not be empty"));
        }
        match (config.above, config.below) {
            (None, None) => Err(PluginError::invalid_config("set `above`, `below` or both")),
            (Some(a), Some(b)) if a >= b => Err(PluginError::invalid_config(format!(
                "`above` ({a}) must be less than `below` ({b}): no value could pass"
            ))),
            _ => Ok(()),
        }
    }
}

herald_sdk::export_filter!(Threshold);

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        serde_json::from_str(text).expect("test config parses")
    }

    fn order(total: &str) -> Event {
        Event::example(
            "order.created",
            &format!(r#"{{"order":{{"total":{total}}}}}"#),
        )
    }

    #[test]
    fn keeps_above_and_drops_at_or_below() {
        let c = config(r#"{"path":"data.order.total","above":100}"#);
        assert_eq!(Threshold::filter(&order("150"), &c), Ok(Verdict::Keep));
        assert!(
            matches!(Threshold::filter(&order("100"), &c), Ok(Verdict::Drop(r)) if r.contains("not above 100"))
        );
        assert_eq!(
            Threshold::filter(&order("\"120.50\""), &c),
            Ok(Verdict::Keep)
        );
    }

    #[test]
    fn missing_field_follows_config() {
        let drop = config(r#"{"path":"data.order.total","above":1}"#);
        let keep = config(r#"{"path":"data.order.total","above":1,"missing":"keep"}"#);
        let event = Event::example("order.created", r#"{"order":{}}"#);
        assert!(matches!(
            Threshold::filter(&event, &drop),
            Ok(Verdict::Drop(_))
        ));
        assert_eq!(Threshold::filter(&event, &keep), Ok(Verdict::Keep));
    }

    #[test]
    fn config_needs_a_bound_and_a_sane_range() {
        assert!(Threshold::check_config(&config(r#"{"path":"data.x"}"#)).is_err());
        assert!(
            Threshold::check_config(&config(r#"{"path":"data.x","above":5,"below":5}"#)).is_err()
        );
        assert!(Threshold::check_config(&config(r#"{"path":"data.x","below":5}"#)).is_ok());
        assert!(serde_json::from_str::<Config>(r#"{"path":"x","abov":1}"#).is_err());
    }
}
