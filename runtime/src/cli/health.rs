//! `herald health`: asks a running Herald's `/readyz` (or `/healthz`) and
//! exits 0 when it answers 200. Container images without a shell or curl
//! (distroless) use it as their `HEALTHCHECK`.

use clap::Args;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `herald health`.
#[derive(Debug, Args)]
pub struct HealthArgs {
    /// The address to ask; default: `HERALD_LISTEN` (an unspecified host
    /// such as `0.0.0.0` becomes loopback), else `127.0.0.1:8080`.
    #[arg(long)]
    pub addr: Option<SocketAddr>,
    /// Ask `/healthz` (the process answers) instead of `/readyz` (Redis
    /// answers too).
    #[arg(long)]
    pub live: bool,
    /// How long to wait for the answer.
    #[arg(long, default_value = "3s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
}

/// Why the probe failed.
#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    /// `HERALD_LISTEN` is no socket address.
    #[error("HERALD_LISTEN={0:?} is not an address like 0.0.0.0:8080; pass --addr")]
    Listen(String),
    /// No connection, or no complete answer.
    #[error("{addr}{path}: {message}")]
    Request {
        /// Where.
        addr: SocketAddr,
        /// Which route.
        path: &'static str,
        /// What went wrong.
        message: String,
    },
    /// The answer was not 200.
    #[error("{addr}{path} answered {status}: {body}")]
    Status {
        /// Where.
        addr: SocketAddr,
        /// Which route.
        path: &'static str,
        /// The status.
        status: u16,
        /// The answer's body (Herald's JSON says why).
        body: String,
    },
}

/// The address to probe.
fn target(args: &HealthArgs) -> Result<SocketAddr, HealthError> {
    if let Some(addr) = args.addr {
        return Ok(addr);
    }
    let Ok(listen) = std::env::var("HERALD_LISTEN") else {
        return Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)));
    };
    let mut addr: SocketAddr = listen
        .trim()
        .parse()
        .map_err(|_| HealthError::Listen(listen.clone()))?;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        });
    }
    Ok(addr)
}

/// Runs the probe; prints the answer on success.
pub async fn run(args: HealthArgs) -> Result<ExitCode, HealthError> {
    let addr = target(&args)?;
    let path = if args.live { "/healthz" } else { "/readyz" };
    let fail = |message: String| HealthError::Request {
        addr,
        path,
        message,
    };
    let exchange = async {
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| fail(format!("cannot connect: {e}")))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| fail(e.to_string()))?;
        tokio::spawn(connection);
        let request = hyper::Request::get(path)
            .header(hyper::header::HOST, addr.to_string())
            .body(Empty::<Bytes>::new())
            .map_err(|e| fail(e.to_string()))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| fail(e.to_string()))?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| fail(e.to_string()))?
            .to_bytes();
        Ok::<_, HealthError>((status, String::from_utf8_lossy(&body).into_owned()))
    };
    let (status, body) = tokio::time::timeout(args.timeout, exchange)
        .await
        .map_err(|_| fail(format!("no answer within {:?}", args.timeout)))??;
    if status != 200 {
        return Err(HealthError::Status {
            addr,
            path,
            status,
            body,
        });
    }
    println!("{body}");
    Ok(ExitCode::SUCCESS)
}
