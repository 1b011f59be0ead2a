//! Which Redis Herald uses when no `redis_url` is configured, and the
//! embedded default. Herald uses a Redis already answering on
//! 127.0.0.1:`embedded_redis_port` only when it holds nothing but Herald's
//! keys; otherwise (or when nothing answers) it starts a `redis-server` of its
//! own with append-only persistence in `<data_dir>/redis`, restarts it if it
//! dies and stops it when Herald stops. The port of that server is remembered
//! in the data directory, so the next start finds the same data on the same
//! port, and never trades it for an unrelated empty Redis.
//!
//! [`probe`] is the only function here that speaks Redis: deciding which
//! server to use is not store business.

use crate::config::Settings;
use crate::store::probe::{probe, Probe};
use crate::store::{Nodes, RedisTarget};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;

/// Why no Redis could be provided.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    /// `redis-server` is not installed.
    #[error(
        "no Redis: HERALD_REDIS_URL is not set, no usable Redis answers on 127.0.0.1:{port}, and \
         `redis-server` is not installed. Set HERALD_REDIS_URL to your Redis (e.g. \
         redis://127.0.0.1:6379/), or install redis-server (`apt install redis-server`) and Herald \
         will start one"
    )]
    NotInstalled {
        /// The port probed.
        port: u16,
    },
    /// It did not start.
    #[error("could not start redis-server on port {port} in {dir}: {message}")]
    Start {
        /// The port.
        port: u16,
        /// The data directory.
        dir: String,
        /// Why.
        message: String,
    },
}

/// The Redis this process uses, and what to tell the operator about it.
pub struct RedisChoice {
    /// The server or cluster to connect to.
    pub target: RedisTarget,
    /// Who runs it and where its data lives, for the startup banner.
    pub description: String,
    /// The server Herald started and supervises, if it did.
    pub embedded: Option<EmbeddedRedis>,
}

/// A supervised `redis-server`.
pub struct EmbeddedRedis {
    /// Stops the supervisor (and the server).
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl EmbeddedRedis {
    /// Stops the server and waits for it to exit.
    pub async fn stop(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

fn local(port: u16) -> String {
    format!("redis://127.0.0.1:{port}/")
}

fn port_file(dir: &Path) -> PathBuf {
    dir.join("herald-redis.port")
}

/// Chooses the Redis to use (see the module doc), starting one if needed.
pub async fn choose(settings: &Settings) -> Result<RedisChoice, EmbeddedError> {
    if let Some(target) = settings.redis_target() {
        let description = match &target.nodes {
            Nodes::Cluster(seeds) => format!(
                "a Redis Cluster (redis_cluster_nodes: {} seed node(s))",
                seeds.len()
            ),
            Nodes::Single(url) => match probe(url, false).await {
                Probe::Redis(found) => format!("configured (redis_url); {}", found.data_lives()),
                _ => "configured (redis_url)".into(),
            },
        };
        return Ok(RedisChoice {
            target,
            description,
            embedded: None,
        });
    }
    let dir = settings.data_dir.join("redis");
    let ours = std::fs::canonicalize(&dir).ok();
    // The port of the server Herald started here before; a data directory
    // from before ports were remembered means the default port.
    let remembered = std::fs::read_to_string(port_file(&dir))
        .ok()
        .and_then(|text| text.trim().parse::<u16>().ok())
        .or_else(|| {
            let old = dir.join("appendonlydir").exists() || dir.join("appendonly.aof").exists();
            old.then_some(settings.embedded_redis_port)
        });
    let port = remembered.unwrap_or(settings.embedded_redis_port);
    let why_elsewhere = match probe(&local(port), true).await {
        Probe::Refused => None,
        Probe::Redis(found)
            if ours.is_some() && found.dir.as_deref().map(PathBuf::from) == ours =>
        {
            return Ok(RedisChoice {
                target: RedisTarget::single(&local(port)),
                description: format!(
                    "a redis-server left running by an earlier Herald (not supervised by this one); {}",
                    found.data_lives()
                ),
                embedded: None,
            });
        }
        Probe::Redis(found) if remembered.is_none() && found.other_data.is_none() => {
            return Ok(RedisChoice {
                target: RedisTarget::single(&local(port)),
                description: format!(
                    "an existing Redis, not started by Herald (it held no other data); {}",
                    found.data_lives()
                ),
                embedded: None,
            });
        }
        Probe::Redis(found) => Some(
            found
                .other_data
                .unwrap_or_else(|| "it is not the one Herald started here before".into()),
        ),
        Probe::Unusable(why) => Some(why),
    };
    let port = match why_elsewhere {
        None => port,
        Some(_) => free_port().map_err(|e| EmbeddedError::Start {
            port: 0,
            dir: dir.display().to_string(),
            message: format!("no free port: {e}"),
        })?,
    };
    let embedded = start(port, &dir).await?;
    let mut description = format!(
        "started by Herald, supervised; its data in {} (append-only)",
        dir.display()
    );
    if let Some(why) = why_elsewhere {
        description.push_str(&format!(
            "; not on 127.0.0.1:{} because {why}",
            remembered.unwrap_or(settings.embedded_redis_port)
        ));
    }
    Ok(RedisChoice {
        target: RedisTarget::single(&local(port)),
        description,
        embedded: Some(embedded),
    })
}

fn free_port() -> std::io::Result<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()
        .map(|a| a.port())
}

/// Whether something answers on 127.0.0.1:`port`.
pub async fn answers(port: u16) -> bool {
    matches!(
        tokio::time::timeout(
            Duration::from_millis(500),
            tokio::net::TcpStream::connect(("127.0.0.1", port))
        )
        .await,
        Ok(Ok(_))
    )
}

fn spawn(port: u16, dir: &Path) -> std::io::Result<Child> {
    Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--appendonly",
            "yes",
            "--save",
            "",
        ])
        .arg("--dir")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
}

/// Starts `redis-server` on 127.0.0.1:`port` with its data in `dir`, and
/// remembers the port there.
pub async fn start(port: u16, dir: &Path) -> Result<EmbeddedRedis, EmbeddedError> {
    let fail = |message: String| EmbeddedError::Start {
        port,
        dir: dir.display().to_string(),
        message,
    };
    std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    let mut child = match spawn(port, dir) {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(EmbeddedError::NotInstalled { port })
        }
        Err(e) => return Err(fail(e.to_string())),
    };
    // Generous: a busy machine may take a while to load a large file.
    for _ in 0..300 {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(fail(format!("it exited at once ({status})")));
        }
        if answers(port).await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if !answers(port).await {
        return Err(fail("it did not answer within 15 s".into()));
    }
    std::fs::write(port_file(dir), format!("{port}\n")).map_err(|e| fail(e.to_string()))?;
    tracing::debug!(port, dir = %dir.display(), "started an embedded redis-server");
    let stop = CancellationToken::new();
    let task = tokio::spawn(supervise(child, port, dir.to_path_buf(), stop.clone()));
    Ok(EmbeddedRedis { stop, task })
}

async fn supervise(mut child: Child, port: u16, dir: PathBuf, stop: CancellationToken) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => {
                let _ = child.kill().await;
                tracing::info!("stopped the embedded redis-server");
                return;
            }
            status = child.wait() => {
                tracing::error!("the embedded redis-server exited ({status:?}); restarting it");
                tokio::time::sleep(Duration::from_secs(1)).await;
                match spawn(port, &dir) {
                    Ok(c) => child = c,
                    Err(e) => {
                        tracing::error!("cannot restart redis-server: {e}");
                        return;
                    }
                }
            }
        }
    }
}
