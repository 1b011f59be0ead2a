//! One JSON request to a running Herald's API, over `http://` or
//! `https://` (public roots plus an optional CA file), for commands that
//! talk to a server rather than to Redis (`herald plugin dry-run`).

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use std::path::Path;
use std::time::Duration;

/// Why a call to the API did not get an answer.
#[derive(Debug, thiserror::Error)]
pub enum ApiCallError {
    /// The base URL is unusable.
    #[error("--url {0:?} is not a URL like http://127.0.0.1:8080 or https://herald.example.com")]
    Url(String),
    /// No connection, no TLS, or no complete answer.
    #[error("{url}: {message}")]
    Transport {
        /// The full URL called.
        url: String,
        /// What went wrong.
        message: String,
    },
}

/// A JSON answer: status and body text.
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body, lossy UTF-8.
    pub body: String,
}

/// `POST base + path` with a JSON body and a bearer token; waits at most
/// `timeout` for the whole answer.
pub async fn post_json(
    base: &str,
    path: &str,
    token: &str,
    json: Vec<u8>,
    ca_file: Option<&Path>,
    timeout: Duration,
) -> Result<Answer, ApiCallError> {
    let url = format!("{}{path}", base.trim_end_matches('/'));
    let uri: http::Uri = url.parse().map_err(|_| ApiCallError::Url(base.into()))?;
    let tls = match uri.scheme_str() {
        Some("http") => false,
        Some("https") => true,
        _ => return Err(ApiCallError::Url(base.into())),
    };
    let host = uri.host().ok_or_else(|| ApiCallError::Url(base.into()))?;
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    let fail = |message: String| ApiCallError::Transport {
        url: url.clone(),
        message,
    };
    let request = hyper::Request::post(uri.path_and_query().map_or("/", |p| p.as_str()))
        .header(
            hyper::header::HOST,
            uri.authority().map_or(host, |a| a.as_str()),
        )
        .header(hyper::header::AUTHORIZATION, format!("Bearer {token}"))
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(json)))
        .map_err(|e| fail(e.to_string()))?;
    let exchange = async {
        let tcp = tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port))
            .await
            .map_err(|e| fail(format!("cannot connect: {e}")))?;
        let response = if tls {
            let config = crate::deliver::tls_config(ca_file).map_err(|e| fail(e.to_string()))?;
            let name =
                rustls::pki_types::ServerName::try_from(host.trim_matches(['[', ']']).to_string())
                    .map_err(|e| fail(e.to_string()))?;
            let stream = tokio_rustls::TlsConnector::from(config)
                .connect(name, tcp)
                .await
                .map_err(|e| fail(format!("TLS: {e}")))?;
            send(TokioIo::new(stream), request).await
        } else {
            send(TokioIo::new(tcp), request).await
        }
        .map_err(|e| fail(e.to_string()))?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| fail(e.to_string()))?
            .to_bytes();
        Ok(Answer {
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| fail(format!("no answer within {timeout:?}")))?
}

async fn send<S>(
    io: TokioIo<S>,
    request: hyper::Request<Full<Bytes>>,
) -> Result<hyper::Response<hyper::body::Incoming>, hyper::Error>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io).await?;
    tokio::spawn(connection);
    sender.send_request(request).await
}
