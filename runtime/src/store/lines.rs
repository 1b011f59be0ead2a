//! Ordered delivery's lines: an ordered webhook's trigger index member
//! carries its key's path (`wh_…|data.order_id`), publishing reads the
//! key's value from the event and puts the delivery at the end of the
//! line for that value ([`super::scripts::PUBLISH`]), and the end of a
//! line's head queues the next ([`super::scripts::LINE_NEXT`], in the
//! outcome's transaction).

use serde_json::Value;
use sha2::{Digest, Sha256};

/// A trigger index member split into the webhook id and, for an ordered
/// webhook, the path of its key (empty: one line for the webhook).
pub fn split_member(member: &str) -> (&str, Option<&str>) {
    match member.split_once('|') {
        Some((id, path)) => (id, Some(path)),
        None => (member, None),
    }
}

/// The ordering key of an event for `path` (dotted, into the envelope):
/// a string as it is, any other value as JSON text, and empty when the
/// event has no value there (such events share one line).
pub fn key_value(envelope: &Value, path: &str) -> String {
    if path.is_empty() {
        return String::new();
    }
    let found = path.split('.').try_fold(envelope, |v, part| v.get(part));
    match found {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The part of a line's key name that stands for the key's value: bounded
/// and safe in a key name whatever the value is (two values that share a
/// hash would only share a line: still in order).
pub fn key_hash(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The key's value as kept on the delivery (for the log): at most 200
/// bytes, cut on a character boundary.
pub fn shown(value: &str) -> &str {
    let mut end = value.len().min(200);
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    &value[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn members_keys_and_hashes() {
        assert_eq!(split_member("wh_1"), ("wh_1", None));
        assert_eq!(split_member("wh_1|"), ("wh_1", Some("")));
        assert_eq!(
            split_member("wh_1|data.order_id"),
            ("wh_1", Some("data.order_id"))
        );
        let envelope = json!({"type": "t", "data": {"order_id": "o-1", "n": 7, "o": {"a": 1}}});
        assert_eq!(key_value(&envelope, "data.order_id"), "o-1");
        assert_eq!(key_value(&envelope, "data.n"), "7");
        assert_eq!(key_value(&envelope, "data.o"), r#"{"a":1}"#);
        assert_eq!(key_value(&envelope, "data.missing"), "");
        assert_eq!(key_value(&envelope, ""), "");
        assert_eq!(key_hash("o-1"), key_hash("o-1"));
        assert_ne!(key_hash("o-1"), key_hash("o-2"));
        assert_eq!(key_hash("o-1").len(), 16);
        assert_eq!(shown(&"é".repeat(150)).len(), 200);
    }
}
