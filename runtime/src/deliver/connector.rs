//! The connector under Herald's pooled HTTP client: resolves the host
//! (timed; the system resolver, or the name servers of `HERALD_DNS_SERVERS`),
//! refuses addresses the [`NetPolicy`] forbids (after resolution, once per
//! connection, and connects only to the addresses it checked: a name that
//! answers a public address and then a private one (DNS rebinding) is
//! refused on the answer that is private), connects over TCP (timed) and does
//! the TLS handshake with rustls (timed). The timings ride on the connection
//! to the first response that uses it. A TLS connection whose ALPN settled on
//! `h2` (offered only with `HERALD_HTTP2`) is reported as HTTP/2 to the pool,
//! which then multiplexes requests to that host over it.

use super::policy::{numeric_ipv4, NetPolicy};
use hickory_resolver::config::{
    NameServerConfig, NameServerConfigGroup, ResolveHosts, ResolverConfig,
};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::TokioResolver;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// Why a connection could not be made, by class.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// Name resolution failed.
    #[error("cannot resolve {host}: {message}")]
    Dns {
        /// The host.
        host: String,
        /// Why.
        message: String,
    },
    /// The address is refused by policy.
    #[error("{0}")]
    Blocked(String),
    /// TCP connect failed.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// The last address tried.
        addr: SocketAddr,
        /// The error.
        source: io::Error,
    },
    /// The TLS handshake failed.
    #[error("TLS handshake with {host} failed: {source}")]
    Tls {
        /// The host.
        host: String,
        /// The error.
        source: io::Error,
    },
    /// The URL cannot be connected to at all.
    #[error("{0}")]
    BadUri(String),
}

/// How a connection was made; attached to the responses it carries.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    /// Name resolution time (`None` for an IP literal).
    pub dns: Option<Duration>,
    /// TCP connect time.
    pub connect: Duration,
    /// TLS handshake time (`None` for plain http).
    pub tls: Option<Duration>,
    /// Set until the first response on this connection claims the timings.
    fresh: Arc<AtomicBool>,
}

impl ConnInfo {
    /// True exactly once: for the first response on the connection.
    pub fn claim_fresh(&self) -> bool {
        self.fresh.swap(false, Ordering::AcqRel)
    }
}

/// How host names are resolved. Cheap to clone.
#[derive(Clone, Default)]
pub enum Resolver {
    /// The system resolver (`getaddrinfo`: hosts file, resolv.conf, NSS).
    #[default]
    System,
    /// Only these name servers (UDP, TCP when an answer is truncated), no
    /// hosts file; answers are cached for their TTL.
    Servers(Arc<TokioResolver>),
}

impl Resolver {
    /// The system resolver when `servers` is empty, otherwise those servers.
    pub fn new(servers: &[SocketAddr]) -> Self {
        if servers.is_empty() {
            return Resolver::System;
        }
        let mut group = NameServerConfigGroup::new();
        for addr in servers {
            group.push(NameServerConfig::new(*addr, Protocol::Udp));
            group.push(NameServerConfig::new(*addr, Protocol::Tcp));
        }
        let config = ResolverConfig::from_parts(None, vec![], group);
        let mut builder =
            TokioResolver::builder_with_config(config, TokioConnectionProvider::default());
        builder.options_mut().use_hosts_file = ResolveHosts::Never;
        Resolver::Servers(Arc::new(builder.build()))
    }

    /// The addresses of `host`, with `port`.
    async fn lookup(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
        match self {
            Resolver::System => tokio::net::lookup_host((host, port))
                .await
                .map(|found| found.collect())
                .map_err(|e| e.to_string()),
            Resolver::Servers(resolver) => resolver
                .lookup_ip(host)
                .await
                .map(|found| found.iter().map(|ip| SocketAddr::new(ip, port)).collect())
                .map_err(|e| e.to_string()),
        }
    }
}

/// Connects with policy checks and timings. Cheap to clone.
#[derive(Clone)]
pub struct Connector {
    policy: Arc<NetPolicy>,
    tls: TlsConnector,
    resolver: Resolver,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Connector {
    /// A connector enforcing `policy`, with TLS from `tls`, resolving names
    /// with `resolver`.
    pub fn new(policy: Arc<NetPolicy>, tls: Arc<rustls::ClientConfig>, resolver: Resolver) -> Self {
        Connector {
            policy,
            tls: TlsConnector::from(tls),
            resolver,
        }
    }

    async fn connect(self, uri: http::Uri) -> Result<HttpStream, ConnectError> {
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") if self.policy.allow_http => false,
            Some("http") => {
                return Err(ConnectError::Blocked(
                    "plain http:// is refused (HERALD_ALLOW_HTTP is off)".into(),
                ))
            }
            other => {
                return Err(ConnectError::BadUri(format!(
                    "unsupported scheme {other:?}"
                )))
            }
        };
        let host = uri
            .host()
            .ok_or_else(|| ConnectError::BadUri("no host".into()))?
            .to_string();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        // A numeric host in any notation (`2130706433`, `0x7f.1`, `127.1`)
        // is the address it denotes, as the system resolver would read it;
        // never a name to ask a DNS server about.
        let literal = match bare.parse::<IpAddr>() {
            Ok(ip) => Some(ip),
            Err(_) => match numeric_ipv4(bare) {
                Some(Ok(v4)) => Some(IpAddr::V4(v4)),
                Some(Err(message)) => return Err(ConnectError::BadUri(message)),
                None => None,
            },
        };

        let started = Instant::now();
        let (addrs, dns): (Vec<SocketAddr>, Option<Duration>) = match literal {
            Some(ip) => (vec![SocketAddr::new(ip, port)], None),
            None => {
                let found = self.resolver.lookup(bare, port).await.map_err(|message| {
                    ConnectError::Dns {
                        host: host.clone(),
                        message,
                    }
                })?;
                if found.is_empty() {
                    return Err(ConnectError::Dns {
                        host,
                        message: "no addresses".into(),
                    });
                }
                (found, Some(started.elapsed()))
            }
        };
        // Every address is checked, and only checked addresses are
        // connected to: nothing is resolved again between check and connect.
        let mut refused = None;
        let allowed: Vec<SocketAddr> = addrs
            .into_iter()
            .filter(|a| {
                let checked = match literal {
                    Some(_) => self.policy.check_ip(a.ip()),
                    None => self.policy.check_resolved(bare, a.ip()),
                };
                match checked {
                    Ok(()) => true,
                    Err(e) => {
                        refused.get_or_insert(e);
                        false
                    }
                }
            })
            .collect();
        if allowed.is_empty() {
            let why = refused.map_or_else(|| format!("{host}: no usable address"), |e| e.0);
            return Err(ConnectError::Blocked(why));
        }

        let connect_started = Instant::now();
        let mut last_error = None;
        let mut tcp = None;
        for addr in allowed {
            match TcpStream::connect(addr).await {
                Ok(stream) => {
                    tcp = Some(stream);
                    break;
                }
                Err(e) => last_error = Some(ConnectError::Connect { addr, source: e }),
            }
        }
        let tcp = match tcp {
            Some(tcp) => tcp,
            None => {
                return Err(last_error
                    .unwrap_or_else(|| ConnectError::BadUri("no address to connect to".into())))
            }
        };
        let _ = tcp.set_nodelay(true);
        let connect = connect_started.elapsed();

        let (io, tls) = if https {
            let tls_started = Instant::now();
            let server = literal.map_or_else(|| bare.to_string(), |ip| ip.to_string());
            let name = rustls::pki_types::ServerName::try_from(server).map_err(|e| {
                ConnectError::BadUri(format!("{host} is not a valid TLS server name: {e}"))
            })?;
            let stream = self
                .tls
                .connect(name, tcp)
                .await
                .map_err(|source| ConnectError::Tls {
                    host: host.clone(),
                    source,
                })?;
            (Io::Tls(Box::new(stream)), Some(tls_started.elapsed()))
        } else {
            (Io::Plain(tcp), None)
        };
        Ok(HttpStream {
            io,
            info: ConnInfo {
                dns,
                connect,
                tls,
                fresh: Arc::new(AtomicBool::new(true)),
            },
        })
    }
}

impl tower::Service<http::Uri> for Connector {
    type Response = TokioIo<HttpStream>;
    type Error = ConnectError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { this.connect(uri).await.map(TokioIo::new) })
    }
}

enum Io {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// A connection to a receiver, plain or TLS, with how it was made.
pub struct HttpStream {
    io: Io,
    info: ConnInfo,
}

impl Connection for HttpStream {
    fn connected(&self) -> Connected {
        let connected = Connected::new().extra(self.info.clone());
        match &self.io {
            Io::Tls(s) if s.get_ref().1.alpn_protocol() == Some(b"h2") => connected.negotiated_h2(),
            _ => connected,
        }
    }
}

impl AsyncRead for HttpStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.io {
            Io::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for HttpStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.io {
            Io::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.io {
            Io::Plain(s) => Pin::new(s).poll_flush(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.io {
            Io::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
