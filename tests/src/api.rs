//! A client of Herald's HTTP API, shared by [`crate::herald::HeraldProcess`]
//! and [`crate::herald::HeraldInProcess`] (both dereference to it), with the
//! few steps every test repeats: create an org, a webhook, publish, poll the
//! delivery log.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

/// The operator token tests use.
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// Herald's API at one base URL.
#[derive(Clone)]
pub struct Api {
    client: Client<HttpConnector, Full<Bytes>>,
    /// The API base URL (`http://127.0.0.1:<port>`).
    pub base: String,
    /// Herald's log file, when it has one, shown when a call fails.
    log_path: Option<PathBuf>,
}

impl Api {
    /// A client of the API at `base`; `log_path` is quoted in failures.
    pub fn new(base: String, log_path: Option<PathBuf>) -> Self {
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(64)
            .build_http();
        Api {
            client,
            base,
            log_path,
        }
    }

    /// Everything Herald logged so far (empty when it runs in this process).
    pub fn log(&self) -> String {
        self.log_path
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default()
    }

    /// Calls the API as `key`; `Err` when no answer came (not yet listening,
    /// connection refused).
    pub async fn try_call_as(
        &self,
        key: &str,
        method: &str,
        path: &str,
        body: Option<Bytes>,
    ) -> Result<(u16, Value), String> {
        let request = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {key}"))
            .header("content-type", "application/json")
            .body(Full::new(body.unwrap_or_default()))
            .map_err(|e| e.to_string())?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        Ok((status, value))
    }

    /// Calls `path` with exactly `headers` (no key unless one is among
    /// them) and a text body; answers the status, the response headers
    /// and the body (JSON, or a JSON string of the text).
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> (u16, Vec<(String, String)>, Value) {
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .expect("request");
        let response = self
            .client
            .request(request)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}\n{}", self.log()));
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    v.to_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, headers, value)
    }

    /// Waits until `/healthz` answers 200, or `gave_up` says to stop (the
    /// server exited: its message); panics after 30 s.
    pub async fn wait_healthy(&self, mut gave_up: impl FnMut() -> Option<String>) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(why) = gave_up() {
                panic!("herald stopped before it answered: {why}\n{}", self.log());
            }
            if let Ok((200, _)) = self.try_call_as(ADMIN_TOKEN, "GET", "/healthz", None).await {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "herald did not answer /healthz within 30 s:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Calls the API as the operator with a JSON body.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.call_as(ADMIN_TOKEN, method, path, body).await
    }

    /// Calls the API with another key.
    pub async fn call_as(
        &self,
        key: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let bytes = body.map(|b| Bytes::from(b.to_string()));
        self.try_call_as(key, method, path, bytes)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}\n{}", self.log()))
    }

    /// Calls the API with raw bytes.
    pub async fn call_raw(&self, method: &str, path: &str, body: Vec<u8>) -> (u16, Value) {
        self.try_call_as(ADMIN_TOKEN, method, path, Some(Bytes::from(body)))
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}\n{}", self.log()))
    }

    /// Creates an org; returns its id.
    pub async fn org(&self) -> String {
        let (status, org) = self
            .call(
                "POST",
                "/v1/orgs",
                Some(serde_json::json!({"name": "Acme"})),
            )
            .await;
        assert_eq!(status, 201, "{org}\n{}", self.log());
        org["id"].as_str().expect("org id").to_string()
    }

    /// Creates a webhook; returns the created body (with `id` and `secret`).
    pub async fn webhook(&self, org: &str, body: Value) -> Value {
        let (status, hook) = self
            .call("POST", &format!("/v1/orgs/{org}/webhooks"), Some(body))
            .await;
        assert_eq!(status, 201, "{hook}\n{}", self.log());
        hook
    }

    /// Publishes an event; returns the 202 body.
    pub async fn publish(&self, org: &str, body: Value) -> Value {
        let (status, answer) = self
            .call("POST", &format!("/v1/orgs/{org}/events"), Some(body))
            .await;
        assert_eq!(status, 202, "{answer}\n{}", self.log());
        answer
    }

    /// Publishes events `e0` … `e{n-1}` of type `event_type` (data
    /// `{"i": i}`) from `publishers` concurrent tasks; returns when all are accepted.
    pub async fn publish_numbered(&self, org: &str, event_type: &str, n: usize, publishers: usize) {
        let tasks: Vec<_> = (0..publishers)
            .map(|p| {
                let (api, org, event_type) = (self.clone(), org.to_string(), event_type.to_string());
                tokio::spawn(async move {
                    for i in (p..n).step_by(publishers) {
                        api.publish(
                            &org,
                            serde_json::json!({"id": format!("e{i}"), "type": event_type, "data": {"i": i}}),
                        )
                        .await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("publisher");
        }
    }

    /// Deliveries of `wh` recorded as succeeded (each counted once), read
    /// through the API page by page.
    pub async fn succeeded(&self, org: &str, wh: &str) -> usize {
        self.all_deliveries(org, wh, "&status=succeeded")
            .await
            .iter()
            .map(|item| item["id"].as_str().unwrap_or_default().to_string())
            .collect::<std::collections::HashSet<_>>()
            .len()
    }

    /// Every entry of `wh`'s delivery log, read through the API page by
    /// page; `query` (e.g. `&status=dead`) is added to each page's request.
    pub async fn all_deliveries(&self, org: &str, wh: &str, query: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor = String::new();
        loop {
            let (status, page) = self
                .call(
                    "GET",
                    &format!("/v1/orgs/{org}/webhooks/{wh}/deliveries?limit=500{query}{cursor}"),
                    None,
                )
                .await;
            assert_eq!(status, 200, "{page}");
            items.extend(page["items"].as_array().into_iter().flatten().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => return items,
            }
        }
    }

    /// A webhook's delivery log, newest first (up to 500 entries).
    pub async fn deliveries(&self, org: &str, webhook: &str) -> Vec<Value> {
        let (status, list) = self
            .call(
                "GET",
                &format!("/v1/orgs/{org}/webhooks/{webhook}/deliveries?limit=500"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{list}");
        list["items"].as_array().cloned().unwrap_or_default()
    }

    /// Polls a webhook's delivery log until `pred` holds on it.
    pub async fn wait_deliveries(
        &self,
        org: &str,
        webhook: &str,
        timeout: Duration,
        pred: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let items = self.deliveries(org, webhook).await;
            if pred(&items) {
                return items;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "deliveries never reached the expected state: {items:#?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
