//! Helpers on `serde_json::Value` for plugins: dotted-path lookups and edits
//! (re-exported from [`crate::path`], the syntax Herald's native trigger
//! filters use too) and [`to_text`].

pub use crate::path::{check as check_path, for_each_match, lookup, set, PathError};
use serde_json::Value;

/// A short, human text for a scalar (strings without quotes), for messages
/// and templates.
///
/// ```
/// use herald_sdk::json::to_text;
/// assert_eq!(to_text(&serde_json::json!("x")), "x");
/// assert_eq!(to_text(&serde_json::json!(1.5)), "1.5");
/// assert_eq!(to_text(&serde_json::json!(null)), "");
/// ```
pub fn to_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
