//! Durations as `"5s"`, `"10m"`, `"2h"` strings in the API and in storage.

use serde::{Deserialize, Deserializer, Serializer};
use std::time::Duration;

/// Formats like `"5m"`.
pub fn format(d: &Duration) -> String {
    humantime::format_duration(*d).to_string().replace(' ', "")
}

/// Parses `"5s"`, `"1h30m"`, …; a zero duration is refused where `positive`.
pub fn parse(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim())
        .map_err(|e| format!("{text:?} is not a duration like \"30s\", \"5m\" or \"2h\" ({e})"))
}

/// serde serialize.
pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format(d))
}

/// serde deserialize.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
}

/// A list of durations.
pub mod list {
    use super::*;

    /// serde serialize.
    pub fn serialize<S: Serializer>(v: &[Duration], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(format))
    }

    /// serde deserialize.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Duration>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|t| parse(t).map_err(serde::de::Error::custom))
            .collect()
    }
}

/// An optional duration: a string, or `null` for none.
pub mod option {
    use super::*;

    /// serde serialize.
    pub fn serialize<S: Serializer>(v: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_some(&format(d)),
            None => s.serialize_none(),
        }
    }

    /// serde deserialize.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| parse(&text).map_err(serde::de::Error::custom))
            .transpose()
    }
}
