//! Cursor paging over sorted sets scored by time, newest first. A cursor
//! names the last item returned (score and member), so a page never repeats
//! or skips an item, even among items with equal scores.

use super::{Store, StoreError};

/// Where a page ends: the score and member of its last item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The score (creation time in ms).
    pub score: i64,
    /// The member (an id).
    pub member: String,
}

impl Cursor {
    /// Parses a cursor's text form (`None`: not a cursor this API returned).
    pub fn parse(text: &str) -> Option<Self> {
        let (score, member) = text.split_once(':')?;
        Some(Cursor {
            score: score.parse().ok()?,
            member: member.to_string(),
        })
    }

    /// The text form.
    pub fn encode(&self) -> String {
        format!("{}:{}", self.score, self.member)
    }
}

/// Up to `n` members of `key` after `after` (newest first), each with its cursor.
pub async fn after(
    store: &Store,
    key: &str,
    after: Option<&Cursor>,
    n: usize,
) -> Result<Vec<(String, Cursor)>, StoreError> {
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
        .await?;
    Ok(fetched
        .into_iter()
        .filter(|(member, score)| {
            after.is_none_or(|c| *score < c.score || (*score == c.score && member < &c.member))
        })
        .take(n)
        .map(|(member, score)| (member.clone(), Cursor { score, member }))
        .collect())
}

/// One page of `key`'s members after `cursor`: at most `limit` members, and
/// the cursor of the next page when there is more.
pub async fn page(
    store: &Store,
    key: &str,
    cursor: Option<&Cursor>,
    limit: usize,
) -> Result<(Vec<String>, Option<Cursor>), StoreError> {
    let mut items = after(store, key, cursor, limit + 1).await?;
    let next = (items.len() > limit && limit > 0).then(|| items[limit - 1].1.clone());
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
        assert_eq!(Cursor::parse(&c.encode()), Some(c));
        assert!(Cursor::parse("nope").is_none());
        assert!(Cursor::parse("x:y").is_none());
    }
}
