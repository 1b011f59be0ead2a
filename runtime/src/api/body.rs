//! Extractors whose rejections are [`ApiError`]s: the JSON body (also
//! accepted without a JSON content type, so `curl -d '{…}'` works as
//! pasted), path parameters and query strings.

use super::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;

/// A JSON request body. The content type may be absent, JSON
/// (`application/json`, `…+json`) or curl's default for `-d`
/// (`application/x-www-form-urlencoded`); anything else is a 415.
#[derive(Debug)]
pub struct Body<T>(pub T);

/// Whether a request with this content type may carry a JSON body.
fn json_like(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else { return true };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence.is_empty()
        || essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
        || essence == "application/x-www-form-urlencoded"
        || essence == "text/plain"
}

/// Reads a JSON-like body's bytes (or says why not).
pub async fn json_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("?").to_string());
    if !json_like(content_type.as_deref()) {
        return Err(ApiError::media_type(format!(
            "send the body as JSON (`Content-Type: application/json`), not {:?}",
            content_type.unwrap_or_default()
        )));
    }
    Ok(Bytes::from_request(req, state).await?)
}

/// Parses a body that must be a JSON object, as must every struct in it
/// (serde would also read a struct from an array, which no route takes).
fn object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(ApiError::invalid("the body must be a JSON object"));
    }
    super::strict::from_slice(bytes).map_err(|e| ApiError::invalid(e.to_string()))
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = json_bytes(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::invalid("the request needs a JSON body"));
        }
        object(&bytes).map(Body)
    }
}

/// A JSON body that may be left out (an empty body is `None`).
#[derive(Debug)]
pub struct OptionalBody<T>(pub Option<T>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for OptionalBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = json_bytes(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalBody(None));
        }
        object(&bytes).map(|v| OptionalBody(Some(v)))
    }
}

/// Path parameters.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// A query string.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

#[cfg(test)]
mod tests {
    use super::json_like;

    #[test]
    fn json_is_accepted_with_or_without_its_content_type() {
        assert!(json_like(None));
        assert!(json_like(Some("application/json; charset=utf-8")));
        assert!(json_like(Some("application/merge-patch+json")));
        assert!(json_like(Some("application/x-www-form-urlencoded")));
        assert!(!json_like(Some("application/xml")));
        assert!(!json_like(Some("multipart/form-data; boundary=x")));
    }
}
