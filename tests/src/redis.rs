//! A private `redis-server` per test: a free port, its own temp dir, killed
//! on drop. Tests never touch each other's data or a Redis someone left
//! running on the default port.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server` owned by one test.
pub struct TestRedis {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl TestRedis {
    /// Starts a server with append-only persistence in a fresh temp dir.
    ///
    /// Panics (failing the test) if `redis-server` is not installed or does
    /// not come up within 10 s.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir for redis");
        Self::start_in(dir)
    }

    fn start_in(dir: tempfile::TempDir) -> Self {
        let port = free_port();
        let child = Self::spawn(port, dir.path());
        let redis = TestRedis { child, port, dir };
        redis.wait_ready();
        redis
    }

    /// Stops the server (SIGTERM: it writes its append-only file) and
    /// starts it again on the same port with the same data.
    pub fn restart(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        self.child = Self::spawn(self.port, self.dir.path());
        self.wait_ready();
    }

    fn spawn(port: u16, dir: &std::path::Path) -> Child {
        Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
            ])
            .arg("--dir")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (tests/run.sh installs it)")
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
                use std::io::{Read, Write};
                let mut buf = [0u8; 16];
                if stream.write_all(b"PING\r\n").is_ok()
                    && stream
                        .read(&mut buf)
                        .is_ok_and(|n| buf[..n].starts_with(b"+PONG"))
                {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "redis-server on port {} did not come up within 10 s",
            self.port
        );
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP port free right now on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
