//! Cursor pagination: every list answers `{"items": [...], "next_cursor": ...}`; the cursor is
//! opaque to clients (base64 of the last key seen).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use crate::error::{ErrorCode, ServiceError};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

#[derive(Debug, Serialize)]
pub struct List<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// A validated page request: how many, and after which key.
/// The query of a plain list: a page size and the cursor of the page before.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Page {
    pub limit: i64,
    pub after: Option<String>,
}

impl Page {
    pub fn parse(limit: Option<i64>, cursor: Option<&str>) -> Result<Page, ServiceError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ServiceError::new(
                ErrorCode::InvalidQuery,
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let after = cursor
            .map(|c| {
                URL_SAFE_NO_PAD
                    .decode(c)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| {
                        ServiceError::new(
                            ErrorCode::InvalidCursor,
                            "cursor is not one this server returned; start again without it",
                        )
                    })
            })
            .transpose()?;
        Ok(Page { limit, after })
    }

    /// The cursor as a numeric id, for lists ordered by id.
    pub fn after_id(&self) -> Result<Option<i64>, ServiceError> {
        self.after
            .as_deref()
            .map(|a| {
                a.parse::<i64>().map_err(|_| {
                    ServiceError::new(
                        ErrorCode::InvalidCursor,
                        "cursor does not belong to this list",
                    )
                })
            })
            .transpose()
    }

    /// One more than the page, to learn whether another page follows.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }

    /// Trims the extra row and makes the cursor from the last key kept.
    pub fn finish<R, T>(
        &self,
        mut rows: Vec<R>,
        key: impl Fn(&R) -> String,
        map: impl Fn(R) -> T,
    ) -> List<T> {
        let more = rows.len() as i64 > self.limit;
        rows.truncate(self.limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| URL_SAFE_NO_PAD.encode(key(r)))
        } else {
            None
        };
        List {
            items: rows.into_iter().map(map).collect(),
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_cursors_round_trip() {
        let page = Page::parse(Some(2), None).unwrap();
        let list = page.finish(vec![1, 2, 3], |r| r.to_string(), |r| r);
        assert_eq!(list.items, vec![1, 2]);
        let next = Page::parse(Some(2), list.next_cursor.as_deref()).unwrap();
        assert_eq!(next.after_id().unwrap(), Some(2));
        assert!(Page::parse(Some(0), None).is_err());
        assert!(Page::parse(Some(201), None).is_err());
        assert!(Page::parse(None, Some("!!")).is_err());
    }
}
