//! Cursor pagination over Herald's sorted sets (newest first). A cursor is
//! the last item's score and member, so items created in the same
//! millisecond are neither skipped nor repeated, and new items never shift
//! a page.

use super::ApiError;
use crate::store::{Store, StoreError};
use serde::Deserialize;

/// `limit` and `cursor` query parameters.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Items per page, 1 to 500 (default 50).
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The validated limit.
    pub fn limit(&self) -> Result<usize, ApiError> {
        let limit = self.limit.unwrap_or(50);
        if (1..=500).contains(&limit) {
            Ok(limit)
        } else {
            Err(ApiError::invalid("`limit` must be between 1 and 500"))
        }
    }
}

/// A position: the score and member of the last item returned.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    score: i64,
    member: String,
}

impl Cursor {
    /// Parses a cursor this API returned.
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        let bad = || ApiError::invalid("`cursor` is not a cursor this API returned");
        let (score, member) = text.split_once(':').ok_or_else(bad)?;
        Ok(Cursor {
            score: score.parse().map_err(|_| bad())?,
            member: member.to_string(),
        })
    }

    /// The text form.
    pub fn encode(&self) -> String {
        format!("{}:{}", self.score, self.member)
    }
}

/// Up to `n` members of `key` after `after` (newest first), with the cursor
/// of the last one returned.
pub async fn after(
    store: &Store,
    key: &str,
    after: Option<&Cursor>,
    n: usize,
) -> Result<Vec<(String, Cursor)>, ApiError> {
    let max = after.map_or_else(|| "+inf".to_string(), |c| c.score.to_string());
    // Equal scores come in descending member order; skip those already returned.
    let fetched: Vec<(String, i64)> = redis::cmd("ZREVRANGEBYSCORE")
        .arg(key)
        .arg(max)
        .arg("-inf")
        .arg("WITHSCORES")
        .arg("LIMIT")
        .arg(0)
        .arg(n + 1000)
        .query_async(&mut store.con())
        .await
        .map_err(StoreError::from)?;
    Ok(fetched
        .into_iter()
        .filter(|(member, score)| {
            after.is_none_or(|c| *score < c.score || (*score == c.score && member < &c.member))
        })
        .take(n)
        .map(|(member, score)| (member.clone(), Cursor { score, member }))
        .collect())
}

/// One page of members of `key`: the members and `next_cursor`.
pub async fn page(
    store: &Store,
    key: &str,
    q: &PageQuery,
) -> Result<(Vec<String>, Option<String>), ApiError> {
    let limit = q.limit()?;
    let cursor = q.cursor.as_deref().map(Cursor::parse).transpose()?;
    let mut items = after(store, key, cursor.as_ref(), limit + 1).await?;
    let next = (items.len() > limit).then(|| items[limit - 1].1.encode());
    items.truncate(limit);
    Ok((items.into_iter().map(|(m, _)| m).collect(), next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursor {
            score: 17,
            member: "wh_a:b".into(),
        };
        assert_eq!(Cursor::parse(&c.encode()).ok(), Some(c));
        assert!(Cursor::parse("nope").is_err());
        assert!(Cursor::parse("x:y").is_err());
    }
}
