//! The dashboard and customer portal (`/ui/`): portal links
//! ([`portal`]), signing in and the page's security headers ([`sign_in`])
//! over HTTP, and the whole main flow clicked through in a real browser
//! ([`browser`]).

mod browser;
mod portal;
mod sign_in;

use herald_e2e::herald::HeraldInProcess;
use serde_json::{json, Value};

/// The session cookie of a `Set-Cookie` among `headers`, and the whole header.
pub(super) fn session_cookie(headers: &[(String, String)]) -> (String, String) {
    let header = headers
        .iter()
        .find(|(n, v)| n == "set-cookie" && v.starts_with("herald_session="))
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no session cookie in {headers:?}"));
    let value = header
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    (value, header)
}

/// The code of a portal link's URL.
pub(super) fn code_of(link: &Value) -> String {
    let url = link["url"].as_str().expect("url");
    url.split_once("#code=")
        .expect("code in the fragment")
        .1
        .to_string()
}

pub(super) async fn org_key(
    herald: &HeraldInProcess,
    org: &str,
    permissions: Value,
) -> (String, String) {
    let (status, key) = herald
        .call(
            "POST",
            &format!("/v1/orgs/{org}/api-keys"),
            Some(json!({"name": "backend", "permissions": permissions})),
        )
        .await;
    assert_eq!(status, 201, "{key}");
    (
        key["key"].as_str().expect("key").to_string(),
        key["id"].as_str().expect("id").to_string(),
    )
}

/// An API-only Herald on its own Redis.
pub(super) async fn api_only(redis: &herald_e2e::redis::TestRedis) -> HeraldInProcess {
    let mut settings = herald::config::Settings::default();
    herald_e2e::backend::UsesRedis::apply_to(redis, &mut settings);
    HeraldInProcess::start(settings, herald::serve::Role::Api).await
}
