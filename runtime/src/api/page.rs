//! Lists: `?limit=&cursor=` in, `{"items": [...], "next_cursor": ...}` out,
//! newest first (see [`crate::store::page`] for how cursors never skip or
//! repeat an item).

use super::ApiError;
use crate::store::page::Cursor;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Items per page when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 50;
/// The largest `limit`.
pub const MAX_LIMIT: usize = 500;

/// Paging parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The limit, checked.
    pub fn limit(&self) -> Result<usize, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(n) => Err(ApiError::invalid(format!(
                "`limit` {n} must be between 1 and {MAX_LIMIT}"
            ))),
        }
    }

    /// The cursor, parsed.
    pub fn cursor(&self) -> Result<Option<Cursor>, ApiError> {
        parse_cursor(self.cursor.as_deref())
    }
}

/// Parses a cursor this API returned.
pub fn parse_cursor(text: Option<&str>) -> Result<Option<Cursor>, ApiError> {
    text.map(|t| {
        Cursor::parse(t)
            .ok_or_else(|| ApiError::invalid("`cursor` is not a cursor this API returned"))
    })
    .transpose()
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items, newest first.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page of `items`, with the cursor of the next page, if any.
    pub fn new(items: Vec<T>, next: Option<Cursor>) -> Self {
        Page {
            items,
            next_cursor: next.as_ref().map(Cursor::encode),
        }
    }

    /// A whole list in one page.
    pub fn all(items: Vec<T>) -> Self {
        Page {
            items,
            next_cursor: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_cursors_are_checked() {
        let q = |limit, cursor: Option<&str>| PageQuery {
            limit,
            cursor: cursor.map(String::from),
        };
        assert_eq!(q(None, None).limit().ok(), Some(DEFAULT_LIMIT));
        assert!(q(Some(0), None).limit().is_err());
        assert!(q(Some(501), None).limit().is_err());
        assert!(q(None, Some("garbage")).cursor().is_err());
        assert!(q(None, Some("12:wh_1")).cursor().is_ok_and(|c| c.is_some()));
    }
}
