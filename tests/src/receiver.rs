//! A real HTTP or HTTPS receiver on loopback that records every request and
//! answers as the test tells it (status, headers, delay per request).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    /// Request path.
    pub path: String,
    /// Headers, lower-case names.
    pub headers: HashMap<String, String>,
    /// The body bytes.
    pub body: Bytes,
    /// When it had arrived whole.
    pub at: std::time::Instant,
    /// The HTTP version it came over.
    pub version: http::Version,
}

impl Received {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// How to answer request number `n` (0-based): status, extra headers, delay.
pub type Answer =
    Arc<dyn Fn(usize, &Received) -> (u16, Vec<(String, String)>, Duration) + Send + Sync>;

/// An [`Answer`] header of this name is sent as the response body instead.
pub const TEST_BODY: &str = "x-test-body";

/// A running receiver.
pub struct Receiver {
    addr: SocketAddr,
    tls: bool,
    log: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Answers 200 to everything.
    pub async fn ok(tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        Self::start(tls, Arc::new(|_, _| (200, vec![], Duration::ZERO))).await
    }

    /// Answers with `answer`; HTTPS when `tls` is given.
    pub async fn start(tls: Option<Arc<rustls::ServerConfig>>, answer: Answer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        Self::serve(listener, tls, answer)
    }

    /// Like [`Receiver::start`], listening on `addr` (e.g. another loopback
    /// address, or a given port); the bind error if it is taken.
    pub async fn start_on(
        addr: SocketAddr,
        tls: Option<Arc<rustls::ServerConfig>>,
        answer: Answer,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Self::serve(listener, tls, answer))
    }

    fn serve(
        listener: TcpListener,
        tls: Option<Arc<rustls::ServerConfig>>,
        answer: Answer,
    ) -> Self {
        let addr = listener.local_addr().expect("addr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let acceptor = tls.clone().map(tokio_rustls::TlsAcceptor::from);
        let (log2, is_tls) = (log.clone(), tls.is_some());
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let (log, answer, acceptor) = (log2.clone(), answer.clone(), acceptor.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let (log, answer) = (log.clone(), answer.clone());
                        async move {
                            let path = req.uri().path().to_string();
                            let version = req.version();
                            let headers = req
                                .headers()
                                .iter()
                                .map(|(n, v)| {
                                    (
                                        n.as_str().to_string(),
                                        v.to_str().unwrap_or_default().to_string(),
                                    )
                                })
                                .collect();
                            let body = req
                                .into_body()
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            let received = Received {
                                path,
                                headers,
                                body,
                                at: std::time::Instant::now(),
                                version,
                            };
                            let n = {
                                let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
                                log.push(received.clone());
                                log.len() - 1
                            };
                            let (status, extra, delay) = answer(n, &received);
                            if !delay.is_zero() {
                                tokio::time::sleep(delay).await;
                            }
                            // A pseudo-header `x-test-body` is the body, not a header.
                            let (bodies, extra): (Vec<_>, Vec<_>) =
                                extra.into_iter().partition(|(k, _)| k == TEST_BODY);
                            let text = bodies
                                .into_iter()
                                .next()
                                .map_or_else(|| format!("answer {n}"), |(_, v)| v);
                            let mut response = hyper::Response::new(Full::new(Bytes::from(text)));
                            *response.status_mut() = hyper::StatusCode::from_u16(status)
                                .unwrap_or(hyper::StatusCode::OK);
                            for (k, v) in extra {
                                if let (Ok(k), Ok(v)) = (
                                    http::HeaderName::from_bytes(k.as_bytes()),
                                    http::HeaderValue::from_str(&v),
                                ) {
                                    response.headers_mut().insert(k, v);
                                }
                            }
                            Ok::<_, std::convert::Infallible>(response)
                        }
                    });
                    let builder =
                        hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                    match acceptor {
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(tcp).await {
                                let _ = builder
                                    .serve_connection(TokioIo::new(stream), service)
                                    .await;
                            }
                        }
                        None => {
                            let _ = builder.serve_connection(TokioIo::new(tcp), service).await;
                        }
                    }
                });
            }
        });
        Receiver {
            addr,
            tls: is_tls,
            log,
            task,
        }
    }

    /// The URL to deliver to (`https://localhost:<port>/hook` with TLS).
    pub fn url(&self) -> String {
        if self.tls {
            format!("https://localhost:{}/hook", self.addr.port())
        } else {
            format!("http://127.0.0.1:{}/hook", self.addr.port())
        }
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What arrived so far.
    pub fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Waits until at least `n` requests arrived, or panics after `timeout`.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "expected {n} requests within {timeout:?}, got {}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}
