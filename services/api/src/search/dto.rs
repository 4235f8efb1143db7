//! Bodies of `GET /search`.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{posts::dto::PostView, products::dto::ProductView};

/// `?q=&type=&page=&size=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words to find (Korean or English; one syllable is enough), at most 100 characters.
    pub q: Option<String>,
    /// `post` (default), `product` or `user`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Page, 1..=10 (default 1).
    #[param(minimum = 1, maximum = 10, default = 1)]
    pub page: Option<u32>,
    /// Page size, 1..=50 (default 20).
    #[param(minimum = 1, maximum = 50, default = 20)]
    pub size: Option<u32>,
}

/// A person found by search.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PersonCard {
    /// Account id.
    pub id: Uuid,
    /// Handle.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Bio.
    pub bio: String,
}

/// Search results: the list of the requested `type` is filled, the others are empty.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchResults {
    /// `post`, `product` or `user`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The query as searched.
    pub q: String,
    /// This page.
    pub page: u32,
    /// Page size.
    pub size: u32,
    /// Whether a next page exists.
    pub has_more: bool,
    /// Posts found (type `post`).
    pub posts: Vec<PostView>,
    /// Products found (type `product`).
    pub products: Vec<ProductView>,
    /// People found (type `user`).
    pub users: Vec<PersonCard>,
}
