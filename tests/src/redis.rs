//! A private `redis-server` per test: a free port, its own temp dir, killed
//! on drop. Tests never touch each other's data or a Redis someone left
//! running on the default port.
//!
//! redis-server must be given its port, so a port is picked free and then
//! bound by another process: another test may take it in between. Start
//! notices (the server exits, or the one answering is not ours: its
//! `process_id` differs) and tries again on a new port.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server` owned by one test.
pub struct TestRedis {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
    extra: Vec<String>,
}

impl TestRedis {
    /// Starts a server with append-only persistence in a fresh temp dir.
    ///
    /// Panics (failing the test) if `redis-server` is not installed or does
    /// not come up.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// The same, with more `redis-server` arguments (`--appendfsync always`).
    pub fn start_with(extra: &[&str]) -> Self {
        let extra: Vec<String> = extra.iter().map(|a| a.to_string()).collect();
        let mut tries = 0;
        loop {
            tries += 1;
            let (port, dir) = (
                free_port(),
                tempfile::tempdir().expect("temp dir for redis"),
            );
            let child = Self::spawn(port, dir.path(), &extra);
            let mut redis = TestRedis {
                child,
                port,
                dir,
                extra: extra.clone(),
            };
            match redis.wait_ready() {
                Ok(()) => return redis,
                Err(why) if tries < 5 => {
                    eprintln!("redis-server on port {port}: {why}; trying another port");
                }
                Err(why) => panic!("redis-server did not start after {tries} ports: {why}"),
            }
        }
    }

    /// Stops the server (SIGTERM: it writes its append-only file) and
    /// starts it again on the same port with the same data.
    pub fn restart(&mut self) {
        self.stop();
        self.start_again();
    }

    /// Stops the server as `SHUTDOWN` does (SIGTERM: it writes its
    /// append-only file and exits); [`TestRedis::start_again`] brings it back.
    pub fn stop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }

    /// Starts a stopped server again on the same port with the same data.
    pub fn start_again(&mut self) {
        self.child = Self::spawn(self.port, self.dir.path(), &self.extra);
        if let Err(why) = self.wait_ready() {
            panic!(
                "redis-server did not come back on port {}: {why}",
                self.port
            );
        }
    }

    /// SIGKILL: no goodbye, no final write of the append-only file.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn spawn(port: u16, dir: &std::path::Path, extra: &[String]) -> Child {
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
            .args(extra)
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

    /// Waits until this server (not another process on its port) answers.
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited ({status}), the port was probably taken"));
            }
            if let Some(pid) = answering_pid(self.port) {
                return if pid == self.child.id() {
                    Ok(())
                } else {
                    Err(format!("another redis-server (pid {pid}) answers there"))
                };
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err("no answer within 20 s".into())
    }
}

/// The `process_id` of the redis-server answering on `port`, if one does.
fn answering_pid(port: u16) -> Option<u32> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    stream.write_all(b"INFO server\r\n").ok()?;
    let mut reply = Vec::new();
    let mut buf = [0u8; 4096];
    // A bulk string: `$<len>\r\n<len bytes>\r\n`; read until process_id is in.
    while !String::from_utf8_lossy(&reply).contains("process_id:") || !reply.ends_with(b"\r\n") {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        reply.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&reply)
        .lines()
        .find_map(|l| l.strip_prefix("process_id:"))
        .and_then(|v| v.trim().parse().ok())
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
