//! Paging of lists: `?size=` with either `?page=` (the first pages) or `?cursor=` (any depth),
//! answered as `{items, page, size, total, next_cursor}`.

use moji_db::keyset::{Key, Start, MAX_OFFSET};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::cursor;
use crate::error::{ApiError, ApiResult};

/// Default page size.
pub const DEFAULT_PAGE_SIZE: u32 = 20;
/// Largest page size.
pub const MAX_PAGE_SIZE: u32 = 100;

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// 1-based page number; `None` when the page starts at a cursor.
    pub page: Option<u32>,
    /// Page size.
    pub size: u32,
    /// Where the page starts.
    pub start: Start,
}

impl Paging {
    /// Validates `?page=&size=` (400 otherwise): page ≥ 1, 1 ≤ size ≤ 100, and the page may
    /// not start deeper than [`MAX_OFFSET`] items (deeper pages follow `next_cursor`).
    pub fn new(page: Option<u32>, size: Option<u32>) -> ApiResult<Self> {
        Self::with_cursor(page, size, None)
    }

    /// Validates `?page=&size=&cursor=`: as [`Paging::new`], and a cursor must be one we made
    /// and is not combined with `page`.
    pub fn with_cursor(
        page: Option<u32>,
        size: Option<u32>,
        cursor: Option<&str>,
    ) -> ApiResult<Self> {
        let size = size.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&size) {
            return Err(ApiError::BadRequest(format!(
                "`size` must be between 1 and {MAX_PAGE_SIZE}"
            )));
        }
        if let Some(cursor) = cursor {
            if page.is_some() {
                return Err(ApiError::BadRequest(
                    "send either `page` or `cursor`, not both".into(),
                ));
            }
            let key = cursor::decode(cursor).ok_or_else(|| {
                ApiError::BadRequest(
                    "`cursor` is not a cursor this list gave out (use `next_cursor` as is)".into(),
                )
            })?;
            return Ok(Self {
                page: None,
                size,
                start: Start::After(key),
            });
        }
        let page = page.unwrap_or(1);
        if page == 0 {
            return Err(ApiError::BadRequest("`page` starts at 1".into()));
        }
        let offset = (i64::from(page) - 1) * i64::from(size);
        if offset > MAX_OFFSET {
            return Err(ApiError::BadRequest(format!(
                "`page` may start at most {MAX_OFFSET} items deep; follow `next_cursor` for deeper pages"
            )));
        }
        Ok(Self {
            page: Some(page),
            size,
            start: Start::Offset(offset),
        })
    }

    /// Where a feed page starts: feeds page by `cursor` only, so a `page` past 1 is a 400.
    pub fn feed_start(self) -> ApiResult<Start> {
        match (self.page, self.start) {
            (Some(1) | None, start) => Ok(start),
            _ => Err(ApiError::BadRequest(
                "feeds page by `cursor` only: follow `next_cursor`".into(),
            )),
        }
    }

    /// Rows to skip (0 for a cursor page).
    pub fn offset(self) -> i64 {
        match self.start {
            Start::Offset(n) => n,
            Start::After(_) => 0,
        }
    }

    /// Rows to take.
    pub fn limit(self) -> i64 {
        i64::from(self.size)
    }

    /// Wraps a page of a list that has no next-page cursor (a short, bounded list).
    pub fn page<T>(self, items: Vec<T>, total: i64) -> PageOf<T> {
        self.keyset(items, total, None)
    }

    /// Wraps a page of items with this request's numbers and the next page's cursor.
    pub fn keyset<T>(self, items: Vec<T>, total: i64, next: Option<Key>) -> PageOf<T> {
        PageOf {
            items,
            page: self.page,
            size: self.size,
            total,
            next_cursor: next.as_ref().map(cursor::encode),
        }
    }
}

/// `?page=&size=&cursor=` of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1 (default 1); at most 1,000 items deep — deeper pages follow
    /// `next_cursor`. Not with `cursor`.
    #[param(minimum = 1, default = 1)]
    pub page: Option<u32>,
    /// Page size, 1..=100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub size: Option<u32>,
    /// The `next_cursor` of the previous page: this page starts right after it.
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The validated page request.
    pub fn paging(&self) -> ApiResult<Paging> {
        Paging::with_cursor(self.page, self.size, self.cursor.as_deref())
    }
}

/// `?page=&size=` of a short list (bounded by design, e.g. the challenges): no cursors.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ShortPageQuery {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1, default = 1)]
    pub page: Option<u32>,
    /// Page size, 1..=100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub size: Option<u32>,
}

impl ShortPageQuery {
    /// The validated page request.
    pub fn paging(&self) -> ApiResult<Paging> {
        Paging::new(self.page, self.size)
    }
}

/// A page of a feed: newest first, followed by `next_cursor`, without a total.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FeedOf<T> {
    /// This page.
    pub items: Vec<T>,
    /// Page size.
    pub size: u32,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl Paging {
    /// Wraps a page of a feed.
    pub fn feed<T>(self, items: Vec<T>, next: Option<Key>) -> FeedOf<T> {
        FeedOf {
            items,
            size: self.size,
            next_cursor: next.as_ref().map(cursor::encode),
        }
    }
}

/// A page of a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PageOf<T> {
    /// This page.
    pub items: Vec<T>,
    /// Page number, from 1; null for a page asked for by `cursor`.
    pub page: Option<u32>,
    /// Page size.
    pub size: u32,
    /// Items across all pages.
    pub total: i64,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_rules() {
        let first = Paging::new(None, None).unwrap();
        assert_eq!((first.page, first.size, first.offset()), (Some(1), 20, 0));
        let p = Paging::new(Some(3), Some(100)).unwrap();
        assert_eq!((p.offset(), p.limit()), (200, 100));
        assert!(Paging::new(Some(0), None).is_err());
        assert!(Paging::new(None, Some(0)).is_err());
        assert!(Paging::new(None, Some(101)).is_err());
        assert!(
            Paging::new(Some(51), Some(20)).is_ok(),
            "1,000 deep is allowed"
        );
        assert!(Paging::new(Some(52), Some(20)).is_err(), "deeper is not");
        assert!(
            Paging::new(Some(u32::MAX), Some(100)).is_err(),
            "no overflow"
        );
        assert_eq!(first.feed_start().unwrap(), Start::TOP);
        assert!(p.feed_start().is_err(), "feeds have no page 3");
    }

    #[test]
    fn cursors() {
        let key = Key::Window {
            likes: 3,
            id: uuid::Uuid::now_v7(),
        };
        let c = cursor::encode(&key);
        let p = Paging::with_cursor(None, Some(10), Some(&c)).unwrap();
        assert_eq!((p.page, p.start), (None, Start::After(key)));
        assert!(Paging::with_cursor(Some(1), None, Some(&c)).is_err());
        assert!(Paging::with_cursor(None, None, Some("nope")).is_err());
        let page = p.keyset(vec![1], 9, Some(key));
        assert_eq!(page.next_cursor.as_deref(), Some(c.as_str()));
    }
}
