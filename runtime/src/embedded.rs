//! The embedded default: with no Redis URL configured and nothing answering
//! on the local default port, Herald starts a `redis-server` itself, with
//! append-only persistence in its data directory, restarts it if it dies,
//! and stops it when Herald stops.

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
        "no Redis: HERALD_REDIS_URL is not set, nothing answers on 127.0.0.1:{port}, and `redis-server` \
         is not installed. Set HERALD_REDIS_URL to your Redis (e.g. redis://127.0.0.1:6379/), or install \
         redis-server (`apt install redis-server`) and Herald will start one"
    )]
    NotInstalled {
        /// The port probed.
        port: u16,
    },
    /// It did not start.
    #[error("could not start redis-server in {dir}: {message}")]
    Start {
        /// The data directory.
        dir: String,
        /// Why.
        message: String,
    },
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

/// Starts `redis-server` on 127.0.0.1:`port` with its data in `data_dir/redis`.
pub async fn start(port: u16, data_dir: &Path) -> Result<EmbeddedRedis, EmbeddedError> {
    let dir: PathBuf = data_dir.join("redis");
    let fail = |message: String| EmbeddedError::Start {
        dir: dir.display().to_string(),
        message,
    };
    std::fs::create_dir_all(&dir).map_err(|e| fail(e.to_string()))?;
    let child = match spawn(port, &dir) {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(EmbeddedError::NotInstalled { port })
        }
        Err(e) => return Err(fail(e.to_string())),
    };
    for _ in 0..100 {
        if answers(port).await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if !answers(port).await {
        return Err(fail("it did not answer within 5 s".into()));
    }
    tracing::info!(port, dir = %dir.display(), "started an embedded redis-server (append-only persistence)");
    let stop = CancellationToken::new();
    let task = tokio::spawn(supervise(child, port, dir, stop.clone()));
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
