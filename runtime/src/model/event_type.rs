//! The event-type catalogue's entries, with their versions: an event type
//! may declare versions (oldest first), each newer one with the transform
//! plugin that converts its data to the version before it. Events are
//! published in the newest version; a webhook pinned to an older one gets
//! the event converted step by step ([`EventType::steps_to`]).

use super::PluginRef;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// The longest version name.
pub const MAX_VERSION: usize = 64;

/// A catalogue entry.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventType {
    /// The type, e.g. `order.created`.
    #[serde(rename = "type", default)]
    #[schema(example = "order.created")]
    pub event_type: String,
    /// What it means.
    pub description: String,
    /// A sample `data` payload (of the newest version, when it has versions).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub example: Value,
    /// Dotted paths filters may use.
    #[serde(default)]
    pub filterable: Vec<String>,
    /// The versions of its `data`, oldest first; events are published in
    /// the last one. Empty: the type is not versioned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<EventVersion>,
    /// One of Herald's own operational types (always in the catalogue,
    /// never published by producers).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub builtin: bool,
}

/// One version of an event type's `data`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventVersion {
    /// Its name: 1 to 64 of `A-Z a-z 0-9 . _ -`, e.g. `v2` or `2026-11-01`.
    #[schema(example = "v2")]
    pub version: String,
    /// A sample `data` payload in this version (`{}` when left out).
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub example: Value,
    /// The transform plugin (and its config) that converts an event of this
    /// version to the version before it: it gets the event envelope as the
    /// request body and returns a JSON object whose `data` is the event's
    /// data in the older version. Required on every version but the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub downgrade: Option<PluginRef>,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

impl EventType {
    /// The version events are published in (`None`: not versioned).
    pub fn newest(&self) -> Option<&str> {
        self.versions.last().map(|v| v.version.as_str())
    }

    /// The conversions, in the order they run, that turn an event of the
    /// newest version into `pinned`: none when `pinned` is the newest; an
    /// error naming the known versions when it is not one of them.
    pub fn steps_to(&self, pinned: &str) -> Result<Vec<&PluginRef>, String> {
        let Some(at) = self.versions.iter().position(|v| v.version == pinned) else {
            return Err(format!(
                "version {pinned:?} of {} is not in the catalogue (versions: {})",
                self.event_type,
                self.version_names()
            ));
        };
        self.versions[at + 1..]
            .iter()
            .rev()
            .map(|v| {
                v.downgrade.as_ref().ok_or_else(|| {
                    format!(
                        "version {} of {} has no `downgrade` plugin",
                        v.version, self.event_type
                    )
                })
            })
            .collect()
    }

    /// Its version names, comma-separated, oldest first.
    pub fn version_names(&self) -> String {
        let names: Vec<&str> = self.versions.iter().map(|v| v.version.as_str()).collect();
        names.join(", ")
    }

    /// The plugins its conversions use (`name@version`).
    pub fn plugins(&self) -> impl Iterator<Item = &str> {
        self.versions
            .iter()
            .filter_map(|v| v.downgrade.as_ref())
            .map(|r| r.plugin.as_str())
    }
}

/// The input rules of a type's versions: valid, distinct names; no
/// `downgrade` on the first (there is nothing older), one on every other.
pub fn versions(versions: &[EventVersion]) -> Result<(), String> {
    for (i, v) in versions.iter().enumerate() {
        if v.version.is_empty()
            || v.version.len() > MAX_VERSION
            || !v
                .version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(format!(
                "`versions[{i}].version` {:?}: use 1 to {MAX_VERSION} of A-Z a-z 0-9 . _ -, e.g. \"v2\"",
                v.version
            ));
        }
        if versions[..i].iter().any(|o| o.version == v.version) {
            return Err(format!(
                "`versions[{i}].version` {:?} is listed twice",
                v.version
            ));
        }
        if !v.example.is_object() {
            return Err(format!(
                "`versions[{i}].example` must be a JSON object (a sample `data`)"
            ));
        }
        match (i, &v.downgrade) {
            (0, Some(_)) => {
                return Err(
                    "`versions[0].downgrade`: the first (oldest) version has nothing to convert to"
                        .into(),
                )
            }
            (1.., None) => {
                return Err(format!(
                    "`versions[{i}].downgrade` is required: the transform plugin that converts {} to {}",
                    v.version,
                    versions[i - 1].version
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(versions: Value) -> EventType {
        serde_json::from_value(json!({"type": "order.created", "description": "d",
            "versions": versions}))
        .expect("entry")
    }

    #[test]
    fn steps_run_from_the_newest_down_to_the_pinned_version() {
        let t = entry(json!([
            {"version": "v1"},
            {"version": "v2", "downgrade": {"plugin": "two-to-one@1.0.0"}},
            {"version": "v3", "downgrade": {"plugin": "three-to-two@1.0.0"}}
        ]));
        assert_eq!(t.newest(), Some("v3"));
        let names = |pinned| -> Vec<String> {
            t.steps_to(pinned)
                .expect("known")
                .iter()
                .map(|r| r.plugin.clone())
                .collect()
        };
        assert_eq!(names("v1"), ["three-to-two@1.0.0", "two-to-one@1.0.0"]);
        assert_eq!(names("v2"), ["three-to-two@1.0.0"]);
        assert!(names("v3").is_empty());
        let unknown = t.steps_to("v9").expect_err("unknown");
        assert!(unknown.contains("(versions: v1, v2, v3)"), "{unknown}");
    }

    #[test]
    fn the_rules_ask_for_a_downgrade_on_every_version_but_the_first() {
        let ok = entry(json!([{"version": "v1"},
            {"version": "v2", "downgrade": {"plugin": "p@1.0.0"}}]));
        assert_eq!(versions(&ok.versions), Ok(()));
        let missing = entry(json!([{"version": "v1"}, {"version": "v2"}]));
        let said = versions(&missing.versions).expect_err("missing");
        assert!(said.contains("converts v2 to v1"), "{said}");
        let first = entry(json!([{"version": "v1", "downgrade": {"plugin": "p@1.0.0"}}]));
        assert!(versions(&first.versions).is_err());
        let twice = entry(json!([{"version": "v1"},
            {"version": "v1", "downgrade": {"plugin": "p@1.0.0"}}]));
        assert!(versions(&twice.versions)
            .expect_err("twice")
            .contains("twice"));
        let bad = entry(json!([{"version": "v 1"}]));
        assert!(versions(&bad.versions).is_err());
    }
}
