//! Herald's settings, in layers: built-in defaults, then a TOML file
//! (`--config`), then `HERALD_*` environment variables. Validated once into
//! [`Settings`]; unknown keys are rejected.

use ipnet::IpNet;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why the settings are unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML for Herald.
    #[error("config file {path}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// An environment variable has a bad value.
    #[error("{var}={value:?}: {message}")]
    Env {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// What is wrong.
        message: String,
    },
    /// A combination of values is unusable.
    #[error("invalid settings: {0}")]
    Invalid(String),
}

/// Validated settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Redis URL; `None` means the local default (`127.0.0.1:<embedded_redis_port>`),
    /// started by Herald when nothing answers there.
    pub redis_url: Option<String>,
    /// Port of the local default Redis.
    pub embedded_redis_port: u16,
    /// API listen address.
    pub listen: SocketAddr,
    /// The operator's API key (manages orgs, keys, plugins). Unset: operator routes are closed.
    pub admin_token: Option<String>,
    /// Where Herald keeps data (embedded Redis persistence, compiled plugins).
    pub data_dir: PathBuf,
    /// Accept and deliver to plain `http://` URLs (local development only).
    pub allow_http: bool,
    /// Networks delivery may reach although private, loopback or link-local.
    pub allow_private_nets: Vec<IpNet>,
    /// PEM file of extra root certificates to trust for receivers.
    pub extra_ca_file: Option<PathBuf>,
    /// Deliveries in flight per process.
    pub worker_concurrency: usize,
    /// Longest per-webhook timeout a webhook may set.
    #[serde(with = "humantime_serde")]
    pub max_timeout: Duration,
    /// Default per-webhook timeout.
    #[serde(with = "humantime_serde")]
    pub default_timeout: Duration,
    /// How long a claimed delivery may stay unacknowledged before another
    /// worker takes it over; always longer than the longest attempt.
    #[serde(with = "humantime_serde")]
    pub visibility_timeout: Duration,
    /// How long delivery logs and events are kept.
    #[serde(with = "humantime_serde")]
    pub retention: Duration,
    /// Deliveries kept in each webhook's log.
    pub log_bound_per_webhook: usize,
    /// Latest a receiver's `Retry-After` may push a retry.
    #[serde(with = "humantime_serde")]
    pub retry_after_cap: Duration,
    /// How long in-flight deliveries may take to finish on shutdown.
    #[serde(with = "humantime_serde")]
    pub shutdown_grace: Duration,
    /// Largest request body the API accepts, bytes (events: the payload limit).
    pub max_body_bytes: usize,
    /// Queue shards (hash slots holding a share of the orgs); fixed once data exists.
    pub queue_shards: u16,
}

/// `serde(with)` adapter for `"5s"`-style durations.
mod humantime_serde {
    use serde::{Deserialize, Deserializer};
    use std::time::Duration;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        humantime::parse_duration(&text)
            .map_err(|e| serde::de::Error::custom(format!("{text:?}: {e}")))
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            redis_url: None,
            embedded_redis_port: 6379,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            admin_token: None,
            data_dir: PathBuf::from("herald-data"),
            allow_http: false,
            allow_private_nets: Vec::new(),
            extra_ca_file: None,
            worker_concurrency: 512,
            max_timeout: Duration::from_secs(60),
            default_timeout: Duration::from_secs(30),
            visibility_timeout: Duration::from_secs(150),
            retention: Duration::from_secs(30 * 24 * 3600),
            log_bound_per_webhook: 10_000,
            retry_after_cap: Duration::from_secs(24 * 3600),
            shutdown_grace: Duration::from_secs(30),
            max_body_bytes: 1 << 20,
            queue_shards: 1,
        }
    }
}

fn env_var(name: &'static str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn parse_env<T>(
    var: &'static str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, ConfigError> {
    match env_var(var) {
        None => Ok(None),
        Some(value) => parse(&value).map(Some).map_err(|message| ConfigError::Env {
            var,
            value,
            message,
        }),
    }
}

fn duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("not a duration like \"30s\" or \"5m\": {e}"))
}

fn boolean(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err("expected true or false".into()),
    }
}

impl Settings {
    /// Defaults, then `file` (if any), then the environment; validated.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut settings = match file {
            None => Settings::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })?
            }
        };
        settings.apply_env()?;
        settings.validate()?;
        Ok(settings)
    }

    fn apply_env(&mut self) -> Result<(), ConfigError> {
        if let Some(v) = env_var("HERALD_REDIS_URL") {
            self.redis_url = Some(v);
        }
        if let Some(v) = parse_env("HERALD_EMBEDDED_REDIS_PORT", |s| {
            s.parse().map_err(|e| format!("{e}"))
        })? {
            self.embedded_redis_port = v;
        }
        if let Some(v) = parse_env("HERALD_LISTEN", |s| {
            s.parse().map_err(|e| format!("not host:port: {e}"))
        })? {
            self.listen = v;
        }
        if let Some(v) = env_var("HERALD_ADMIN_TOKEN") {
            self.admin_token = Some(v);
        }
        if let Some(v) = env_var("HERALD_DATA_DIR") {
            self.data_dir = v.into();
        }
        if let Some(v) = parse_env("HERALD_ALLOW_HTTP", boolean)? {
            self.allow_http = v;
        }
        if let Some(v) = parse_env("HERALD_ALLOW_PRIVATE_NETS", |s| {
            s.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| {
                    p.parse::<IpNet>()
                        .map_err(|e| format!("{p:?} is not a CIDR like 10.0.0.0/8: {e}"))
                })
                .collect()
        })? {
            self.allow_private_nets = v;
        }
        if let Some(v) = env_var("HERALD_EXTRA_CA_FILE") {
            self.extra_ca_file = Some(v.into());
        }
        if let Some(v) = parse_env("HERALD_WORKER_CONCURRENCY", |s| {
            s.parse().map_err(|e| format!("{e}"))
        })? {
            self.worker_concurrency = v;
        }
        for (var, slot) in [
            ("HERALD_MAX_TIMEOUT", &mut self.max_timeout),
            ("HERALD_DEFAULT_TIMEOUT", &mut self.default_timeout),
            ("HERALD_VISIBILITY_TIMEOUT", &mut self.visibility_timeout),
            ("HERALD_RETENTION", &mut self.retention),
            ("HERALD_RETRY_AFTER_CAP", &mut self.retry_after_cap),
            ("HERALD_SHUTDOWN_GRACE", &mut self.shutdown_grace),
        ] {
            if let Some(v) = parse_env(var, duration)? {
                *slot = v;
            }
        }
        Ok(())
    }

    /// The longest one attempt can take: the longest timeout plus the plugin
    /// budget and signing (bounded by the plugin deadline per plugin).
    pub fn longest_attempt(&self) -> Duration {
        self.max_timeout + Duration::from_secs(5)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.worker_concurrency == 0 {
            return Err(ConfigError::Invalid(
                "worker_concurrency must be at least 1".into(),
            ));
        }
        if self.default_timeout > self.max_timeout {
            return Err(ConfigError::Invalid(format!(
                "default_timeout ({:?}) exceeds max_timeout ({:?})",
                self.default_timeout, self.max_timeout
            )));
        }
        if self.visibility_timeout <= self.longest_attempt() {
            return Err(ConfigError::Invalid(format!(
                "visibility_timeout ({:?}) must exceed the longest attempt (max_timeout + 5s = {:?}), \
                 or a slow but live attempt could be sent twice",
                self.visibility_timeout,
                self.longest_attempt()
            )));
        }
        if self.admin_token.as_deref().is_some_and(|t| t.len() < 16) {
            return Err(ConfigError::Invalid(
                "admin_token must be at least 16 characters".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_values_and_unknown_keys() {
        let s: Settings = toml::from_str(
            "worker_concurrency = 8\nmax_timeout = \"20s\"\nallow_private_nets = [\"10.0.0.0/8\"]",
        )
        .expect("valid");
        assert_eq!(s.worker_concurrency, 8);
        assert_eq!(s.max_timeout, Duration::from_secs(20));
        assert_eq!(s.allow_private_nets.len(), 1);
        let err = toml::from_str::<Settings>("workers = 8").expect_err("unknown key");
        assert!(err.to_string().contains("unknown field"), "{err}");
        assert!(toml::from_str::<Settings>("max_timeout = \"soon\"").is_err());
    }

    #[test]
    fn visibility_must_exceed_the_longest_attempt() {
        let s = Settings {
            visibility_timeout: Duration::from_secs(60),
            ..Settings::default()
        };
        assert!(
            matches!(s.validate(), Err(ConfigError::Invalid(m)) if m.contains("visibility_timeout"))
        );
        assert!(Settings::default().validate().is_ok());
    }
}
