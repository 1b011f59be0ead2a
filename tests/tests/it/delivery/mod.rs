//! The delivery engine end to end: a real `redis-server`, Herald (in-process
//! unless a test needs the binary: its log, signals, several processes),
//! real HTTPS receivers trusting a test CA, real plugins.

mod auto_disable;
mod change_feed;
mod contracts;
mod ed25519;
mod http2;
mod idle_connections;
mod misbehaving;
mod network_policy;
mod operational;
mod ordering;
mod plugin_languages;
mod plugin_pause;
mod plugins_in_path;
mod rate_limit;
mod retries;
mod signing;
mod slow_lane;
mod streams_and_outcomes;
mod throttling;
mod versioning;

use base64::Engine as _;
use herald_e2e::backend::UsesRedis;
use herald_e2e::herald::HeraldInProcess;
use herald_e2e::receiver::Answer;
use herald_e2e::tls::TestCa;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;

/// How long anything a test waits for may take, even on a busy machine.
const WAIT: Duration = Duration::from_secs(20);

/// Herald in-process on `redis`, trusting `ca`, delivering to loopback.
async fn herald(redis: &(impl UsesRedis + ?Sized), ca: &TestCa) -> HeraldInProcess {
    HeraldInProcess::trusting(redis, ca).await
}

/// `body` (a JSON object) with the fields of `extra` added or replaced.
fn with_fields(mut body: serde_json::Value, extra: serde_json::Value) -> serde_json::Value {
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    body
}

/// A receiver's answer by request number: that status, at once.
fn answer(f: impl Fn(usize) -> u16 + Send + Sync + 'static) -> Answer {
    Arc::new(move |n, _| (f(n), vec![], Duration::ZERO))
}

/// Verifies a Standard Webhooks signature the way a receiver library does.
fn verify_standard(secret: &str, id: &str, ts: &str, body: &[u8], header: &str) -> bool {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .expect("base64 secret");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("key");
    mac.update(format!("{id}.{ts}.").as_bytes());
    mac.update(body);
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    header.split(' ').any(|sig| sig == expected)
}
