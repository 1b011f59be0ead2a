//! Herald under test, two ways, both driven through its HTTP API ([`Api`],
//! which both dereference to):
//!
//! - [`HeraldInProcess`]: `herald::serve::run` in the test's own runtime on a
//!   listener the test bound to port 0. The default: nothing to spawn, no
//!   port to guess.
//! - [`HeraldProcess`]: the real binary, for what needs a process: signals,
//!   SIGKILL, its log on stderr, the environment-variable configuration. It
//!   listens on port 0 too and the test reads the port from its log.

pub use crate::api::{Api, ADMIN_TOKEN};
use crate::backend::UsesRedis;
use crate::herald_bin;
use herald::config::Settings;
use herald::serve::Role;
use std::ops::Deref;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The master key test Heralds on a given Redis use unless a test sets its
/// own (a Herald with `HERALD_REDIS_URL` and no key refuses to start).
pub const TEST_MASTER_KEY: &str = "+7SYGNSSWg3tjflt7oRZBb34oQdgFoBBFGb28xKQKM4=";

/// Settings of an in-process Herald on `redis` that may deliver to
/// loopback and trusts `ca` (the receivers' CA).
pub fn trusting_settings(redis: &(impl UsesRedis + ?Sized), ca: &crate::tls::TestCa) -> Settings {
    let mut settings = Settings {
        allow_private_nets: vec!["127.0.0.0/8".parse().expect("CIDR")],
        extra_ca_file: Some(ca.ca_file.clone()),
        // Plugins in the delivery path must not fail on a busy machine; the
        // deadline itself is tested by the plugin-host tests.
        plugin_deadline: Duration::from_secs(30),
        ..Settings::default()
    };
    redis.apply_to(&mut settings);
    settings
}

/// Herald running inside the test process (its own store, workers, plugin
/// engine and API; nothing shared with another instance but Redis).
pub struct HeraldInProcess {
    api: Api,
    shutdown: CancellationToken,
    task: Option<tokio::task::JoinHandle<Result<(), herald::serve::ServeError>>>,
    _dir: tempfile::TempDir,
}

impl HeraldInProcess {
    /// Starts Herald with `settings` (its admin token, data dir and listener
    /// are set here) in `role`, and waits until it answers.
    pub async fn start(mut settings: Settings, role: Role) -> Self {
        let dir = tempfile::tempdir().expect("data dir");
        settings.admin_token = Some(ADMIN_TOKEN.to_string());
        settings.data_dir = dir.path().to_path_buf();
        if (settings.redis_url.is_some() || !settings.redis_cluster_nodes.is_empty())
            && settings.master_key.is_none()
            && settings.master_key_file.is_none()
        {
            settings.master_key = Some(TEST_MASTER_KEY.to_string());
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let addr = listener.local_addr().expect("bound address");
        settings.listen = addr;
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(herald::serve::run(
            settings,
            role,
            Some(listener),
            shutdown.clone(),
        ));
        let herald = HeraldInProcess {
            api: Api::new(format!("http://{addr}"), None),
            shutdown,
            task: Some(task),
            _dir: dir,
        };
        let task = herald.task.as_ref().expect("just set");
        herald
            .api
            .wait_healthy(|| {
                task.is_finished()
                    .then(|| "serve::run returned".to_string())
            })
            .await;
        herald
    }

    /// Trusting `ca`, delivering to loopback, all roles.
    pub async fn trusting(redis: &(impl UsesRedis + ?Sized), ca: &crate::tls::TestCa) -> Self {
        Self::start(trusting_settings(redis, ca), Role::All).await
    }

    /// Shuts down gracefully (as on SIGTERM) and returns what `run` returned.
    pub async fn stop(mut self) -> Result<(), herald::serve::ServeError> {
        self.shutdown.cancel();
        match self.task.take() {
            Some(task) => task.await.expect("serve::run did not panic"),
            None => Ok(()),
        }
    }
}

impl Deref for HeraldInProcess {
    type Target = Api;
    fn deref(&self) -> &Api {
        &self.api
    }
}

/// Dropping starts a graceful shutdown and does not wait for it: the
/// workers may still finish what they hold. Use [`HeraldInProcess::stop`]
/// when the test goes on with the same Redis.
impl Drop for HeraldInProcess {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A running `herald serve` process.
pub struct HeraldProcess {
    child: Child,
    api: Api,
    _dir: Option<tempfile::TempDir>,
}

/// Settings for [`HeraldProcess::start`].
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `HERALD_REDIS_URL` (unset: the embedded default).
    pub redis_url: Option<String>,
    /// Extra environment.
    pub env: Vec<(String, String)>,
    /// `--role`.
    pub role: Option<String>,
}

impl Options {
    /// Herald on `redis`, allowed to deliver to loopback and trusting
    /// `ca`, plus `extra` environment.
    pub fn trusting(
        redis: &(impl UsesRedis + ?Sized),
        ca: &crate::tls::TestCa,
        extra: &[(&str, &str)],
    ) -> Self {
        let mut env = vec![
            (
                "HERALD_ALLOW_PRIVATE_NETS".to_string(),
                "127.0.0.0/8".to_string(),
            ),
            (
                "HERALD_EXTRA_CA_FILE".to_string(),
                ca.ca_file.display().to_string(),
            ),
            // Plugins in the delivery path must not fail on a busy machine;
            // the deadline itself is tested by the plugin-host tests.
            ("HERALD_PLUGIN_DEADLINE".to_string(), "30s".to_string()),
        ];
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let redis_url = match redis.redis_env() {
            ("HERALD_REDIS_URL", url) => Some(url),
            (name, value) => {
                env.push((name.to_string(), value));
                None
            }
        };
        Options {
            redis_url,
            env,
            role: None,
        }
    }

    /// The same with `--role`.
    pub fn role(mut self, role: &str) -> Self {
        self.role = Some(role.to_string());
        self
    }
}

/// The text of `log` without terminal colour codes.
fn strip_ansi(log: &str) -> String {
    let mut out = String::with_capacity(log.len());
    let mut chars = log.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // ESC [ … final byte in @..~
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) && c != '[' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The address Herald logged it listens on (`API listening addr=…`, or
/// the same as a JSON line).
fn listening_addr(log: &str) -> Option<std::net::SocketAddr> {
    let log = strip_ansi(log);
    let line = log.lines().find(|l| l.contains("API listening"))?;
    // `HERALD_LOG_FORMAT=json`: one object per line.
    if let Ok(object) = serde_json::from_str::<serde_json::Value>(line) {
        return object["fields"]["addr"].as_str()?.parse().ok();
    }
    let at = line.find("addr=")? + "addr=".len();
    line[at..].split_whitespace().next()?.parse().ok()
}

impl HeraldProcess {
    /// Starts Herald on port 0 and waits for `/healthz` on the port it chose.
    pub async fn start(options: Options) -> Self {
        let dir = tempfile::tempdir().expect("data dir");
        let stderr_path = dir.path().join("herald.log");
        let stderr = std::fs::File::create(&stderr_path).expect("log file");
        let mut cmd = Command::new(herald_bin());
        cmd.arg("serve")
            .args(["--role", options.role.as_deref().unwrap_or("all")])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HERALD_LISTEN", "127.0.0.1:0")
            .env("HERALD_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("HERALD_DATA_DIR", dir.path())
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(stderr);
        if let Some(url) = &options.redis_url {
            cmd.env("HERALD_REDIS_URL", url);
        }
        let cluster = options
            .env
            .iter()
            .any(|(k, _)| k == "HERALD_REDIS_CLUSTER_NODES");
        if options.redis_url.is_some() || cluster {
            let own_key = options
                .env
                .iter()
                .any(|(k, _)| k == "HERALD_MASTER_KEY" || k == "HERALD_MASTER_KEY_FILE");
            if !own_key {
                cmd.env("HERALD_MASTER_KEY", TEST_MASTER_KEY);
            }
        }
        let mut log_filter = "info,herald=debug".to_string();
        for (k, v) in &options.env {
            match k.as_str() {
                "HERALD_LOG" => log_filter = v.clone(),
                _ => {
                    cmd.env(k, v);
                }
            }
        }
        // Whatever else is asked for, the line with the port is logged.
        cmd.env("HERALD_LOG", format!("{log_filter},herald::serve=info"));
        let mut child = cmd.spawn().expect("herald starts");
        let read_log = || std::fs::read_to_string(&stderr_path).unwrap_or_default();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let addr = loop {
            if let Some(addr) = listening_addr(&read_log()) {
                break addr;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("herald exited early ({status}):\n{}", read_log());
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "herald did not log `API listening addr=…` within 30 s:\n{}",
                read_log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let mut herald = HeraldProcess {
            api: Api::new(format!("http://{addr}"), Some(stderr_path)),
            child,
            _dir: Some(dir),
        };
        let child = &mut herald.child;
        herald
            .api
            .wait_healthy(|| match child.try_wait() {
                Ok(Some(status)) => Some(status.to_string()),
                _ => None,
            })
            .await;
        herald
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, no goodbye.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait; returns the exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..600 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill9();
        None
    }
}

impl Deref for HeraldProcess {
    type Target = Api;
    fn deref(&self) -> &Api {
        &self.api
    }
}

impl Drop for HeraldProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_the_listening_address_in_plain_and_coloured_logs() {
        let plain =
            "2026-01-01T00:00:00Z  INFO herald::serve: API listening addr=127.0.0.1:40123\n";
        let coloured = "\u{1b}[2m2026\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m \u{1b}[2mherald::serve\u{1b}[0m\u{1b}[2m:\u{1b}[0m API listening \u{1b}[3maddr\u{1b}[0m\u{1b}[2m=\u{1b}[0m127.0.0.1:40123\n";
        for log in [plain, coloured] {
            assert_eq!(
                super::listening_addr(log),
                Some("127.0.0.1:40123".parse().expect("addr"))
            );
        }
        assert_eq!(super::listening_addr("INFO starting\n"), None);
    }
}
