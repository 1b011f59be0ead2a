//! The dashboard in a real browser: `tests/browser/dashboard.mjs` drives
//! Debian's Chromium (playwright-core) against this test's Herald, Redis
//! and HTTPS receiver. Its steps are listed in that file: sign in, create a
//! webhook from the form, toggle it, send a test event, watch published
//! events arrive in the log, expand attempts, retry, replay, rotate the
//! secret, portal links bound to one org, read-only sessions, CSRF, markup
//! in every field, keyboard-only use, accessible names. Screenshots go to
//! `target/dashboard-screenshots/`.
//!
//! Needs Chromium, Node.js and playwright-core: `bash tests/browser/tools.sh`
//! installs them (`tests/run.sh` runs it first).

use herald_e2e::herald::{HeraldInProcess, ADMIN_TOKEN};
use herald_e2e::receiver::{Receiver, TEST_BODY};
use herald_e2e::redis::TestRedis;
use herald_e2e::tls::TestCa;
use herald_e2e::{plugin_wasm, target_dir, workspace_root};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Markup a receiver sends back in a header and its body.
const MARKUP: &str = "<script>window.pwned=3</script>\"><img src=x onerror=\"window.pwned=4\">";

/// Where playwright-core was installed (tests/browser/tools.sh).
fn browser_tools() -> PathBuf {
    let tools = std::env::var_os("HERALD_TOOLS_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/herald")))
        .unwrap_or_default()
        .join("browser");
    assert!(
        tools.join("node_modules/playwright-core").is_dir()
            && PathBuf::from("/usr/bin/chromium").exists(),
        "the browser test needs Chromium and playwright-core: run `bash tests/browser/tools.sh` \
         (tests/run.sh runs it)"
    );
    tools
}

/// `/ok` answers 200; `/flaky` fails each delivery's first attempt (by its
/// `webhook-id`) with 500; `/fail` always answers 500. Every answer carries
/// markup in the `x-evil` header and the body.
async fn receiver(ca: &TestCa) -> Receiver {
    let seen: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    Receiver::start(
        Some(ca.server.clone()),
        Arc::new(move |_, r| {
            let id = r.header("webhook-id").unwrap_or_default().to_string();
            let attempt = {
                let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
                let n = seen.entry(id).or_default();
                *n += 1;
                *n
            };
            let status = match r.path.as_str() {
                "/fail" => 500,
                "/flaky" if attempt == 1 => 500,
                _ => 200,
            };
            let headers = vec![
                ("x-evil".to_string(), MARKUP.to_string()),
                (
                    TEST_BODY.to_string(),
                    format!("answer from {} {MARKUP}", r.path),
                ),
            ];
            (status, headers, Duration::ZERO)
        }),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_real_browser() {
    let tools = browser_tools();
    let redis = TestRedis::start();
    let ca = TestCa::new();
    let herald = HeraldInProcess::trusting(&redis, &ca).await;
    let receiver = receiver(&ca).await;
    let shots = target_dir().join("dashboard-screenshots");
    let script = workspace_root().join("tests/browser/dashboard.mjs");
    let base = receiver.url();
    let base = base.trim_end_matches("/hook");
    let mut child = tokio::process::Command::new("node")
        .arg(&script)
        .env("HERALD_URL", &herald.base)
        .env("HERALD_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("RECEIVER_BASE", base)
        .env("SCREENSHOTS", &shots)
        .env("BROWSER_TOOLS", &tools)
        .env("PLUGIN_WASM", plugin_wasm("threshold-filter"))
        .kill_on_drop(true)
        .spawn()
        .expect("run node (tests/browser/tools.sh installs it)");
    let status = child.wait().await.expect("node ran");
    assert!(
        status.success(),
        "the browser test failed (its steps are above; a screenshot of the failure is in {})",
        shots.display()
    );
    drop(herald);
}
