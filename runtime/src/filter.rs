//! Native trigger filters: `equals`, `not_equals`, `in`, `not_in` on a
//! dotted path into the event envelope; all of a trigger's filters must
//! match. Runs before any plugin.
//!
//! The path syntax is [`herald_sdk::path`]'s, the one plugins use: one
//! implementation and one set of test vectors for both.

use crate::model::{FilterOp, FilterRule, Trigger};
use serde_json::Value;

pub use herald_sdk::path::PathError;

/// The value at a dotted path (`data.order.status`, `items.0.sku`).
pub fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    herald_sdk::path::lookup(value, path)
}

/// Checks that `path` is a dotted path a filter can use (no empty segment).
pub fn check_path(path: &str) -> Result<(), PathError> {
    herald_sdk::path::check(path)
}

/// Whether one filter matches `envelope`.
pub fn matches(rule: &FilterRule, envelope: &Value) -> bool {
    let found = lookup(envelope, &rule.path);
    let in_list = |v: &Value| rule.value.as_array().is_some_and(|list| list.contains(v));
    match rule.op {
        FilterOp::Equals => found == Some(&rule.value),
        FilterOp::NotEquals => found != Some(&rule.value),
        FilterOp::In => found.is_some_and(in_list),
        FilterOp::NotIn => !found.is_some_and(in_list),
    }
}

/// The first filter of `trigger` that does not match, if any.
pub fn first_mismatch<'a>(trigger: &'a Trigger, envelope: &Value) -> Option<&'a FilterRule> {
    trigger.filters.iter().find(|rule| !matches(rule, envelope))
}

/// A readable reason for a drop by `rule`.
pub fn describe(rule: &FilterRule, envelope: &Value) -> String {
    let found = lookup(envelope, &rule.path).map_or_else(|| "absent".to_string(), Value::to_string);
    let op = match rule.op {
        FilterOp::Equals => "equals",
        FilterOp::NotEquals => "not_equals",
        FilterOp::In => "in",
        FilterOp::NotIn => "not_in",
    };
    format!(
        "filter {} {op} {} did not match (value: {found})",
        rule.path, rule.value
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(path: &str, op: FilterOp, value: Value) -> FilterRule {
        FilterRule {
            path: path.into(),
            op,
            value,
        }
    }

    /// The vectors the guest SDK runs too: native filters read paths exactly
    /// as plugins do.
    #[test]
    fn paths_follow_the_shared_vectors() {
        let vectors: Value =
            serde_json::from_str(herald_sdk::path::TEST_VECTORS).expect("vectors are JSON");
        let lookups = vectors["lookup"].as_array().expect("lookup cases");
        for case in lookups {
            let path = case["path"].as_str().expect("path");
            let expected = (case["absent"] != true).then(|| &case["expected"]);
            assert_eq!(lookup(&case["document"], path), expected, "{path:?}");
            // And a filter on that path sees the same.
            let probe = json!("\u{0}probe");
            let equals = rule(path, FilterOp::Equals, expected.cloned().unwrap_or(probe));
            assert_eq!(
                matches(&equals, &case["document"]),
                expected.is_some(),
                "{path:?}"
            );
        }
        for case in vectors["check"].as_array().expect("check cases") {
            let path = case["path"].as_str().expect("path");
            assert_eq!(check_path(path).is_ok(), case["valid"] == true, "{path:?}");
        }
    }

    #[test]
    fn operators() {
        let env = json!({"type": "order.created", "data": {"order": {"status": "paid", "n": 3}}});
        assert!(matches(
            &rule("data.order.status", FilterOp::Equals, json!("paid")),
            &env
        ));
        assert!(!matches(
            &rule("data.order.status", FilterOp::Equals, json!("open")),
            &env
        ));
        assert!(matches(
            &rule("data.order.status", FilterOp::NotEquals, json!("open")),
            &env
        ));
        assert!(matches(
            &rule("data.order.n", FilterOp::In, json!([1, 3])),
            &env
        ));
        assert!(!matches(
            &rule("data.order.n", FilterOp::NotIn, json!([1, 3])),
            &env
        ));
        assert!(matches(
            &rule("data.missing", FilterOp::NotIn, json!([1])),
            &env
        ));
        assert!(!matches(
            &rule("data.missing", FilterOp::In, json!([1])),
            &env
        ));
        assert!(matches(
            &rule("data.missing", FilterOp::NotEquals, json!(1)),
            &env
        ));
    }

    #[test]
    fn all_filters_must_match() {
        let env = json!({"data": {"a": 1, "b": 2}});
        let t = Trigger {
            event: "x".into(),
            filters: vec![
                rule("data.a", FilterOp::Equals, json!(1)),
                rule("data.b", FilterOp::Equals, json!(3)),
            ],
            version: None,
        };
        let miss = first_mismatch(&t, &env).expect("b mismatches");
        assert_eq!(miss.path, "data.b");
        assert!(describe(miss, &env).contains("value: 2"));
    }
}
