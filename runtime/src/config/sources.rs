//! Where settings come from besides the defaults: the `HERALD_*` environment
//! (a figment provider that hands every value over as the text it is, so a
//! token of digits stays a string), the warning for a `HERALD_*` variable
//! that is no setting, and the translation of figment's errors into ones
//! that name the variable or the file key and the expected form.

use super::ConfigError;
use figment::error::Kind;
use figment::value::{Dict, Map, Value};
use figment::{Metadata, Profile, Provider};
use std::path::Path;

/// The prefix of every setting's environment variable.
pub const PREFIX: &str = "HERALD_";

/// `HERALD_*` variables that are read elsewhere, not settings.
pub const OTHER_VARIABLES: &[&str] = &["HERALD_LOG", "HERALD_LOG_FORMAT", "HERALD_OTLP_ENDPOINT"];

const ENV_SOURCE: &str = "environment variable";

/// The environment variable of a setting: `worker_concurrency` ->
/// `HERALD_WORKER_CONCURRENCY`.
pub fn variable(key: &str) -> String {
    format!("{PREFIX}{}", key.to_ascii_uppercase())
}

/// The `HERALD_*` variables that name a setting in `keys`, as a figment
/// provider. Empty values count as unset.
pub struct HeraldEnv {
    values: Vec<(String, String)>,
}

impl HeraldEnv {
    /// Picks the variables of `keys` out of `vars`.
    pub fn new(vars: &[(String, String)], keys: &[String]) -> Self {
        let values = vars
            .iter()
            .filter(|(_, value)| !value.trim().is_empty())
            .filter_map(|(name, value)| {
                let key = keys.iter().find(|k| variable(k) == *name)?;
                Some((key.clone(), value.clone()))
            })
            .collect();
        HeraldEnv { values }
    }

    /// The value given for `key`, if any.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl Provider for HeraldEnv {
    fn metadata(&self) -> Metadata {
        Metadata::named(ENV_SOURCE).interpolater(|_, keys| {
            variable(&keys.first().map(|k| k.to_string()).unwrap_or_default())
        })
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let dict: Dict = self
            .values
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.clone())))
            .collect();
        Ok(Profile::Default.collect(dict))
    }
}

/// A warning for every `HERALD_*` variable that is neither a setting nor
/// one of [`OTHER_VARIABLES`], with the closest setting when one is near.
pub fn unknown_variables(vars: &[(String, String)], keys: &[String]) -> Vec<String> {
    vars.iter()
        .map(|(name, _)| name)
        .filter(|name| name.starts_with(PREFIX) && !OTHER_VARIABLES.contains(&name.as_str()))
        .filter(|name| !keys.iter().any(|k| variable(k) == **name))
        .map(|name| {
            let known: Vec<String> = keys.iter().map(|k| variable(k)).collect();
            match closest(name, &known) {
                Some(near) => {
                    format!("{name} is not a Herald setting (did you mean {near}?); ignored")
                }
                None => {
                    format!("{name} is not a Herald setting; ignored (the README lists them all)")
                }
            }
        })
        .collect()
}

/// The candidate nearest to `word` by edit distance, if near enough to be
/// a typo of it.
pub fn closest<'a>(word: &str, candidates: &'a [String]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| {
            (
                edit_distance(&word.to_ascii_lowercase(), &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(d, c)| *d <= 3.max(c.len() / 5))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.as_str())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(previous + 1).min(row[j] + 1);
        }
    }
    row[b.len()]
}

/// What a setting's value must look like, for error messages.
pub fn expected_form(key: &str) -> &'static str {
    match key {
        "embedded_redis_port" => "a port number from 1 to 65535",
        "listen" => "an address like 127.0.0.1:8080",
        "allow_http" | "redis_tls_insecure" | "http2" => "true or false",
        "redis_cluster_nodes" => "redis:// or rediss:// URLs, comma-separated",
        "allow_private_nets" => "CIDRs like 10.0.0.0/8, comma-separated",
        "ui_frame_ancestors" => "origins like https://app.example.com, comma-separated",
        "public_url" => "an origin like https://herald.example.com",
        "dns_servers" => "name server addresses like 10.0.0.2:53, comma-separated",
        "redis_wait_replicas" => "a number of replicas (0 or more)",
        "worker_concurrency"
        | "threads"
        | "log_bound_per_webhook"
        | "queue_shards"
        | "plugin_max_calls_per_instance"
        | "plugin_max_instances"
        | "api_max_connections"
        | "auth_failures_per_minute" => "a positive integer",
        "max_body_bytes"
        | "plugin_memory_bytes"
        | "plugin_max_input_bytes"
        | "plugin_max_output_bytes" => "a size in bytes, like 1048576 or \"1MiB\"",
        "max_timeout"
        | "default_timeout"
        | "visibility_timeout"
        | "retention"
        | "retry_after_cap"
        | "shutdown_grace"
        | "plugin_deadline"
        | "slow_after"
        | "receiver_idle_timeout"
        | "api_header_timeout"
        | "api_request_timeout" => "a duration like \"30s\", \"5m\" or \"250ms\"",
        _ => "text",
    }
}

/// Turns figment's error into one that names the variable or the file key,
/// says what is wrong and what form is expected.
pub fn translate(
    error: figment::Error,
    env: &HeraldEnv,
    file: Option<&Path>,
    keys: &[String],
) -> ConfigError {
    let key = error.path.first().cloned().unwrap_or_default();
    let what = match &error.kind {
        Kind::InvalidType(..)
        | Kind::InvalidValue(..)
        | Kind::ISizeOutOfRange(_)
        | Kind::USizeOutOfRange(_) => format!("expected {}", expected_form(&key)),
        Kind::Message(message) => message.clone(),
        Kind::UnknownField(field, _) => {
            let hint = closest(field, keys)
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_default();
            return ConfigError::Parse {
                path: file.map(|p| p.display().to_string()).unwrap_or_default(),
                message: format!("unknown key `{field}`{hint}; the README lists every setting"),
            };
        }
        other => other.to_string(),
    };
    let from_env = error
        .metadata
        .as_ref()
        .is_some_and(|m| m.name == ENV_SOURCE);
    match (from_env, env.value(&key)) {
        (true, Some(value)) => ConfigError::Env {
            var: variable(&key),
            value: value.to_string(),
            message: what,
        },
        _ => ConfigError::Parse {
            path: file.map(|p| p.display().to_string()).unwrap_or_default(),
            message: if key.is_empty() {
                what
            } else {
                format!("key `{key}`: {what}")
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<String> {
        ["worker_concurrency", "redis_url", "retention"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn typos_are_named_with_the_setting_meant() {
        let vars: Vec<(String, String)> = [
            ("HERALD_WORKERS_CONCURRENCY", "8"),
            ("HERALD_REDIS_URL", "redis://x/"),
            ("HERALD_LOG", "info"),
            ("HERALD_SOMETHING_ELSE_ENTIRELY", "1"),
            ("PATH", "/bin"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .to_vec();
        let warnings = unknown_variables(&vars, &keys());
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("did you mean HERALD_WORKER_CONCURRENCY?"));
        assert!(!warnings[1].contains("did you mean"), "{warnings:?}");
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
