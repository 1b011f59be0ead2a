//! The input rules of a webhook that need nothing but the input itself
//! (the API adds those that need the store or the plugins: the address
//! policy, the event-type catalogue, each plugin's own config check). Each
//! error names the field and says what to fix.

use super::duration as duration_str;
use super::{FilterOp, Trigger};
use std::collections::BTreeMap;
use std::time::Duration;

/// Longest name, description or event type accepted.
pub const MAX_TEXT: usize = 200;
/// Most delays a retry schedule may hold.
pub const MAX_RETRIES: usize = 20;

/// A display name: 1 to [`MAX_TEXT`] characters, not only spaces.
pub fn name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() || name.chars().count() > MAX_TEXT {
        return Err(format!("`name` must be 1 to {MAX_TEXT} characters"));
    }
    Ok(())
}

/// Longest description accepted.
pub const MAX_DESCRIPTION: usize = 4096;

/// A description: at most [`MAX_DESCRIPTION`] characters.
pub fn description(text: &str) -> Result<(), String> {
    if text.chars().count() > MAX_DESCRIPTION {
        return Err(format!(
            "`description` may be at most {MAX_DESCRIPTION} characters"
        ));
    }
    Ok(())
}

/// Triggers: at least one; event types non-empty; filter paths dotted;
/// `in` / `not_in` take an array.
pub fn triggers(triggers: &[Trigger]) -> Result<(), String> {
    if triggers.is_empty() {
        return Err("`triggers` must name at least one event type".into());
    }
    for (i, t) in triggers.iter().enumerate() {
        if t.event.trim().is_empty() || t.event.len() > MAX_TEXT {
            return Err(format!(
                "`triggers[{i}].event` must be 1 to {MAX_TEXT} characters, e.g. \"order.created\""
            ));
        }
        for (j, f) in t.filters.iter().enumerate() {
            if f.path.is_empty() || f.path.split('.').any(str::is_empty) {
                return Err(format!(
                    "`triggers[{i}].filters[{j}].path` {:?} is not a dotted path like data.order.status",
                    f.path
                ));
            }
            if matches!(f.op, FilterOp::In | FilterOp::NotIn) && !f.value.is_array() {
                return Err(format!(
                    "`triggers[{i}].filters[{j}]`: `in` and `not_in` take an array `value`"
                ));
            }
        }
    }
    Ok(())
}

/// Custom headers: valid HTTP names and values.
pub fn headers(headers: &BTreeMap<String, String>) -> Result<(), String> {
    for (name, value) in headers {
        if http::HeaderName::from_bytes(name.as_bytes()).is_err()
            || http::HeaderValue::from_str(value).is_err()
        {
            return Err(format!("`headers`: {name:?} is not a valid header"));
        }
    }
    Ok(())
}

/// A rate limit: `per_second` and `burst` each from 1 to 10,000.
pub fn rate_limit(limit: &super::RateLimit) -> Result<(), String> {
    for (field, value) in [("per_second", limit.per_second), ("burst", limit.burst)] {
        if !(1..=10_000).contains(&value) {
            return Err(format!(
                "`rate_limit.{field}` must be from 1 to 10000, not {value}"
            ));
        }
    }
    Ok(())
}

/// Ordering: `webhook` or a dotted path into the envelope.
pub fn ordering(ordering: &super::Ordering) -> Result<(), String> {
    let key = &ordering.key;
    if key == super::Ordering::WEBHOOK {
        return Ok(());
    }
    if key.is_empty()
        || key.len() > MAX_TEXT
        || key.split('.').any(str::is_empty)
        || key
            .chars()
            .any(|c| c == '|' || c.is_whitespace() || c.is_control())
    {
        return Err(format!(
            "`ordering.key` {key:?}: use \"webhook\" (one line for all deliveries) or a dotted path into the event, e.g. \"data.order_id\""
        ));
    }
    Ok(())
}

/// A retry schedule: at most [`MAX_RETRIES`] durations.
pub fn retry_schedule(schedule: &[String]) -> Result<Vec<Duration>, String> {
    if schedule.len() > MAX_RETRIES {
        return Err(format!(
            "`retry.schedule` may hold at most {MAX_RETRIES} delays"
        ));
    }
    schedule
        .iter()
        .map(|d| duration_str::parse(d))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("`retry.schedule`: {e}"))
}

/// A per-attempt timeout: positive and at most `max`.
pub fn timeout(text: &str, max: Duration) -> Result<Duration, String> {
    let t = duration_str::parse(text).map_err(|e| format!("`timeout`: {e}"))?;
    if t.is_zero() || t > max {
        return Err(format!(
            "`timeout` must be between 1ms and {}",
            duration_str::format(&max)
        ));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FilterRule;
    use serde_json::json;

    fn trigger(path: &str, op: FilterOp, value: serde_json::Value) -> Trigger {
        Trigger {
            event: "order.created".into(),
            filters: vec![FilterRule {
                path: path.into(),
                op,
                value,
            }],
            version: None,
        }
    }

    #[test]
    fn each_rule_names_its_field() {
        assert!(name(" ").expect_err("refused").contains("`name`"));
        assert!(name("shop").is_ok());
        assert!(triggers(&[]).expect_err("refused").contains("`triggers`"));
        let bad_path = trigger("data..x", FilterOp::Equals, json!(1));
        assert!(triggers(&[bad_path])
            .expect_err("refused")
            .contains("dotted path"));
        let not_array = trigger("data.x", FilterOp::In, json!(1));
        assert!(triggers(&[not_array])
            .expect_err("refused")
            .contains("array"));
        assert!(triggers(&[trigger("data.x", FilterOp::In, json!([1]))]).is_ok());
        let bad = BTreeMap::from([("bad name".to_string(), "v".to_string())]);
        assert!(headers(&bad).expect_err("refused").contains("`headers`"));
        assert!(retry_schedule(&["soon".into()]).is_err());
        assert!(retry_schedule(&vec!["1s".to_string(); 21]).is_err());
        assert_eq!(
            retry_schedule(&["5s".into()]),
            Ok(vec![Duration::from_secs(5)])
        );
        let max = Duration::from_secs(60);
        assert!(timeout("0s", max).is_err());
        assert!(timeout("2m", max).is_err());
        assert_eq!(timeout("30s", max), Ok(Duration::from_secs(30)));
    }
}
