//! What herald-bench measures with: a lean receiver noting arrivals and
//! latencies, process CPU and memory figures, percentiles, a bare-hyper
//! baseline and Redis's time by command.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub(crate) fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// What the receiver saw: arrival times and latencies (µs).
#[derive(Default)]
pub(crate) struct Seen {
    pub(crate) arrivals: Vec<u64>,
    pub(crate) latencies: Vec<u64>,
}

pub(crate) struct BenchReceiver {
    pub(crate) port: u16,
    pub(crate) seen: Arc<Mutex<Seen>>,
    pub(crate) count: Arc<AtomicU64>,
}

impl BenchReceiver {
    /// Requests that arrived so far.
    pub(crate) fn arrived(&self) -> usize {
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .arrivals
            .len()
    }

    /// Waits until `expected` requests arrived, or `timeout`, sampling the
    /// RSS of process `pid` every 100 ms; returns its peak in MiB (with the
    /// kernel's high-water mark, which catches what sampling missed).
    pub(crate) async fn wait_arrivals(&self, expected: usize, pid: u32, timeout: Duration) -> f64 {
        let deadline = Instant::now() + timeout;
        let mut peak_rss: f64 = 0.0;
        while self.arrived() < expected && Instant::now() < deadline {
            peak_rss = peak_rss.max(vm_mib(pid, "VmRSS:"));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        peak_rss.max(vm_mib(pid, "VmHWM:"))
    }
}

/// A lean receiver: reads the body, notes arrival and latency (the event
/// carries its publish time), answers `status(n)` after `delay`. With `tls`,
/// HTTPS, speaking HTTP/2 or HTTP/1.1 as the config's ALPN and the client agree.
pub(crate) async fn receiver(
    delay: Duration,
    fail_every: Option<u64>,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> BenchReceiver {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let count = Arc::new(AtomicU64::new(0));
    let (seen2, count2) = (seen.clone(), count.clone());
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let (seen, count, acceptor) = (seen2.clone(), count2.clone(), acceptor.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let (seen, count) = (seen.clone(), count.clone());
                    async move {
                        let body = req
                            .into_body()
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let n = count.fetch_add(1, Ordering::Relaxed);
                        let failing = fail_every.is_some_and(|k| n % k == 0);
                        if !failing {
                            let sent = serde_json::from_slice::<serde_json::Value>(&body)
                                .ok()
                                .and_then(|v| v["data"]["t"].as_u64());
                            let at = now_us();
                            let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
                            seen.arrivals.push(at);
                            if let Some(t) = sent {
                                seen.latencies.push(at.saturating_sub(t));
                            }
                        }
                        if !delay.is_zero() {
                            tokio::time::sleep(delay).await;
                        }
                        let mut response =
                            hyper::Response::new(Full::new(Bytes::from_static(b"ok")));
                        if failing {
                            *response.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
                        }
                        Ok::<_, std::convert::Infallible>(response)
                    }
                });
                match acceptor {
                    Some(acceptor) => {
                        if let Ok(stream) = acceptor.accept(tcp).await {
                            let _ =
                                hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                                    .serve_connection(TokioIo::new(stream), service)
                                    .await;
                        }
                    }
                    None => {
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(tcp), service)
                            .await;
                    }
                }
            });
        }
    });
    BenchReceiver { port, seen, count }
}

/// utime + stime of a process, seconds.
pub(crate) fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, r)| r)
        .split_whitespace()
        .collect();
    let ticks: f64 = fields
        .get(11)
        .and_then(|u| u.parse::<f64>().ok())
        .unwrap_or(0.0)
        + fields
            .get(12)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0);
    ticks / 100.0
}

/// A `Vm…:` figure of a process, MiB.
pub(crate) fn vm_mib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

pub(crate) fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

/// The bare-hyper baseline: `n` POSTs with `concurrency` in flight.
pub(crate) async fn bare_hyper(port: u16, n: usize, concurrency: usize) -> f64 {
    let client: Client<HttpConnector, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(concurrency)
        .build_http();
    let body = Bytes::from(vec![b'x'; 200]);
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, next, body) = (client.clone(), next.clone(), body.clone());
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < n as u64 {
                    let req = hyper::Request::post(format!("http://127.0.0.1:{port}/"))
                        .body(Full::new(body.clone()));
                    if let Ok(req) = req {
                        if let Ok(res) = client.request(req).await {
                            let _ = res.into_body().collect().await;
                        }
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    n as f64 / started.elapsed().as_secs_f64()
}

/// Where Redis spent its time in the run: `INFO commandstats`, the
/// commands with the most total time first (calls, µs in all, µs per call).
pub(crate) async fn redis_command_stats(url: &str) -> String {
    let info: redis::RedisResult<String> = async {
        let mut con = redis::Client::open(url)?
            .get_multiplexed_async_connection()
            .await?;
        redis::cmd("INFO")
            .arg("commandstats")
            .query_async(&mut con)
            .await
    }
    .await;
    let Ok(info) = info else {
        return "redis commandstats unavailable".into();
    };
    // Lines like `cmdstat_hset:calls=3,usec=12,usec_per_call=4.00,...`.
    let mut rows: Vec<(String, u64, u64, f64)> = info
        .lines()
        .filter_map(|l| {
            let (name, rest) = l.strip_prefix("cmdstat_")?.split_once(':')?;
            let field = |k: &str| {
                rest.split(',')
                    .find_map(|kv| kv.strip_prefix(k)?.strip_prefix('='))
            };
            Some((
                name.to_string(),
                field("calls")?.parse().ok()?,
                field("usec")?.parse().ok()?,
                field("usec_per_call")?.parse().ok()?,
            ))
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.2));
    rows.iter()
        .take(10)
        .map(|(name, calls, usec, per)| {
            format!(
                "{name} {calls} calls {:.2} s ({per:.1} µs/call)",
                *usec as f64 / 1e6
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}
