//! Redaction transform: removes or masks configured JSON paths in the body
//! before it leaves Herald (personal data a partner must not receive).
//!
//! Config: `{"paths": ["data.customer.email", "data.payments.*.card"], "action": "mask", "mask": "***", "keep_last": 4}`
//! - `paths`: dotted paths into the JSON body; `*` matches every array
//!   element or object member.
//! - `action`: `mask` (default: replace the value) or `remove` (delete the key).
//! - `mask`: the replacement text (default `"[redacted]"`).
//! - `keep_last`: for string values, keep this many trailing characters
//!   after the mask (e.g. the last 4 digits of a card number).
//!
//! The body must be JSON (Herald's default payload is); paths that match
//! nothing are fine. The number of redacted values is logged.

use herald_sdk::{json, Event, PluginError, Request, Transform};
use serde::Deserialize;
use serde_json::Value;

/// The plugin.
pub struct Redact;

/// What happens to a matched value.
#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Replace the value with the mask.
    #[default]
    Mask,
    /// Delete the key (or array element).
    Remove,
}

fn default_mask() -> String {
    "[redacted]".into()
}

/// The webhook's config for this plugin.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Dotted paths to redact.
    pub paths: Vec<String>,
    /// Mask or remove.
    #[serde(default)]
    pub action: Action,
    /// Replacement text for `mask`.
    #[serde(default = "default_mask")]
    pub mask: String,
    /// Trailing characters of a string kept after the mask.
    #[serde(default)]
    pub keep_last: usize,
}

fn masked(value: &Value, config: &Config) -> Value {
    match value {
        Value::String(s) if config.keep_last > 0 => {
            let count = s.chars().count();
            let tail: String = s
                .chars()
                .skip(count.saturating_sub(config.keep_last))
                .collect();
            if count > config.keep_last {
                Value::String(format!("{}{tail}", config.mask))
            } else {
                Value::String(config.mask.clone())
            }
        }
        _ => Value::String(config.mask.clone()),
    }
}

/// Marks an array element for removal; swept after every path is applied,
/// so indexes in later paths still refer to the original array.
const REMOVED: &str = "\u{0}herald:removed";

/// Redacts `body` in place; returns how many values were redacted.
pub fn redact(body: &mut Value, config: &Config) -> usize {
    let mut total = 0;
    let mut swept = false;
    for path in &config.paths {
        total += json::for_each_match(
            body,
            path,
            &mut |parent, key| match (parent, config.action) {
                (Value::Object(map), Action::Remove) => {
                    map.remove(key);
                }
                (Value::Object(map), Action::Mask) => {
                    if let Some(v) = map.get_mut(key) {
                        *v = masked(v, config);
                    }
                }
                (Value::Array(items), action) => {
                    if let Some(v) = key.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                        *v = match action {
                            Action::Mask => masked(v, config),
                            Action::Remove => {
                                swept = true;
                                Value::String(REMOVED.into())
                            }
                        };
                    }
                }
                _ => {}
            },
        );
    }
    if swept {
        sweep(body);
    }
    total
}

fn sweep(value: &mut Value) {
    match value {
        Value::Array(items) => {
            items.retain(|v| v.as_str() != Some(REMOVED));
            items.iter_mut().for_each(sweep);
        }
        Value::Object(map) => map.values_mut().for_each(sweep),
        _ => {}
    }
}

impl Transform for Redact {
    type Config = Config;

    fn transform(
        _event: &Event,
        mut request: Request,
        config: &Config,
    ) -> Result<Request, PluginError> {
        let mut body = request.json_body()?;
        let count = redact(&mut body, config);
        herald_sdk::log::debug(&format!("redacted {count} value(s)"));
        let content_type = request
            .header("content-type")
            .unwrap_or("application/json")
            .to_string();
        let bytes = serde_json::to_vec(&body).map_err(|e| PluginError::failed(e.to_string()))?;
        request.set_body(bytes, &content_type);
        Ok(request)
    }

    fn check_config(config: &Config) -> Result<(), PluginError> {
        if config.paths.is_empty() {
            return Err(PluginError::invalid_config(
                "`paths` must list at least one path",
            ));
        }
        if let Some(p) = config
            .paths
            .iter()
            .find(|p| herald_sdk::path::check(p).is_err())
        {
            return Err(PluginError::invalid_config(format!(
                "path {p:?} has an empty segment"
            )));
        }
        Ok(())
    }
}

herald_sdk::export_transform!(Redact);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(text: &str) -> Config {
        serde_json::from_str(text).expect("test config parses")
    }

    #[test]
    fn masks_with_kept_tail_and_wildcards() {
        let mut body = json!({"data": {"customer": {"email": "a@b.c"},
                             "payments": [{"card": "4111111111111111"}, {"card": "5500000000000004"}]}});
        let c = config(
            r#"{"paths":["data.customer.email","data.payments.*.card"],"keep_last":4,"mask":"****"}"#,
        );
        assert_eq!(redact(&mut body, &c), 3);
        assert_eq!(body["data"]["customer"]["email"], "****@b.c");
        assert_eq!(body["data"]["payments"][0]["card"], "****1111");
        assert_eq!(body["data"]["payments"][1]["card"], "****0004");
    }

    #[test]
    fn removes_keys_and_array_elements() {
        let mut body = json!({"data": {"secret": 1, "list": [1, 2, 3]}});
        let c =
            config(r#"{"paths":["data.secret","data.list.0","data.list.2"],"action":"remove"}"#);
        redact(&mut body, &c);
        assert_eq!(body, json!({"data": {"list": [2]}}));
    }

    #[test]
    fn transform_keeps_content_type_and_rejects_non_json() {
        let c = config(r#"{"paths":["data.x"]}"#);
        let req = Request::json(&json!({"data": {"x": "y"}}));
        let out = Redact::transform(&Event::example("t", "{}"), req, &c).expect("json body");
        assert_eq!(
            out.json_body().expect("json"),
            json!({"data": {"x": "[redacted]"}})
        );
        assert_eq!(out.header("content-type"), Some("application/json"));
        let bad = Request {
            headers: vec![],
            body: b"not json".to_vec(),
        };
        assert!(matches!(
            Redact::transform(&Event::example("t", "{}"), bad, &c),
            Err(PluginError::InvalidEvent(_))
        ));
    }
}
