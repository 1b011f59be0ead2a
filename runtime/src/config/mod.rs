//! Herald's settings, in layers (figment): the built-in defaults, then a TOML
//! file (`--config`), then `HERALD_*` environment variables, one per setting
//! (`worker_concurrency` -> `HERALD_WORKER_CONCURRENCY`). Validated once into
//! [`Settings`]. An unknown key in the file is an error naming it; an unknown
//! `HERALD_*` variable is warned about. Errors name the variable or the file
//! key and the form expected. README's configuration table lists every
//! setting (a test checks it).

mod forms;
mod redis;
mod sources;
mod validate;

pub use forms::{format_bytes, parse_bytes};
pub use redis::redact_url;
pub use sources::{variable, OTHER_VARIABLES};

use figment::providers::{Format, Serialized, Toml};
use figment::Figment;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use sources::HeraldEnv;
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
        var: String,
        /// Its value.
        value: String,
        /// What is wrong.
        message: String,
    },
    /// A value or a combination of values is unusable.
    #[error("invalid settings: {0}")]
    Invalid(String),
}

/// Validated settings. Every field is a TOML key of the same name and a
/// `HERALD_<NAME>` environment variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Redis URL; `None` means the local default on `embedded_redis_port`
    /// (see `crate::embedded` for how it is chosen or started).
    pub redis_url: Option<String>,
    /// Seed nodes of a Redis Cluster (`redis://` or `rediss://` URLs,
    /// comma-separated); set, Herald runs in cluster mode (and `redis_url`
    /// must be unset).
    #[serde(with = "forms::strings")]
    pub redis_cluster_nodes: Vec<String>,
    /// PEM file of the root certificates a `rediss://` Redis is verified
    /// with, instead of the public roots.
    pub redis_ca_file: Option<PathBuf>,
    /// Accept any certificate from a `rediss://` Redis (development only;
    /// a URL ending in `#insecure` is refused without it).
    pub redis_tls_insecure: bool,
    /// Replicas that must confirm a published event (`WAIT`) before it is
    /// accepted; 0: the master's acknowledgement is enough.
    pub redis_wait_replicas: u16,
    /// Port of the local default Redis.
    pub embedded_redis_port: u16,
    /// API listen address.
    #[serde(with = "forms::text")]
    pub listen: SocketAddr,
    /// The operator's API key (manages orgs, keys, plugins). Unset: operator routes are closed.
    pub admin_token: Option<String>,
    /// The address users reach Herald at (`https://herald.example.com`):
    /// the origin of portal links. Unset: the `Host` of the request.
    pub public_url: Option<String>,
    /// An org that also receives every other org's operational events
    /// (`herald.*`, with the source org in `data.org`): the operator's
    /// subscription for all orgs. Unset: each org gets only its own.
    pub operational_org: Option<String>,
    /// Origins allowed to show the dashboard in an iframe (CSP
    /// `frame-ancestors`); their sessions use `SameSite=None` cookies.
    /// Empty: no site may frame it.
    #[serde(with = "forms::strings")]
    pub ui_frame_ancestors: Vec<String>,
    /// Where Herald keeps data (embedded Redis persistence, compiled plugins).
    pub data_dir: PathBuf,
    /// Accept and deliver to plain `http://` URLs (local development only).
    pub allow_http: bool,
    /// Networks delivery may reach although private, loopback or link-local.
    #[serde(with = "forms::nets")]
    pub allow_private_nets: Vec<IpNet>,
    /// Name servers delivery resolves receiver host names with (UDP, then
    /// TCP); empty: the system resolver.
    #[serde(with = "forms::name_servers")]
    pub dns_servers: Vec<SocketAddr>,
    /// PEM file of extra root certificates to trust for receivers.
    pub extra_ca_file: Option<PathBuf>,
    /// Offer HTTP/2 to HTTPS receivers by ALPN; a receiver that takes it
    /// gets every delivery over one multiplexed connection.
    pub http2: bool,
    /// How long a connection to a receiver is kept open, unused, for the
    /// next delivery to that receiver (closed between one and two of these
    /// after its last use).
    #[serde(with = "forms::duration")]
    pub receiver_idle_timeout: Duration,
    /// Deliveries in flight per process.
    pub worker_concurrency: usize,
    /// Threads running the API and deliveries (plugin calls run on a pool
    /// of their own). Unset: one fewer than the CPUs available to the
    /// process, at least 1 (see [`Settings::runtime_threads`]).
    pub threads: Option<usize>,
    /// Attempts to hanging receivers in flight per process, in the slow
    /// lane: beside `worker_concurrency`, so receivers that hang until their
    /// timeout do not take the places of healthy ones.
    pub slow_lane_concurrency: usize,
    /// An attempt still waiting for its answer after this long puts its
    /// webhook in the slow lane (an attempt that answers sooner takes it out).
    #[serde(with = "forms::duration")]
    pub slow_after: Duration,
    /// Longest per-webhook timeout a webhook may set.
    #[serde(with = "forms::duration")]
    pub max_timeout: Duration,
    /// Default per-webhook timeout.
    #[serde(with = "forms::duration")]
    pub default_timeout: Duration,
    /// How long a claimed delivery may stay unacknowledged before another
    /// worker takes it over; always longer than the longest attempt.
    #[serde(with = "forms::duration")]
    pub visibility_timeout: Duration,
    /// How long delivery logs and events are kept.
    #[serde(with = "forms::duration")]
    pub retention: Duration,
    /// Deliveries kept in each webhook's log.
    pub log_bound_per_webhook: usize,
    /// Latest a receiver's `Retry-After` may push a retry.
    #[serde(with = "forms::duration")]
    pub retry_after_cap: Duration,
    /// How long in-flight deliveries may take to finish on shutdown.
    #[serde(with = "forms::duration")]
    pub shutdown_grace: Duration,
    /// Largest request body the API accepts, bytes (events: the payload limit).
    #[serde(with = "forms::bytes")]
    pub max_body_bytes: usize,
    /// How long a client may take to send a request's headers; the
    /// connection is closed after it (slow-header clients).
    #[serde(with = "forms::duration")]
    pub api_header_timeout: Duration,
    /// How long one API request may take, its body included; 408 after it
    /// (slow-body clients).
    #[serde(with = "forms::duration")]
    pub api_request_timeout: Duration,
    /// Connections the API holds open at once; further ones are closed at
    /// once until some end.
    pub api_max_connections: usize,
    /// Failed authentications allowed per client address and minute; past
    /// it, a wrong key is answered 429 (a valid key still works).
    pub auth_failures_per_minute: u32,
    /// Number of queue stream shards (1 to 256); fixed once Herald has
    /// stored data. Unset: what the data in Redis was laid out with, else 1
    /// on one server and 4 per master on a cluster.
    pub queue_shards: Option<u16>,
    /// CPU time one plugin call may take before it is interrupted.
    #[serde(with = "forms::duration")]
    pub plugin_deadline: Duration,
    /// Linear memory one plugin instance may hold.
    #[serde(with = "forms::bytes")]
    pub plugin_memory_bytes: usize,
    /// Largest input one plugin call may receive (event, body, config).
    #[serde(with = "forms::bytes")]
    pub plugin_max_input_bytes: usize,
    /// Largest output one plugin call may return (body and headers, or a
    /// drop reason).
    #[serde(with = "forms::bytes")]
    pub plugin_max_output_bytes: usize,
    /// Calls after which a reused plugin instance is recycled.
    pub plugin_max_calls_per_instance: u64,
    /// Plugin instances a process holds at once (idle reused ones included;
    /// half of them at most idle).
    pub plugin_max_instances: u32,
    /// The master key that seals webhook secrets and receiver credentials in
    /// Redis: base64 of 32 bytes. Unset (and no `master_key_file`): the
    /// embedded default keeps one in `<data_dir>/master.key`; with a
    /// `redis_url`, Herald refuses to start.
    pub master_key: Option<String>,
    /// A file holding the master key (instead of `master_key`).
    pub master_key_file: Option<PathBuf>,
    /// Older master keys (base64, comma-separated): they open what they
    /// sealed but seal nothing; kept while `herald secrets rotate-master`
    /// re-seals under the current key.
    #[serde(with = "forms::strings")]
    pub old_master_keys: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            redis_url: None,
            redis_cluster_nodes: Vec::new(),
            redis_ca_file: None,
            redis_tls_insecure: false,
            redis_wait_replicas: 0,
            embedded_redis_port: 6379,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            admin_token: None,
            public_url: None,
            operational_org: None,
            ui_frame_ancestors: Vec::new(),
            data_dir: PathBuf::from("herald-data"),
            allow_http: false,
            allow_private_nets: Vec::new(),
            dns_servers: Vec::new(),
            extra_ca_file: None,
            http2: false,
            receiver_idle_timeout: Duration::from_secs(5),
            worker_concurrency: 512,
            threads: None,
            slow_lane_concurrency: 1000,
            slow_after: Duration::from_secs(5),
            max_timeout: Duration::from_secs(60),
            default_timeout: Duration::from_secs(30),
            visibility_timeout: Duration::from_secs(150),
            retention: Duration::from_secs(30 * 24 * 3600),
            log_bound_per_webhook: 10_000,
            retry_after_cap: Duration::from_secs(24 * 3600),
            shutdown_grace: Duration::from_secs(30),
            max_body_bytes: 1 << 20,
            api_header_timeout: Duration::from_secs(10),
            api_request_timeout: Duration::from_secs(30),
            api_max_connections: 4096,
            auth_failures_per_minute: 30,
            queue_shards: None,
            plugin_deadline: Duration::from_millis(50),
            plugin_memory_bytes: 32 << 20,
            plugin_max_input_bytes: 4 << 20,
            plugin_max_output_bytes: 4 << 20,
            plugin_max_calls_per_instance: 10_000,
            plugin_max_instances: 1000,
            master_key: None,
            master_key_file: None,
            old_master_keys: Vec::new(),
        }
    }
}

/// The process environment as text; a `HERALD_*` variable that is not
/// UTF-8 is an error rather than silently ignored.
fn environment() -> Result<Vec<(String, String)>, ConfigError> {
    let mut vars = Vec::new();
    for (name, value) in std::env::vars_os() {
        let Ok(name) = name.into_string() else {
            continue;
        };
        match value.into_string() {
            Ok(value) => vars.push((name, value)),
            Err(raw) if name.starts_with(sources::PREFIX) => {
                return Err(ConfigError::Env {
                    var: name,
                    value: raw.to_string_lossy().into_owned(),
                    message: "not valid UTF-8".into(),
                })
            }
            Err(_) => {}
        }
    }
    Ok(vars)
}

impl Settings {
    /// The runtime's thread count: `threads`, else one fewer than the CPUs
    /// available to the process (its cgroup quota counts), at least 1.
    /// Herald's work is mostly waiting on sockets; on a small machine a
    /// second thread mostly wakes the first (measured in BENCHMARKS.md).
    pub fn runtime_threads(&self) -> usize {
        self.threads.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
        })
    }

    /// Defaults, then `file` (if any), then the process environment;
    /// validated. Unknown `HERALD_*` variables are logged as warnings.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let vars = environment()?;
        for warning in sources::unknown_variables(&vars, &Self::keys()) {
            tracing::warn!("{warning}");
        }
        Self::from_sources(file, &vars)
    }

    /// Defaults, then `file` (if any), then the `HERALD_*` entries of
    /// `vars` (name, value); validated.
    pub fn from_sources(
        file: Option<&Path>,
        vars: &[(String, String)],
    ) -> Result<Self, ConfigError> {
        let keys = Self::keys();
        let env = HeraldEnv::new(vars, &keys);
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.display().to_string(),
                source,
            })?;
            figment = figment.merge(Toml::string(&text));
        }
        let settings: Settings = figment
            .merge(&env)
            .extract_lossy()
            .map_err(|e| sources::translate(e, &env, file, &keys))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Every setting's name (TOML key), in alphabetical order.
    pub fn keys() -> Vec<String> {
        match serde_json::to_value(Settings::default()) {
            Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// The longest one attempt can take: the longest timeout plus the plugin
    /// budget and signing (bounded by the plugin deadline per plugin).
    pub fn longest_attempt(&self) -> Duration {
        self.max_timeout + Duration::from_secs(5)
    }
}

#[cfg(test)]
mod tests;
