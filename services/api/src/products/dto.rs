//! Bodies of the products endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    http::{FeedOf, PageOf},
    posts::dto::Author,
    uploads::dto::ImageView,
};

/// A new product.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProductRequest {
    /// 1..=100 characters.
    #[schema(example = "제주 한라봉 5kg")]
    pub name: String,
    /// Price in KRW, a whole number 0..=1,000,000,000,000.
    #[schema(example = 32000)]
    pub price: i64,
    /// The product's page elsewhere: an http:// or https:// address (≤ 2,000 characters).
    #[serde(default)]
    pub link: Option<String>,
    /// At most 2,000 characters.
    #[serde(default)]
    pub description: String,
    /// Keys of your uploads (`POST /uploads`), at most 10; the product is `pending` until
    /// they are processed.
    #[serde(default)]
    pub images: Vec<String>,
}

/// A change to a product; omitted fields stay, `link: null` removes the link.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProductRequest {
    /// New name.
    pub name: Option<String>,
    /// New price.
    pub price: Option<i64>,
    /// New link, or `null` for none.
    #[serde(default, deserialize_with = "crate::http::params::explicit_null")]
    #[schema(value_type = Option<String>)]
    pub link: Option<Option<String>>,
    /// New description.
    pub description: Option<String>,
}

/// A product.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProductView {
    /// Product id.
    pub id: Uuid,
    /// Who sells it.
    pub seller: Author,
    /// Name.
    pub name: String,
    /// Price in KRW.
    pub price: i64,
    /// Outside link.
    pub link: Option<String>,
    /// Description.
    pub description: String,
    /// `published`; with images `pending` until processed, or `failed` (seller only).
    pub status: String,
    /// Why it failed.
    pub failure: Option<String>,
    /// Images, in order.
    pub images: Vec<ImageView>,
    /// Listed.
    pub created_at: DateTime<Utc>,
    /// Last edited.
    pub updated_at: DateTime<Utc>,
}

/// A page of products (no total).
pub type ProductFeed = FeedOf<ProductView>;
/// A page of someone's products (their product count as total).
pub type ProductPage = PageOf<ProductView>;

/// `GET /products` filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductsQuery {
    /// Only this seller's (username).
    pub seller: Option<String>,
    /// At least this price (KRW).
    pub min_price: Option<i64>,
    /// At most this price (KRW).
    pub max_price: Option<i64>,
    /// Words in the name or description (Korean or English; see `GET /search`).
    pub q: Option<String>,
    /// `new` (default), `price_asc` or `price_desc`.
    pub sort: Option<String>,
    /// Page size, 1..=100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub size: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
