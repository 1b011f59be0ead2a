//! Field-match filter: keeps an event when fields match glob or regex rules,
//! beyond what Herald's native `equals`/`in` filters can say.
//!
//! Config:
//! ```json
//! {"mode": "all", "rules": [
//!   {"path": "data.customer.email", "glob": "*@example.com"},
//!   {"path": "data.order.sku", "regex": "^PRO-[0-9]+$", "negate": true}
//! ]}
//! ```
//! - `mode`: `all` (default: every rule must match) or `any`.
//! - each rule: a dotted `path` into the event envelope and exactly one of
//!   `glob` (`*`, `?`, `[a-z]`, `{a,b}`) or `regex`; `negate` inverts it;
//!   `case_insensitive` applies to both.
//!
//! Patterns are compiled once per config (the SDK caches the parsed config).

use globset::{GlobBuilder, GlobMatcher};
use herald_sdk::{json, Event, Filter, PluginError, Verdict};
use regex::{Regex, RegexBuilder};
use serde::Deserialize;

/// The plugin.
pub struct FieldMatch;

/// How rules combine.
#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Every rule must match.
    #[default]
    All,
    /// At least one rule must match.
    Any,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    path: String,
    glob: Option<String>,
    regex: Option<String>,
    #[serde(default)]
    negate: bool,
    #[serde(default)]
    case_insensitive: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    mode: Mode,
    rules: Vec<RawRule>,
}

/// A compiled pattern.
#[derive(Debug)]
enum Pattern {
    Glob(GlobMatcher),
    Regex(Regex),
}

/// One compiled rule.
#[derive(Debug)]
pub struct Rule {
    path: String,
    pattern: Pattern,
    source: String,
    negate: bool,
}

/// The webhook's config for this plugin, with its patterns compiled.
#[derive(Debug, Deserialize)]
#[serde(try_from = "RawConfig")]
pub struct Config {
    mode: Mode,
    rules: Vec<Rule>,
}

impl TryFrom<RawConfig> for Config {
    type Error = String;

    fn try_from(raw: RawConfig) -> Result<Self, String> {
        if raw.rules.is_empty() {
            return Err("`rules` must hold at least one rule".into());
        }
        let rules = raw
            .rules
            .into_iter()
            .enumerate()
            .map(|(i, r)| compile(r).map_err(|e| format!("rules[{i}]: {e}")))
            .collect::<Result<_, _>>()?;
        Ok(Config {
            mode: raw.mode,
            rules,
        })
    }
}

fn compile(raw: RawRule) -> Result<Rule, String> {
    let (pattern, source) = match (raw.glob, raw.regex) {
        (Some(glob), None) => {
            let matcher = GlobBuilder::new(&glob)
                .case_insensitive(raw.case_insensitive)
                .literal_separator(false)
                .build()
                .map_err(|e| format!("bad glob {glob:?}: {e}"))?
                .compile_matcher();
            (Pattern::Glob(matcher), glob)
        }
        (None, Some(re)) => {
            let regex = RegexBuilder::new(&re)
                .case_insensitive(raw.case_insensitive)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| format!("bad regex {re:?}: {e}"))?;
            (Pattern::Regex(regex), re)
        }
        _ => return Err("give exactly one of `glob` or `regex`".into()),
    };
    Ok(Rule {
        path: raw.path,
        pattern,
        source,
        negate: raw.negate,
    })
}

impl Rule {
    /// Whether the rule holds for `envelope`; `None` when the field is absent.
    fn holds(&self, envelope: &serde_json::Value) -> Option<bool> {
        let value = json::lookup(envelope, &self.path)?;
        let text = json::to_text(value);
        let matched = match &self.pattern {
            Pattern::Glob(g) => g.is_match(&text),
            Pattern::Regex(r) => r.is_match(&text),
        };
        Some(matched != self.negate)
    }

    fn describe(&self) -> String {
        let verb = if self.negate {
            "must not match"
        } else {
            "must match"
        };
        format!("{} {verb} {:?}", self.path, self.source)
    }
}

impl Filter for FieldMatch {
    type Config = Config;

    fn filter(event: &Event, config: &Config) -> Result<Verdict, PluginError> {
        let envelope = event.envelope()?;
        let mut failed = Vec::new();
        for rule in &config.rules {
            match rule.holds(&envelope) {
                Some(true) if config.mode == Mode::Any => return Ok(Verdict::Keep),
                Some(true) => {}
                Some(false) => failed.push(rule.describe()),
                None => failed.push(format!("{} is missing", rule.path)),
            }
        }
        if failed.is_empty() {
            Ok(Verdict::Keep)
        } else if config.mode == Mode::Any {
            Ok(Verdict::drop(format!(
                "no rule matched: {}",
                failed.join("; ")
            )))
        } else {
            Ok(Verdict::drop(failed.join("; ")))
        }
    }
}

herald_sdk::export_filter!(FieldMatch);

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        serde_json::from_str(text).expect("test config parses")
    }

    fn event(email: &str, sku: &str) -> Event {
        Event::example(
            "order.created",
            &format!(r#"{{"customer":{{"email":"{email}"}},"order":{{"sku":"{sku}"}}}}"#),
        )
    }

    #[test]
    fn all_rules_with_glob_and_negated_regex() {
        let c = config(
            r#"{"rules":[{"path":"data.customer.email","glob":"*@example.com"},
                         {"path":"data.order.sku","regex":"^PRO-[0-9]+$","negate":true}]}"#,
        );
        assert_eq!(
            FieldMatch::filter(&event("a@example.com", "STD-1"), &c),
            Ok(Verdict::Keep)
        );
        let dropped = FieldMatch::filter(&event("a@example.com", "PRO-7"), &c);
        assert!(matches!(dropped, Ok(Verdict::Drop(r)) if r.contains("must not match")));
        assert!(matches!(
            FieldMatch::filter(&event("a@other.org", "STD-1"), &c),
            Ok(Verdict::Drop(_))
        ));
    }

    #[test]
    fn any_mode_and_case_insensitive() {
        let c = config(
            r#"{"mode":"any","rules":[{"path":"data.customer.email","glob":"*@EXAMPLE.com","case_insensitive":true},
                                      {"path":"type","regex":"^refund\\."}]}"#,
        );
        assert_eq!(
            FieldMatch::filter(&event("x@example.com", "A"), &c),
            Ok(Verdict::Keep)
        );
        assert!(
            matches!(FieldMatch::filter(&event("x@y.z", "A"), &c), Ok(Verdict::Drop(r)) if r.starts_with("no rule matched"))
        );
    }

    #[test]
    fn bad_configs_say_what_is_wrong() {
        let err = serde_json::from_str::<Config>(r#"{"rules":[{"path":"x","regex":"("}]}"#)
            .expect_err("unclosed group");
        assert!(err.to_string().contains("rules[0]: bad regex"), "{err}");
        let err =
            serde_json::from_str::<Config>(r#"{"rules":[{"path":"x"}]}"#).expect_err("no pattern");
        assert!(err.to_string().contains("exactly one of"), "{err}");
        assert!(serde_json::from_str::<Config>(r#"{"rules":[]}"#).is_err());
    }
}
