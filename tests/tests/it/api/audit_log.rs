//! What the audit test reads the log with: every entry through paging,
//! and a checker that each call wrote exactly one entry holding no secret.

use herald_e2e::herald::{Api, ADMIN_TOKEN};
use serde_json::{json, Value};
use std::collections::HashSet;

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

/// The end of the audit test: an org's own log (its entries only, with
/// `keys:write`; another org's and the operator's are refused), the
/// filters, paging without repeats, the oldest cursor, and a deleted org's
/// log gone with it.
pub(super) async fn own_logs_and_paging(
    log: &mut Audited<'_>,
    org: &str,
    key: &str,
    key_id: &str,
    hook_path: &str,
) {
    let h = log.h;
    let op = ADMIN_TOKEN;
    let orgs = format!("/v1/orgs/{org}");
    // An org's own log: its entries only, readable with keys:write.
    let (other, _) = log
        .call(
            op,
            ("POST", "/v1/orgs", Some(json!({"name": "Other"}))),
            201,
            "org.create",
        )
        .await;
    let other = other["id"].as_str().expect("org").to_string();
    let (status, own) = h
        .call_as(key, "GET", &format!("{orgs}/audit?limit=500"), None)
        .await;
    assert_eq!(status, 200, "{own}");
    let own = own["items"].as_array().expect("items").clone();
    assert!(own.iter().all(|e| e["org"] == org), "only its own");
    assert!(own.len() >= 15, "{}", own.len());
    let (status, _) = h
        .call_as(key, "GET", &format!("/v1/orgs/{other}/audit"), None)
        .await;
    assert_eq!(status, 404, "another org's log is not there");
    let (status, _) = h.call_as(key, "GET", "/v1/audit", None).await;
    assert_eq!(status, 403, "the operator's log is the operator's");
    let (_, by_key) = h
        .call(
            "GET",
            &format!("/v1/audit?actor={key_id}&action=webhook&limit=500"),
            None,
        )
        .await;
    let actions: HashSet<&str> = by_key["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        HashSet::from([
            "webhook.create",
            "webhook.update",
            "webhook.secret.read",
            "webhook.secret.rotate",
            "webhook.test"
        ])
    );

    // Paging (3 a page) sees every entry once; revoking and deleting are the last ones.
    log.call(key, ("DELETE", hook_path, None), 204, "webhook.delete")
        .await;
    log.call(
        op,
        ("DELETE", &format!("{orgs}/api-keys/{key_id}"), None),
        204,
        "key.revoke",
    )
    .await;
    log.call(op, ("DELETE", &orgs, None), 204, "org.delete")
        .await;
    let paged = all_entries(h, "").await;
    let ids: HashSet<&str> = paged.iter().filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(ids.len(), paged.len(), "no entry twice across pages");
    // The oldest cursor there is: an empty page, not an error.
    let (status, oldest) = h.call("GET", "/v1/audit?cursor=0-0", None).await;
    assert_eq!(
        (status, oldest["items"].as_array().map(Vec::len)),
        (200, Some(0)),
        "{oldest}"
    );
    let (status, _) = h.call("GET", &format!("{orgs}/audit"), None).await;
    assert_eq!(status, 404, "a deleted org's log is gone with it");
    let (_, org_only) = h.call("GET", &format!("/v1/audit?org={other}"), None).await;
    assert_eq!(
        org_only["items"].as_array().map(Vec::len),
        Some(1),
        "{org_only}"
    );
}
