//! The management API through HTTP, against Herald in-process and a real
//! Redis: the seed flow, every validation case, permissions and tenant
//! isolation, keys, plugins, secrets, paging, batches, and the OpenAPI
//! document against the routes served.

mod abuse;
mod audit;
mod audit_log;
mod isolation;
mod keys_plugins_secrets;
mod lists_and_batches;
mod openapi;
mod seed_flow;
mod validation;

use herald::config::Settings;
use herald_e2e::backend::TestBackend;
use herald_e2e::herald::{trusting_settings, Api, HeraldInProcess};
use herald_e2e::tls::TestCa;
use serde_json::{json, Value};
use std::time::Duration;

/// How long anything a test waits for may take, even on a busy machine.
const WAIT: Duration = Duration::from_secs(20);

/// A Redis, a CA for the receivers, and Herald in-process (all roles) on
/// them; `configure` adjusts Herald's settings.
async fn setup(configure: impl FnOnce(&mut Settings)) -> (TestBackend, TestCa, HeraldInProcess) {
    let (redis, ca) = (TestBackend::start(), TestCa::new());
    let mut settings = trusting_settings(&redis, &ca);
    configure(&mut settings);
    let h = HeraldInProcess::start(settings, herald::serve::Role::All).await;
    (redis, ca, h)
}

/// A new API key of `org` with `permissions`.
async fn key(h: &Api, org: &str, permissions: &[&str]) -> String {
    let (status, created) = h
        .call(
            "POST",
            &format!("/v1/orgs/{org}/api-keys"),
            Some(json!({"name": "k", "permissions": permissions})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    created["key"].as_str().expect("key").to_string()
}

/// The message of an error body.
fn message(v: &Value) -> &str {
    v["error"]["message"].as_str().unwrap_or_default()
}

/// Registers the built plugin crate `krate` as `name@1.0.0`.
async fn register(h: &Api, name: &str, krate: &str) {
    let wasm = std::fs::read(herald_e2e::plugin_wasm(krate)).expect("plugin built");
    let (status, body) = h
        .call_raw("PUT", &format!("/v1/plugins/{name}/1.0.0"), wasm)
        .await;
    assert_eq!(status, 201, "{body}");
}
