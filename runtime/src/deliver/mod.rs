//! Sending one attempt: hyper over rustls with pooled connections per host,
//! the webhook's timeout over the whole exchange, redirects never followed,
//! the response body read up to 64 KiB and then dropped, and every failure
//! classified (`timeout`, `connect`, `dns`, `tls`, `status`, `protocol`,
//! `blocked`).

pub mod addresses;
pub mod connector;
pub mod policy;

use crate::model::{ErrorClass, Timings};
use bytes::Bytes;
use connector::{ConnInfo, ConnectError, Connector, Resolver};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use policy::NetPolicy;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Response bytes kept per attempt.
pub const MAX_RESPONSE_BODY: usize = 64 << 10;

/// Why the TLS setup failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot load extra CA file {path}: {message}")]
pub struct TlsSetupError {
    /// The file.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// The client TLS config: the public (Mozilla) roots plus an optional PEM file.
pub fn tls_config(
    extra_ca_file: Option<&Path>,
) -> Result<Arc<rustls::ClientConfig>, TlsSetupError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = extra_ca_file {
        use rustls::pki_types::pem::PemObject;
        let err = |message: String| TlsSetupError {
            path: path.display().to_string(),
            message,
        };
        let certs = rustls::pki_types::CertificateDer::pem_file_iter(path)
            .map_err(|e| err(e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| err(e.to_string()))?;
        if certs.is_empty() {
            return Err(err("no PEM certificates in it".into()));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| err(e.to_string()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsSetupError {
            path: "-".into(),
            message: e.to_string(),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// One outgoing request, signed and ready.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Where.
    pub uri: http::Uri,
    /// Headers, in order.
    pub headers: http::HeaderMap,
    /// The exact signed bytes.
    pub body: Bytes,
    /// The webhook's timeout for the whole exchange.
    pub timeout: Duration,
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Received {
    /// Status code.
    pub status: http::StatusCode,
    /// Headers.
    pub headers: http::HeaderMap,
    /// Up to [`MAX_RESPONSE_BODY`] bytes of the body.
    pub body: Bytes,
    /// Whether more was there.
    pub truncated: bool,
}

/// A failed exchange.
#[derive(Debug, Clone)]
pub struct SendFailure {
    /// The class.
    pub class: ErrorClass,
    /// What happened.
    pub message: String,
}

/// The pooled client. Cheap to clone.
#[derive(Clone)]
pub struct Sender {
    client: Client<Connector, Full<Bytes>>,
}

impl Sender {
    /// A sender enforcing `policy`, trusting `tls`'s roots, resolving
    /// names with `resolver`; with `http2`, offering HTTP/2 to HTTPS
    /// receivers by ALPN (HTTP/1.1 otherwise, and always for plain HTTP);
    /// closing connections left unused for `idle_timeout` (checked every
    /// `idle_timeout`, so one goes between one and two of them after its
    /// last use).
    pub fn new(
        policy: Arc<NetPolicy>,
        tls: Arc<rustls::ClientConfig>,
        resolver: Resolver,
        http2: bool,
        idle_timeout: Duration,
    ) -> Self {
        let tls = if http2 {
            let mut config = (*tls).clone();
            config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
            Arc::new(config)
        } else {
            tls
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(idle_timeout)
            // Without a timer the pool never looks for idle connections
            // (only a later checkout drops an expired one): a receiver that
            // never closes its side kept every connection open for good.
            .pool_timer(TokioTimer::new())
            .pool_max_idle_per_host(256)
            .build(Connector::new(policy, tls, resolver));
        Sender { client }
    }

    /// Sends `out`; the timings are filled in either way.
    pub async fn send(
        &self,
        out: Outgoing,
        timings: &mut Timings,
    ) -> Result<Received, SendFailure> {
        let started = Instant::now();
        let timeout = out.timeout;
        let result = tokio::time::timeout(timeout, self.exchange(out, timings, started)).await;
        match result {
            Ok(r) => r,
            Err(_) => Err(SendFailure {
                class: ErrorClass::Timeout,
                message: format!(
                    "no complete response within {}",
                    crate::model::duration_str::format(&timeout)
                ),
            }),
        }
    }

    async fn exchange(
        &self,
        out: Outgoing,
        timings: &mut Timings,
        started: Instant,
    ) -> Result<Received, SendFailure> {
        let mut request = http::Request::new(Full::new(out.body));
        *request.method_mut() = http::Method::POST;
        *request.uri_mut() = out.uri;
        *request.headers_mut() = out.headers;
        let response = self.client.request(request).await.map_err(classify)?;
        let head_at = started.elapsed();
        match response.extensions().get::<ConnInfo>() {
            Some(info) if info.claim_fresh() => {
                timings.dns_ms = info.dns.map(ms);
                timings.connect_ms = Some(ms(info.connect));
                timings.tls_ms = info.tls.map(ms);
                let setup =
                    info.dns.unwrap_or_default() + info.connect + info.tls.unwrap_or_default();
                timings.first_byte_ms = Some(ms(head_at.saturating_sub(setup)));
            }
            _ => {
                timings.reused_connection = true;
                timings.first_byte_ms = Some(ms(head_at));
            }
        }
        let (parts, mut body) = response.into_parts();
        let mut kept = Vec::new();
        let mut truncated = false;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| SendFailure {
                class: if e.is_parse() {
                    ErrorClass::Protocol
                } else {
                    ErrorClass::Connect
                },
                message: format!("reading the response body: {}", chain(&e)),
            })?;
            if let Ok(data) = frame.into_data() {
                let room = MAX_RESPONSE_BODY - kept.len();
                if data.len() > room {
                    kept.extend_from_slice(&data[..room]);
                    truncated = true;
                    break;
                }
                kept.extend_from_slice(&data);
            }
        }
        Ok(Received {
            status: parts.status,
            headers: parts.headers,
            body: Bytes::from(kept),
            truncated,
        })
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Classifies a client error by the connector error inside it, if any.
fn classify(error: hyper_util::client::legacy::Error) -> SendFailure {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(e) = source {
        if let Some(ce) = e.downcast_ref::<ConnectError>() {
            let class = match ce {
                ConnectError::Dns { .. } => ErrorClass::Dns,
                ConnectError::Blocked(_) | ConnectError::BadUri(_) => ErrorClass::Blocked,
                ConnectError::Connect { .. } => ErrorClass::Connect,
                ConnectError::Tls { .. } => ErrorClass::Tls,
            };
            return SendFailure {
                class,
                message: ce.to_string(),
            };
        }
        source = e.source();
    }
    let mut class = ErrorClass::Connect;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(e) = source {
        if e.downcast_ref::<hyper::Error>()
            .is_some_and(|h| h.is_parse())
        {
            class = ErrorClass::Protocol;
        }
        source = e.source();
    }
    SendFailure {
        class,
        message: chain(&error),
    }
}

/// An error with its sources, `outer: inner: …`.
fn chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut inner = error.source();
    while let Some(e) = inner {
        message = format!("{message}: {e}");
        inner = e.source();
    }
    message
}
