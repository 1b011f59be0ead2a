//! What the audit test reads the log with: every entry through paging,
//! and a checker that each call wrote exactly one entry holding no secret.

use herald_e2e::herald::Api;
use serde_json::Value;

/// Every entry of the operator's log, newest first, paging with `query`.
pub(super) async fn all_entries(h: &Api, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = match &cursor {
            Some(c) => format!("/v1/audit?{query}&limit=3&cursor={c}"),
            None => format!("/v1/audit?{query}&limit=3"),
        };
        let (status, body) = h.call("GET", &page, None).await;
        assert_eq!(status, 200, "{body}");
        out.extend(body["items"].as_array().expect("items").iter().cloned());
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
}

/// Runs a request as `key` that must answer `status`, then checks that it
/// wrote exactly one entry, of `action`; returns the entry.
pub(super) struct Audited<'a> {
    pub(super) h: &'a Api,
    pub(super) seen: usize,
    pub(super) secrets: Vec<String>,
}

impl Audited<'_> {
    pub(super) async fn count(&self) -> usize {
        all_entries(self.h, "").await.len()
    }

    pub(super) async fn call(
        &mut self,
        key: &str,
        (method, path, body): (&str, &str, Option<Value>),
        status: u16,
        action: &str,
    ) -> (Value, Value) {
        let (got, answer) = self.h.call_as(key, method, path, body).await;
        assert_eq!(got, status, "{method} {path}: {answer}");
        self.one(action).await;
        (answer, self.newest().await)
    }

    pub(super) async fn newest(&self) -> Value {
        let (_, body) = self.h.call("GET", "/v1/audit?limit=1", None).await;
        body["items"][0].clone()
    }

    /// Exactly one entry more than before, of `action`, holding no secret.
    pub(super) async fn one(&mut self, action: &str) {
        let now = self.count().await;
        assert_eq!(
            now,
            self.seen + 1,
            "{action}: {} new entries",
            now - self.seen
        );
        self.seen = now;
        let entry = self.newest().await;
        assert_eq!(entry["action"], action, "{entry}");
        assert_eq!(entry["address"], "127.0.0.1", "{entry}");
        assert!(entry["status"]
            .as_u64()
            .is_some_and(|s| (200..300).contains(&s)));
        let text = entry.to_string();
        for secret in &self.secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{action} entry holds a secret: {text}"
            );
        }
    }

    /// No entry of the whole log holds a secret known so far.
    pub(super) async fn no_secret_anywhere(&self) {
        let text = serde_json::to_string(&all_entries(self.h, "").await).expect("json");
        for secret in &self.secrets {
            assert!(
                !text.contains(secret.as_str()),
                "the audit log holds a secret"
            );
        }
    }

    /// No entry more than before.
    pub(super) async fn none(&self, what: &str) {
        assert_eq!(self.count().await, self.seen, "{what} wrote an entry");
    }
}
