//! The dotted-path syntax shared by Herald's native trigger filters and the
//! plugins written with this SDK: the one implementation of both.
//!
//! A path is one or more segments separated by `.`: `data.order.status`,
//! `data.items.0.sku`. Against an object a segment is a member name; against
//! an array it is an element index written in ASCII digits (`0`, `12`; not
//! `+1` or `-1`). No segment may be empty, so `""`, `a..b`, `.a` and `a.`
//! are not paths, and a member whose name contains `.` cannot be addressed.
//! [`for_each_match`] (and only it) also takes `*` for "every member or
//! element".
//!
//! This module needs nothing but `serde_json`; the runtime uses it with the
//! SDK's default `guest` feature off. Its behaviour is pinned by the test
//! vectors in [`TEST_VECTORS`], which Herald's runtime runs too.

use serde_json::{Map, Value};

/// Why a text is not a dotted path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    /// The path is the empty string.
    Empty,
    /// Segment `index` (0-based) is empty (`a..b`, `.a`, `a.`).
    EmptySegment {
        /// Which segment.
        index: usize,
    },
}

impl std::fmt::Display for PathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PathError::Empty => f.write_str("a path must not be empty"),
            PathError::EmptySegment { index } => {
                write!(f, "segment {} of the path is empty", index + 1)
            }
        }
    }
}

impl std::error::Error for PathError {}

/// Checks that `path` is a dotted path (see the [module docs](self)).
///
/// ```
/// use herald_sdk::path::{check, PathError};
/// assert_eq!(check("data.order.status"), Ok(()));
/// assert_eq!(check("data..status"), Err(PathError::EmptySegment { index: 1 }));
/// ```
pub fn check(path: &str) -> Result<(), PathError> {
    if path.is_empty() {
        return Err(PathError::Empty);
    }
    match path.split('.').position(str::is_empty) {
        Some(index) => Err(PathError::EmptySegment { index }),
        None => Ok(()),
    }
}

/// The array index a segment names, if it is one (ASCII digits only).
fn index(segment: &str) -> Option<usize> {
    if segment.is_empty() || !segment.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    segment.parse().ok()
}

/// The value at `path`, if present. A path that fails [`check`] finds nothing.
///
/// ```
/// use herald_sdk::path::lookup;
/// let v = serde_json::json!({"order": {"items": [{"sku": "A-1"}]}});
/// assert_eq!(lookup(&v, "order.items.0.sku"), Some(&serde_json::json!("A-1")));
/// assert_eq!(lookup(&v, "order.missing"), None);
/// ```
pub fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    check(path).ok()?;
    path.split('.')
        .try_fold(value, |current, segment| match current {
            Value::Object(map) => map.get(segment),
            Value::Array(items) => index(segment).and_then(|i| items.get(i)),
            _ => None,
        })
}

/// Sets the value at `path`, creating intermediate objects as needed.
/// Fails (returns `false`) when the path fails [`check`], a segment runs
/// into a scalar, or an array index is out of range.
///
/// ```
/// use herald_sdk::path::set;
/// let mut v = serde_json::json!({});
/// assert!(set(&mut v, "properties.email", "a@b.c".into()));
/// assert_eq!(v, serde_json::json!({"properties": {"email": "a@b.c"}}));
/// ```
pub fn set(value: &mut Value, path: &str, new: Value) -> bool {
    if check(path).is_err() {
        return false;
    }
    let mut segments = path.split('.').peekable();
    let mut current = value;
    while let Some(segment) = segments.next() {
        let last = segments.peek().is_none();
        current = match current {
            Value::Object(map) => {
                if last {
                    map.insert(segment.to_string(), new);
                    return true;
                }
                map.entry(segment.to_string())
                    .or_insert_with(|| Value::Object(Map::new()))
            }
            Value::Array(items) => match index(segment).and_then(|i| items.get_mut(i)) {
                Some(slot) if last => {
                    *slot = new;
                    return true;
                }
                Some(slot) => slot,
                None => return false,
            },
            _ => return false,
        };
    }
    false
}

/// Calls `f` on the parent container and final key of every match of `path`,
/// where a `*` segment matches every member of an object or element of an
/// array. Returns the number of matches (0 for a path that fails [`check`]).
///
/// ```
/// use herald_sdk::path::for_each_match;
/// let mut v = serde_json::json!({"cards": [{"pan": "1"}, {"pan": "2"}]});
/// let n = for_each_match(&mut v, "cards.*.pan", &mut |parent, key| {
///     if let Some(obj) = parent.as_object_mut() { obj.remove(key); }
/// });
/// assert_eq!(n, 2);
/// assert_eq!(v, serde_json::json!({"cards": [{}, {}]}));
/// ```
pub fn for_each_match(value: &mut Value, path: &str, f: &mut dyn FnMut(&mut Value, &str)) -> usize {
    if check(path).is_err() {
        return 0;
    }
    let segments: Vec<&str> = path.split('.').collect();
    walk(value, &segments, f)
}

fn walk(value: &mut Value, segments: &[&str], f: &mut dyn FnMut(&mut Value, &str)) -> usize {
    let Some((head, rest)) = segments.split_first() else {
        return 0;
    };
    if rest.is_empty() {
        let keys: Vec<String> = match (&*value, *head) {
            (Value::Object(map), "*") => map.keys().cloned().collect(),
            (Value::Array(items), "*") => (0..items.len()).map(|i| i.to_string()).collect(),
            (Value::Object(map), key) if map.contains_key(key) => vec![key.to_string()],
            (Value::Array(items), key) if index(key).is_some_and(|i| i < items.len()) => {
                vec![key.to_string()]
            }
            _ => Vec::new(),
        };
        for key in &keys {
            f(value, key);
        }
        return keys.len();
    }
    match (value, *head) {
        (Value::Object(map), "*") => map.values_mut().map(|v| walk(v, rest, f)).sum(),
        (Value::Array(items), "*") => items.iter_mut().map(|v| walk(v, rest, f)).sum(),
        (Value::Object(map), key) => map.get_mut(key).map_or(0, |v| walk(v, rest, f)),
        (Value::Array(items), key) => index(key)
            .and_then(|i| items.get_mut(i))
            .map_or(0, |v| walk(v, rest, f)),
        _ => 0,
    }
}

/// The shared test vectors (JSON): `check` cases (`path`, `valid`) and
/// `lookup` cases (`path`, `document`, and either `expected` or
/// `"absent": true`). The SDK's tests and the runtime's native-filter tests
/// both run them, so the two can never disagree on what a path means.
pub const TEST_VECTORS: &str = include_str!("path_vectors.json");

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_shared_vectors_hold() {
        let vectors: Value = serde_json::from_str(TEST_VECTORS).expect("vectors are JSON");
        let checks = vectors["check"].as_array().expect("check cases");
        let lookups = vectors["lookup"].as_array().expect("lookup cases");
        assert!(checks.len() >= 5 && lookups.len() >= 10);
        for case in checks {
            let path = case["path"].as_str().expect("path");
            assert_eq!(check(path).is_ok(), case["valid"] == true, "check {path:?}");
        }
        for case in lookups {
            let path = case["path"].as_str().expect("path");
            let expected = if case["absent"] == true {
                None
            } else {
                Some(case.get("expected").expect("expected or absent"))
            };
            assert_eq!(lookup(&case["document"], path), expected, "lookup {path:?}");
            // What lookup finds, for_each_match visits exactly once.
            let mut doc = case["document"].clone();
            let mut seen = Vec::new();
            for_each_match(&mut doc, path, &mut |parent, key| {
                seen.push(match parent {
                    Value::Array(items) => index(key).and_then(|i| items.get(i)).cloned(),
                    other => other.get(key).cloned(),
                })
            });
            let seen: Vec<Value> = seen.into_iter().flatten().collect();
            assert_eq!(
                seen.iter().collect::<Vec<_>>(),
                expected.into_iter().collect::<Vec<_>>(),
                "for_each_match {path:?}"
            );
        }
    }

    #[test]
    fn set_into_array_index_and_refuses_scalars_and_bad_paths() {
        let mut v = json!({"a": [1, 2], "s": "x"});
        assert!(set(&mut v, "a.1", json!(9)));
        assert_eq!(v["a"], json!([1, 9]));
        assert!(!set(&mut v, "a.5", json!(0)));
        assert!(!set(&mut v, "a.+1", json!(0)));
        assert!(!set(&mut v, "s.inner", json!(0)));
        assert!(!set(&mut v, "", json!(0)));
        assert!(!set(&mut v, "b..c", json!(0)));
        assert_eq!(v, json!({"a": [1, 9], "s": "x"}));
    }

    #[test]
    fn wildcard_over_object_members() {
        let mut v = json!({"m": {"a": {"k": 1}, "b": {"k": 2}, "c": {}}});
        let mut seen = Vec::new();
        let n = for_each_match(&mut v, "m.*.k", &mut |parent, key| {
            seen.push(parent[key].clone());
        });
        assert_eq!(n, 2);
        assert_eq!(seen, [json!(1), json!(2)]);
    }
}
