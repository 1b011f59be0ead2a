//! Herald as a real process: spawned from the built binary with its own
//! settings, waited for until it answers, stopped gracefully or killed, and
//! driven through its HTTP API.

use crate::herald_bin;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The operator token tests use.
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// A running `herald serve`.
pub struct HeraldProcess {
    child: Child,
    client: Client<HttpConnector, Full<Bytes>>,
    /// The API base URL.
    pub base: String,
    stderr_path: std::path::PathBuf,
    _dir: Option<tempfile::TempDir>,
}

/// Settings for [`HeraldProcess::start`].
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `HERALD_REDIS_URL` (unset: the embedded default).
    pub redis_url: Option<String>,
    /// Extra environment.
    pub env: Vec<(String, String)>,
    /// `--role`.
    pub role: Option<String>,
}

impl Options {
    /// Herald on `redis_url`, allowed to deliver to loopback and trusting
    /// `ca`, plus `extra` environment.
    pub fn trusting(redis_url: &str, ca: &crate::tls::TestCa, extra: &[(&str, &str)]) -> Self {
        let mut env = vec![
            (
                "HERALD_ALLOW_PRIVATE_NETS".to_string(),
                "127.0.0.0/8".to_string(),
            ),
            (
                "HERALD_EXTRA_CA_FILE".to_string(),
                ca.ca_file.display().to_string(),
            ),
        ];
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Options {
            redis_url: Some(redis_url.to_string()),
            env,
            role: None,
        }
    }

    /// The same with `--role`.
    pub fn role(mut self, role: &str) -> Self {
        self.role = Some(role.to_string());
        self
    }
}

impl HeraldProcess {
    /// Starts Herald and waits for `/healthz`.
    pub async fn start(options: Options) -> Self {
        let port = crate::redis::free_port();
        let dir = tempfile::tempdir().expect("data dir");
        let stderr_path = dir.path().join("herald.log");
        let stderr = std::fs::File::create(&stderr_path).expect("log file");
        let mut cmd = Command::new(herald_bin());
        cmd.arg("serve")
            .args(["--role", options.role.as_deref().unwrap_or("all")])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HERALD_LISTEN", format!("127.0.0.1:{port}"))
            .env("HERALD_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("HERALD_DATA_DIR", dir.path())
            .env("HERALD_LOG", "info,herald=debug")
            .stdout(Stdio::null())
            .stderr(stderr);
        if let Some(url) = &options.redis_url {
            cmd.env("HERALD_REDIS_URL", url);
        }
        for (k, v) in &options.env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("herald starts");
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(64)
            .build_http();
        let mut herald = HeraldProcess {
            client,
            child,
            base: format!("http://127.0.0.1:{port}"),
            stderr_path,
            _dir: Some(dir),
        };
        herald.wait_healthy().await;
        herald
    }

    async fn wait_healthy(&mut self) {
        for _ in 0..300 {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("herald exited early ({status}):\n{}", self.log());
            }
            if let Ok((200, _)) = self.try_call("GET", "/healthz", None).await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "herald did not answer /healthz within 15 s:\n{}",
            self.log()
        );
    }

    /// Everything Herald logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, no goodbye.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait; returns the exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..600 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill9();
        None
    }

    async fn try_call(
        &self,
        method: &str,
        path: &str,
        body: Option<Bytes>,
    ) -> Result<(u16, Value), String> {
        self.try_call_as(ADMIN_TOKEN, method, path, body).await
    }

    async fn try_call_as(
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

    /// Calls the API as the operator with a JSON body.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let bytes = body.map(|b| Bytes::from(b.to_string()));
        self.try_call(method, path, bytes).await.expect("API call")
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
            .expect("API call")
    }

    /// Calls the API with raw bytes.
    pub async fn call_raw(&self, method: &str, path: &str, body: Vec<u8>) -> (u16, Value) {
        self.try_call(method, path, Some(Bytes::from(body)))
            .await
            .expect("API call")
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
        assert_eq!(status, 201, "{hook}");
        hook
    }

    /// Publishes an event; returns the 202 body.
    pub async fn publish(&self, org: &str, body: Value) -> Value {
        let (status, answer) = self
            .call("POST", &format!("/v1/orgs/{org}/events"), Some(body))
            .await;
        assert_eq!(status, 202, "{answer}");
        answer
    }

    /// Publishes events `e0` … `e{n-1}` of type `event_type` (data
    /// `{"i": i}`) from `publishers` concurrent tasks; returns when all are accepted.
    pub async fn publish_numbered(
        self: &std::sync::Arc<Self>,
        org: &str,
        event_type: &str,
        n: usize,
        publishers: usize,
    ) {
        let tasks: Vec<_> = (0..publishers)
            .map(|p| {
                let (h, org, event_type) = (self.clone(), org.to_string(), event_type.to_string());
                tokio::spawn(async move {
                    for i in (p..n).step_by(publishers) {
                        h.publish(
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
            let (_, list) = self
                .call(
                    "GET",
                    &format!("/v1/orgs/{org}/webhooks/{webhook}/deliveries?limit=500"),
                    None,
                )
                .await;
            let items = list["items"].as_array().cloned().unwrap_or_default();
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

impl Drop for HeraldProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
