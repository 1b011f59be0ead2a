//! The API under abuse: slow-header and slow-body clients, a connection
//! cap, and failed authentication limited per address without locking out
//! a valid key. Meanwhile `/healthz` and normal requests keep answering.

use super::setup;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Whether the server has closed `tcp` (EOF or reset) within `wait`.
async fn closed_within(tcp: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, tcp.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off_while_others_are_served() {
    const SLOW: usize = 1000;
    let (_redis, _ca, herald) = setup(|s| {
        s.api_header_timeout = Duration::from_secs(2);
        s.api_request_timeout = Duration::from_secs(2);
    })
    .await;
    let addr = herald.base.trim_start_matches("http://").to_string();
    // 1,000 connections that send a request head a byte every second.
    let mut slow = Vec::new();
    for _ in 0..SLOW {
        let mut tcp = TcpStream::connect(&addr).await.expect("connect");
        tcp.write_all(b"GET /healthz HTTP/1.1\r\n")
            .await
            .expect("write");
        slow.push(tcp);
    }
    let trickle = tokio::spawn(async move {
        for _ in 0..3 {
            for tcp in &mut slow {
                let _ = tcp.write_all(b"x").await;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        slow
    });
    // Meanwhile normal requests are answered.
    for _ in 0..20 {
        let (status, _) = herald.call("GET", "/healthz", None).await;
        assert_eq!(status, 200);
        let org = herald.org().await;
        assert!(org.starts_with("org_"), "{org}");
    }
    let mut slow = trickle.await.expect("trickle");
    // Every slow connection is closed once its headers are late.
    for tcp in &mut slow {
        assert!(
            closed_within(tcp, Duration::from_secs(60)).await,
            "a slow-header connection was never closed"
        );
    }

    // A body that trickles: 408 with the JSON error body.
    let mut tcp = TcpStream::connect(&addr).await.expect("connect");
    tcp.write_all(
        b"POST /v1/orgs HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\nauthorization: Bearer ",
    )
    .await
    .expect("write");
    tcp.write_all(herald_e2e::herald::ADMIN_TOKEN.as_bytes())
        .await
        .expect("write");
    tcp.write_all(b"\r\n\r\n{\"name\": ").await.expect("write");
    let mut answer = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
            if answer.windows(4).any(|w| w == b"}}\r\n") || answer.ends_with(b"}}") {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(60), read).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"request_timeout\""), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_are_closed_until_some_end() {
    const CAP: usize = 50;
    let (_redis, _ca, herald) = setup(|s| {
        s.api_max_connections = CAP;
        s.api_header_timeout = Duration::from_secs(3);
    })
    .await;
    let addr = herald.base.trim_start_matches("http://").to_string();
    let mut held = Vec::new();
    for _ in 0..CAP {
        held.push(TcpStream::connect(&addr).await.expect("connect"));
    }
    // Give the server a moment to have accepted all of them.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut over = TcpStream::connect(&addr).await.expect("connect");
    let _ = over
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    assert!(
        closed_within(&mut over, Duration::from_secs(30)).await,
        "a connection over the cap was served"
    );
    // The held ones time out (no headers): room again.
    for tcp in &mut held {
        assert!(closed_within(tcp, Duration::from_secs(60)).await);
    }
    let (status, _) = herald.call("GET", "/healthz", None).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_authentication_is_limited_per_address_without_locking_out_a_valid_key() {
    let (_redis, _ca, herald) = setup(|s| s.auth_failures_per_minute = 5).await;
    let org = herald.org().await;
    let (_, key) = herald
        .call(
            "POST",
            &format!("/v1/orgs/{org}/api-keys"),
            Some(serde_json::json!({"name": "k", "permissions": ["webhooks:read"]})),
        )
        .await;
    let key = key["key"].as_str().expect("key").to_string();
    let path = format!("/v1/orgs/{org}/webhooks");
    for n in 1..=5 {
        let (status, body) = herald.call_as("hk_wrong_key", "GET", &path, None).await;
        assert_eq!(status, 401, "failure {n}: {body}");
    }
    let (status, body) = herald.call_as("hk_wrong_key", "GET", &path, None).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "too_many_requests", "{body}");
    // The valid key, from the same address, still works; so does the operator's.
    let (status, body) = herald.call_as(&key, "GET", &path, None).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = herald.call("GET", "/v1/orgs", None).await;
    assert_eq!(status, 200);
}
