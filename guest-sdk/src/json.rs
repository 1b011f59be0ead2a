//! Dotted paths into JSON values: `data.order.total`, `items.0.sku`, and `*`
//! for "every element or member" where noted.
//!
//! Paths use the same syntax as Herald's native trigger filters: segments
//! separated by `.`, object keys by name, array elements by index.

use serde_json::{Map, Value};

/// The value at `path`, if present.
///
/// ```
/// use herald_sdk::json::lookup;
/// let v = serde_json::json!({"order": {"items": [{"sku": "A-1"}]}});
/// assert_eq!(lookup(&v, "order.items.0.sku"), Some(&serde_json::json!("A-1")));
/// assert_eq!(lookup(&v, "order.missing"), None);
/// ```
pub fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(value, |current, segment| match current {
            Value::Object(map) => map.get(segment),
            Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        })
}

/// Sets the value at `path`, creating intermediate objects as needed.
/// Fails (returns `false`) only when a segment runs into a non-object, or an
/// array index is out of range.
///
/// ```
/// use herald_sdk::json::set;
/// let mut v = serde_json::json!({});
/// assert!(set(&mut v, "properties.email", "a@b.c".into()));
/// assert_eq!(v, serde_json::json!({"properties": {"email": "a@b.c"}}));
/// ```
pub fn set(value: &mut Value, path: &str, new: Value) -> bool {
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
            Value::Array(items) => {
                match segment.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                    Some(slot) if last => {
                        *slot = new;
                        return true;
                    }
                    Some(slot) => slot,
                    None => return false,
                }
            }
            _ => return false,
        };
    }
    false
}

/// Calls `f` on the parent container and final key of every match of `path`,
/// where a `*` segment matches every member of an object or element of an
/// array. Returns the number of matches.
///
/// ```
/// use herald_sdk::json::for_each_match;
/// let mut v = serde_json::json!({"cards": [{"pan": "1"}, {"pan": "2"}]});
/// let n = for_each_match(&mut v, "cards.*.pan", &mut |parent, key| {
///     if let Some(obj) = parent.as_object_mut() { obj.remove(key); }
/// });
/// assert_eq!(n, 2);
/// assert_eq!(v, serde_json::json!({"cards": [{}, {}]}));
/// ```
pub fn for_each_match(value: &mut Value, path: &str, f: &mut dyn FnMut(&mut Value, &str)) -> usize {
    let segments: Vec<&str> = path.split('.').collect();
    walk(value, &segments, f)
}

fn walk(value: &mut Value, segments: &[&str], f: &mut dyn FnMut(&mut Value, &str)) -> usize {
    let Some((head, rest)) = segments.split_first() else {
        return 0;
    };
    if rest.is_empty() {
        return match (&*value, *head) {
            (Value::Object(map), "*") => {
                let keys: Vec<String> = map.keys().cloned().collect();
                keys.iter()
                    .map(|k| {
                        f(value, k);
                        1
                    })
                    .sum()
            }
            (Value::Array(items), "*") => {
                let n = items.len();
                (0..n)
                    .map(|i| {
                        f(value, &i.to_string());
                        1
                    })
                    .sum()
            }
            (Value::Object(map), key) if map.contains_key(key) => {
                f(value, key);
                1
            }
            (Value::Array(items), key) if key.parse::<usize>().is_ok_and(|i| i < items.len()) => {
                f(value, key);
                1
            }
            _ => 0,
        };
    }
    match (value, *head) {
        (Value::Object(map), "*") => map.values_mut().map(|v| walk(v, rest, f)).sum(),
        (Value::Array(items), "*") => items.iter_mut().map(|v| walk(v, rest, f)).sum(),
        (Value::Object(map), key) => map.get_mut(key).map_or(0, |v| walk(v, rest, f)),
        (Value::Array(items), key) => key
            .parse::<usize>()
            .ok()
            .and_then(|i| items.get_mut(i))
            .map_or(0, |v| walk(v, rest, f)),
        _ => 0,
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_into_array_index_and_refuses_scalars() {
        let mut v = json!({"a": [1, 2], "s": "x"});
        assert!(set(&mut v, "a.1", json!(9)));
        assert_eq!(v["a"], json!([1, 9]));
        assert!(!set(&mut v, "a.5", json!(0)));
        assert!(!set(&mut v, "s.inner", json!(0)));
    }

    #[test]
    fn wildcard_over_object_members() {
        let mut v = json!({"m": {"a": {"k": 1}, "b": {"k": 2}, "c": {}}});
        let mut seen = Vec::new();
        let n = for_each_match(&mut v, "m.*.k", &mut |parent, key| {
            seen.push(parent[key].clone());
        });
        assert_eq!(n, 2);
        assert_eq!(seen.len(), 2);
    }
}
