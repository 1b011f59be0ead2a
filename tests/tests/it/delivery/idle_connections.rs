//! Connections to receivers left unused are closed by Herald after
//! `HERALD_RECEIVER_IDLE_TIMEOUT`, even when the receiver never closes its
//! side (before, the pool only dropped an expired connection when a later
//! delivery looked for one, so a receiver that went quiet kept them open).

use super::WAIT;
use herald::config::Settings;
use herald::serve::Role;
use herald_e2e::herald::{trusting_settings, HeraldInProcess};
use herald_e2e::redis::TestRedis;
use herald_e2e::tls::TestCa;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// An HTTP/1.1 receiver that keeps every connection open until the client
/// closes it, counting connections opened and closed.
async fn counting_receiver() -> (SocketAddr, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (opened, closed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (opened2, closed2) = (opened.clone(), closed.clone());
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            opened2.fetch_add(1, Ordering::SeqCst);
            let closed = closed2.clone();
            tokio::spawn(async move {
                let service = service_fn(|_req: hyper::Request<hyper::body::Incoming>| async {
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                        bytes::Bytes::from_static(b"ok"),
                    )))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(tcp), service)
                    .await;
                closed.fetch_add(1, Ordering::SeqCst);
            });
        }
    });
    (addr, opened, closed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unused_connection_is_closed_after_the_idle_timeout() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let (addr, opened, closed) = counting_receiver().await;
    let h = HeraldInProcess::start(
        Settings {
            allow_http: true,
            receiver_idle_timeout: Duration::from_secs(1),
            ..trusting_settings(&redis, &ca)
        },
        Role::All,
    )
    .await;
    let org = h.org().await;
    let hook = h
        .webhook(
            &org,
            json!({"name": "w", "url": format!("http://{addr}/hook"), "active": true,
                   "triggers": [{"event": "order.created"}]}),
        )
        .await;
    let hook = hook["id"].as_str().expect("id");
    h.publish(&org, json!({"type": "order.created", "data": {}}))
        .await;
    h.wait_deliveries(&org, hook, WAIT, |items| {
        items.len() == 1 && items[0]["status"] == "succeeded"
    })
    .await;
    assert_eq!(opened.load(Ordering::SeqCst), 1);
    // Closed by Herald between one and two idle timeouts after its use.
    let deadline = tokio::time::Instant::now() + WAIT;
    while closed.load(Ordering::SeqCst) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the idle connection was still open after {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    h.stop().await.expect("stop");
}
