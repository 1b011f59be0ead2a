//! The audit log in Redis: one stream of every entry (the operator's
//! view) and one per org (an org's own entries, in the org's slot), each
//! entry's JSON in field `e`. Both keep entries as long as delivery logs
//! (`retention`): each append trims what is older, and an org's stream
//! expires `retention` after its last entry (or goes when the org is
//! deleted; the operator's stream keeps every entry).

use super::{now_ms, Store, StoreError};
use crate::model::audit::AuditEntry;
use redis::streams::StreamRangeReply;

/// Entries read from Redis per round trip while filling a page.
const SCAN_BATCH: usize = 500;
/// Entries looked at for one page at most: a filter that matches little
/// answers a short page with a cursor rather than reading the whole log.
const SCAN_BUDGET: usize = 10_000;

/// What a page of the audit log holds.
#[derive(Debug, Default)]
pub struct AuditScan {
    /// Matching entries, newest first.
    pub entries: Vec<AuditEntry>,
    /// The id to continue below, when older entries may still match.
    pub next: Option<String>,
}

/// The stream id just before `id` (`ms-seq`), or `None` for `0-0` (or an
/// id that is not one).
fn preceding(id: &str) -> Option<String> {
    let (ms, seq) = id.split_once('-')?;
    let (ms, seq): (u64, u64) = (ms.parse().ok()?, seq.parse().ok()?);
    match (ms, seq) {
        (0, 0) => None,
        (ms, 0) => Some(format!("{}-{}", ms - 1, u64::MAX)),
        (ms, seq) => Some(format!("{ms}-{}", seq - 1)),
    }
}

impl Store {
    /// Appends `entry` to the log of every org and, when it names an org,
    /// to that org's log (except `skip_org`: an org's deletion is kept in
    /// the operator's log only).
    pub async fn append_audit(&self, entry: &AuditEntry, skip_org: bool) -> Result<(), StoreError> {
        let json = serde_json::to_string(entry).map_err(|e| StoreError::Corrupt {
            key: self.keys.audit(),
            message: e.to_string(),
        })?;
        let oldest = (now_ms() - self.retention_secs() * 1000).max(0);
        let mut con = self.con();
        let mut keys = vec![self.keys.audit()];
        if let (Some(org), false) = (entry.org.as_deref(), skip_org) {
            keys.push(self.keys.org_audit(org));
        }
        for key in keys {
            let _: String = redis::cmd("XADD")
                .arg(&key)
                .arg("MINID")
                .arg("~")
                .arg(oldest)
                .arg("*")
                .arg("e")
                .arg(&json)
                .query_async(&mut con)
                .await?;
            if key != self.keys.audit() {
                let _: i64 = redis::cmd("EXPIRE")
                    .arg(&key)
                    .arg(self.retention_secs())
                    .query_async(&mut con)
                    .await?;
            }
        }
        Ok(())
    }

    /// Up to `limit` entries of the log (`org`'s, or every org's), newest
    /// first, older than the entry id `before` and within `[since_ms,
    /// until_ms]`, that `keep` accepts.
    pub async fn audit_page(
        &self,
        org: Option<&str>,
        before: Option<&str>,
        (since_ms, until_ms): (Option<i64>, Option<i64>),
        limit: usize,
        keep: impl Fn(&AuditEntry) -> bool,
    ) -> Result<AuditScan, StoreError> {
        let key = org.map_or_else(|| self.keys.audit(), |o| self.keys.org_audit(o));
        let mut end = match (before, until_ms) {
            // The id just below `before`: an exclusive `(0-0` is an error in Redis.
            (Some(b), _) => match preceding(b) {
                Some(id) => id,
                None => return Ok(AuditScan::default()),
            },
            (None, Some(until)) => until.max(0).to_string(),
            (None, None) => "+".to_string(),
        };
        let start = since_ms.map_or_else(|| "-".to_string(), |s| s.max(0).to_string());
        let mut scan = AuditScan::default();
        let mut looked = 0;
        let mut last_seen: Option<String> = None;
        loop {
            let reply: StreamRangeReply = redis::cmd("XREVRANGE")
                .arg(&key)
                .arg(&end)
                .arg(&start)
                .arg("COUNT")
                .arg(SCAN_BATCH)
                .query_async(&mut self.con())
                .await?;
            let got = reply.ids.len();
            for item in reply.ids {
                looked += 1;
                last_seen = Some(item.id.clone());
                match preceding(&item.id) {
                    Some(id) => end = id,
                    None => return Ok(scan),
                }
                let Some(json) = item.get::<String>("e") else {
                    continue;
                };
                let mut entry: AuditEntry =
                    serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
                        key: format!("{key} {}", item.id),
                        message: e.to_string(),
                    })?;
                entry.id = item.id;
                if keep(&entry) {
                    scan.entries.push(entry);
                    if scan.entries.len() == limit {
                        scan.next = scan.entries.last().map(|e| e.id.clone());
                        return Ok(scan);
                    }
                }
            }
            if got < SCAN_BATCH {
                return Ok(scan);
            }
            if looked >= SCAN_BUDGET {
                scan.next = last_seen;
                return Ok(scan);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::preceding;

    #[test]
    fn the_id_before_an_id() {
        assert_eq!(preceding("5-3").as_deref(), Some("5-2"));
        assert_eq!(preceding("5-0"), Some(format!("4-{}", u64::MAX)));
        assert_eq!(preceding("0-0"), None);
        assert_eq!(preceding("nonsense"), None);
    }
}
