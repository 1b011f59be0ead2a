//! Receivers that misbehave, one test per behaviour: each attempt ends with
//! its own error class and a message that says what happened, recorded in
//! the delivery log, and Herald reads no more than it keeps.

use super::{herald, WAIT};
use herald::config::Settings;
use herald::serve::Role;
use herald_e2e::herald::{trusting_settings, HeraldInProcess};
use herald_e2e::receiver::Receiver;
use herald_e2e::redis::TestRedis;
use herald_e2e::tls::TestCa;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Reads a request's head and body (by content-length) off `tcp`.
async fn read_request(tcp: &mut TcpStream) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let Ok(n) = tcp.read(&mut buf).await else {
            return;
        };
        if n == 0 {
            return;
        }
        seen.extend_from_slice(&buf[..n]);
        if let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&seen[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if seen.len() >= end + 4 + length {
                return;
            }
        }
    }
}

/// A plain-TCP receiver that reads each request and then does `behave`.
async fn raw<F, Fut>(behave: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let behave = Arc::new(behave);
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let behave = behave.clone();
            tokio::spawn(async move {
                read_request(&mut tcp).await;
                behave(tcp).await;
            });
        }
    });
    addr
}

/// Herald allowed to deliver over plain http to loopback.
async fn lenient(redis: &TestRedis, ca: &TestCa) -> HeraldInProcess {
    HeraldInProcess::start(
        Settings {
            allow_http: true,
            ..trusting_settings(&redis.url(), ca)
        },
        Role::All,
    )
    .await
}

/// Publishes one event to a new webhook at `url` (one attempt, no retry)
/// and returns its attempt as recorded.
async fn one_attempt(herald: &HeraldInProcess, org: &str, url: &str, timeout: &str) -> Value {
    let hook = herald
        .webhook(
            org,
            json!({"name": "w", "url": url, "active": true, "timeout": timeout,
                   "triggers": [{"event": "x"}], "retry": {"schedule": []}}),
        )
        .await;
    let wh = hook["id"].as_str().expect("id").to_string();
    herald.publish(org, json!({"type": "x", "data": {}})).await;
    let items = herald
        .wait_deliveries(org, &wh, WAIT + Duration::from_secs(30), |items| {
            items
                .first()
                .is_some_and(|d| d["status"] == "dead" || d["status"] == "succeeded")
        })
        .await;
    let id = items[0]["id"].as_str().expect("delivery id");
    let (status, delivery) = herald
        .call("GET", &format!("/v1/orgs/{org}/deliveries/{id}"), None)
        .await;
    assert_eq!(status, 200, "{delivery}");
    delivery["attempts"][0].clone()
}

fn assert_failed(attempt: &Value, class: &str, words: &str) {
    assert_eq!(attempt["error"]["class"], class, "{attempt:#}");
    let message = attempt["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.to_lowercase().contains(&words.to_lowercase()),
        "{words:?} not in {message:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_misbehaviour_is_classified_and_bounded() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let herald = lenient(&redis, &ca).await;
    let org = herald.org().await;

    // Connection reset in the middle of the body.
    let reset = raw(|mut tcp| async move {
        let _ = tcp
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\nfirst ten.")
            .await;
        let _ = tcp.set_zero_linger();
        drop(tcp);
    })
    .await;
    let attempt = one_attempt(&herald, &org, &format!("http://{reset}/"), "10s").await;
    assert_failed(&attempt, "connect", "reading the response body");

    // A response that never ends: a byte a second; the timeout covers it all.
    let trickle = raw(|mut tcp| async move {
        let _ = tcp
            .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
            .await;
        loop {
            if tcp.write_all(b"1\r\nx\r\n").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
    .await;
    let attempt = one_attempt(&herald, &org, &format!("http://{trickle}/"), "2s").await;
    assert_failed(&attempt, "timeout", "no complete response within 2s");

    // A 1 GB body: Herald keeps 64 KiB, then drops the connection.
    let written = Arc::new(AtomicU64::new(0));
    let counter = written.clone();
    let huge = raw(move |mut tcp| {
        let counter = counter.clone();
        async move {
            let _ = tcp
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1073741824\r\n\r\n")
                .await;
            let chunk = vec![b'z'; 64 << 10];
            for _ in 0..(1 << 14) {
                if tcp.write_all(&chunk).await.is_err() {
                    return;
                }
                counter.fetch_add(chunk.len() as u64, Ordering::SeqCst);
            }
        }
    })
    .await;
    let attempt = one_attempt(&herald, &org, &format!("http://{huge}/"), "30s").await;
    assert_eq!(attempt["status_code"], 200, "{attempt:#}");
    assert!(attempt["error"].is_null(), "{attempt:#}");
    assert_eq!(attempt["response_body_truncated"], true, "{attempt:#}");
    // The sender stops as soon as the connection is gone; what it managed to
    // write before is what the socket buffers took, far below 1 GB.
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut last = u64::MAX;
    loop {
        let now = written.load(Ordering::SeqCst);
        if now == last {
            break;
        }
        last = now;
        assert!(tokio::time::Instant::now() < deadline, "still writing");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(last < 64 << 20, "the receiver wrote {last} bytes");

    // Not HTTP at all.
    let garbage = raw(|mut tcp| async move {
        let _ = tcp.write_all(b"HELLO THIS IS NOT HTTP\r\n\r\n").await;
    })
    .await;
    let attempt = one_attempt(&herald, &org, &format!("http://{garbage}/"), "10s").await;
    assert_failed(&attempt, "protocol", "invalid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tls_is_classified_with_what_is_wrong() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let herald = herald(&redis, &ca).await;
    let org = herald.org().await;

    let other_name = ca.leaf(&["other.example"], false);
    let receiver = Receiver::start(Some(other_name.server.clone()), super::answer(|_| 200)).await;
    let attempt = one_attempt(&herald, &org, &receiver.url(), "10s").await;
    assert_failed(&attempt, "tls", "not valid for name");

    let expired = ca.leaf(&["localhost"], true);
    let receiver = Receiver::start(Some(expired.server.clone()), super::answer(|_| 200)).await;
    let attempt = one_attempt(&herald, &org, &receiver.url(), "10s").await;
    assert_failed(&attempt, "tls", "expired");

    let self_signed = ca.self_signed();
    let receiver = Receiver::start(Some(self_signed.server.clone()), super::answer(|_| 200)).await;
    let attempt = one_attempt(&herald, &org, &receiver.url(), "10s").await;
    assert_failed(&attempt, "tls", "issuer");

    // A server that speaks only TLS 1.0 (OpenSSL's s_server): Herald
    // offers TLS 1.2 and 1.3 only.
    let tls10 = ca.leaf(&["localhost"], false);
    let port = herald_e2e::redis::free_port();
    let mut server = std::process::Command::new("openssl")
        .args([
            "s_server",
            "-quiet",
            "-www",
            "-tls1",
            "-cipher",
            "DEFAULT@SECLEVEL=0",
        ])
        .arg("-accept")
        .arg(port.to_string())
        .arg("-cert")
        .arg(&tls10.cert_file)
        .arg("-key")
        .arg(&tls10.key_file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("openssl s_server (openssl is installed with Debian)");
    let deadline = tokio::time::Instant::now() + WAIT;
    while TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "s_server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let attempt = one_attempt(&herald, &org, &format!("https://localhost:{port}/"), "10s").await;
    let _ = server.kill();
    let _ = server.wait();
    assert_failed(&attempt, "tls", "ProtocolVersion");
}
