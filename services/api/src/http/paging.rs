//! `?page=&size=` paging with `{items, page, size, total}` answers.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult};

/// Default page size.
pub const DEFAULT_PAGE_SIZE: u32 = 20;
/// Largest page size.
pub const MAX_PAGE_SIZE: u32 = 100;

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// 1-based page.
    pub page: u32,
    /// Page size.
    pub size: u32,
}

impl Paging {
    /// Validates `?page=&size=`: page ≥ 1, 1 ≤ size ≤ 100 (400 otherwise).
    pub fn new(page: Option<u32>, size: Option<u32>) -> ApiResult<Self> {
        let page = page.unwrap_or(1);
        let size = size.unwrap_or(DEFAULT_PAGE_SIZE);
        if page == 0 {
            return Err(ApiError::BadRequest("`page` starts at 1".into()));
        }
        if !(1..=MAX_PAGE_SIZE).contains(&size) {
            return Err(ApiError::BadRequest(format!(
                "`size` must be between 1 and {MAX_PAGE_SIZE}"
            )));
        }
        Ok(Self { page, size })
    }

    /// Rows to skip.
    pub fn offset(self) -> i64 {
        (i64::from(self.page) - 1) * i64::from(self.size)
    }

    /// Rows to take.
    pub fn limit(self) -> i64 {
        i64::from(self.size)
    }

    /// Wraps a page of items with this request's numbers.
    pub fn page<T>(self, items: Vec<T>, total: i64) -> PageOf<T> {
        PageOf {
            items,
            page: self.page,
            size: self.size,
            total,
        }
    }
}

/// `?page=&size=` of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1, default = 1)]
    pub page: Option<u32>,
    /// Page size, 1..=100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub size: Option<u32>,
}

impl PageQuery {
    /// The validated page request.
    pub fn paging(&self) -> ApiResult<Paging> {
        Paging::new(self.page, self.size)
    }
}

/// A page of a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PageOf<T> {
    /// This page.
    pub items: Vec<T>,
    /// Page number, from 1.
    pub page: u32,
    /// Page size.
    pub size: u32,
    /// Items across all pages.
    pub total: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_rules() {
        assert_eq!(
            Paging::new(None, None).unwrap(),
            Paging { page: 1, size: 20 }
        );
        let p = Paging::new(Some(3), Some(100)).unwrap();
        assert_eq!((p.offset(), p.limit()), (200, 100));
        assert!(Paging::new(Some(0), None).is_err());
        assert!(Paging::new(None, Some(0)).is_err());
        assert!(Paging::new(None, Some(101)).is_err());
        let far = Paging::new(Some(u32::MAX), Some(100)).unwrap();
        assert!(far.offset() > 0, "no overflow");
    }
}
