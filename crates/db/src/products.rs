//! Products of the market: write, read, edit, delete by the seller, and the lists (newest,
//! by seller, by price either way, within a price range), each a keyset page in one prepared
//! statement with the seller joined in.

use chrono::{DateTime, Utc};
use diesel::{
    pg::PgConnection,
    prelude::*,
    sql_types::{BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use uuid::Uuid;

use crate::{
    keyset::{after_sql, after_sql_ascending, fetched_rows, start_params, Key, Page, Start},
    media, outbox,
    prepared::{Param, PreparedSql},
    schema::{products, user_product_counts},
    DbError,
};

/// A product with its seller.
#[derive(Debug, Clone, QueryableByName)]
pub struct ProductRow {
    /// UUIDv7.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Seller's account.
    #[diesel(sql_type = SqlUuid)]
    pub seller_id: Uuid,
    /// Seller's handle.
    #[diesel(sql_type = Text)]
    pub username: String,
    /// Seller's display name.
    #[diesel(sql_type = Text)]
    pub display_name: String,
    /// Name.
    #[diesel(sql_type = Text)]
    pub name: String,
    /// Price in KRW.
    #[diesel(sql_type = BigInt)]
    pub price: i64,
    /// Outside product page (http/https).
    #[diesel(sql_type = Nullable<Text>)]
    pub link: Option<String>,
    /// Description.
    #[diesel(sql_type = Text)]
    pub description: String,
    /// `pending`, `published` or `failed`.
    #[diesel(sql_type = Text)]
    pub status: String,
    /// Why a `failed` product failed.
    #[diesel(sql_type = Nullable<Text>)]
    pub failure: Option<String>,
    /// Listed.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    /// Last edited.
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

/// A new product (fields validated by the caller).
#[derive(Debug, Clone)]
pub struct NewProduct {
    /// UUIDv7.
    pub id: Uuid,
    /// Seller.
    pub seller_id: Uuid,
    /// Name.
    pub name: String,
    /// Price in KRW.
    pub price: i64,
    /// Outside link.
    pub link: Option<String>,
    /// Description.
    pub description: String,
    /// Uploads to attach, in order (checked by the caller).
    pub images: Vec<Uuid>,
}

/// A change to a product; `None` keeps a field (`link: Some(None)` removes the link).
#[derive(Debug, Clone, Default)]
pub struct ProductChange {
    /// New name.
    pub name: Option<String>,
    /// New price.
    pub price: Option<i64>,
    /// New link, or none.
    pub link: Option<Option<String>>,
    /// New description.
    pub description: Option<String>,
}

pub(crate) const ROW: &str =
    "p.id, p.seller_id, u.username, u.display_name, p.name, p.price, p.link, \
    p.description, p.status, p.failure, p.created_at, p.updated_at";

/// Lists a product and its images, and queues what `announce` makes of it, in one
/// transaction; with images it is `pending` until they are processed.
pub fn create(
    conn: &mut PgConnection,
    new: &NewProduct,
    announce: impl FnOnce(&ProductRow) -> Vec<outbox::Message>,
) -> Result<ProductRow, DbError> {
    conn.transaction(|conn| {
        let status = if new.images.is_empty() {
            "published"
        } else {
            "pending"
        };
        diesel::insert_into(products::table)
            .values((
                products::id.eq(new.id),
                products::seller_id.eq(new.seller_id),
                products::name.eq(&new.name),
                products::price.eq(new.price),
                products::link.eq(&new.link),
                products::description.eq(&new.description),
                products::status.eq(status),
            ))
            .execute(conn)?;
        if !new.images.is_empty() {
            if media::start_processing(conn, &new.images)? != new.images.len() {
                return Err(DbError::Conflict(
                    "an image was used or removed meanwhile; upload it again".into(),
                ));
            }
            media::attach_to_product(conn, new.id, &new.images)?;
        }
        let row = by_id(conn, new.id)?;
        outbox::push(conn, &announce(&row))?;
        Ok(row)
    })
}

/// The product with this id; [`DbError::NotFound`] if there is none.
pub fn by_id(conn: &mut PgConnection, id: Uuid) -> Result<ProductRow, DbError> {
    PreparedSql::new(format!(
        "SELECT {ROW} FROM products p JOIN users u ON u.id = p.seller_id WHERE p.id = $1"
    ))
    .bind(Param::Uuid(id))
    .get_result(conn)
    .map_err(DbError::from)
}

/// Applies a change, queueing what `announce` makes of the result.
pub fn update(
    conn: &mut PgConnection,
    id: Uuid,
    change: &ProductChange,
    announce: impl FnOnce(&ProductRow) -> Vec<outbox::Message>,
) -> Result<ProductRow, DbError> {
    conn.transaction(|conn| {
        let n = diesel::update(products::table.find(id))
            .set((
                change.name.as_ref().map(|v| products::name.eq(v)),
                change.price.map(|v| products::price.eq(v)),
                change.link.as_ref().map(|v| products::link.eq(v)),
                change
                    .description
                    .as_ref()
                    .map(|v| products::description.eq(v)),
                products::updated_at.eq(Utc::now()),
            ))
            .execute(conn)?;
        if n == 0 {
            return Err(DbError::NotFound);
        }
        let row = by_id(conn, id)?;
        outbox::push(conn, &announce(&row))?;
        Ok(row)
    })
}

/// Deletes a product (its images are released for the sweep); false when there was none.
pub fn delete(
    conn: &mut PgConnection,
    id: Uuid,
    announce: impl FnOnce(&ProductRow) -> Vec<outbox::Message>,
) -> Result<bool, DbError> {
    conn.transaction(|conn| {
        let row = match by_id(conn, id) {
            Ok(row) => row,
            Err(DbError::NotFound) => return Ok(false),
            Err(e) => return Err(e),
        };
        diesel::delete(products::table.find(id)).execute(conn)?;
        outbox::push(conn, &announce(&row))?;
        Ok(true)
    })
}

/// How many published products `user` has.
pub fn count_of(conn: &mut PgConnection, user: Uuid) -> Result<i64, DbError> {
    Ok(user_product_counts::table
        .find(user)
        .select(user_product_counts::products)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// Sort order of a product list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Newest first.
    New,
    /// Cheapest first.
    PriceAsc,
    /// Dearest first.
    PriceDesc,
}

/// What a product list holds.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this seller's.
    pub seller: Option<Uuid>,
    /// At least this price.
    pub min_price: Option<i64>,
    /// At most this price.
    pub max_price: Option<i64>,
    /// Matching this search (a tsquery from [`crate::search::query_of`]).
    pub text: Option<String>,
    /// The seller's own view: pending and failed products too (needs `seller`).
    pub include_unpublished: bool,
}

/// A keyset page of products. The price range filters along the chosen index (a price sort
/// starts its index walk at the range's end, so it stays tight).
pub fn page(
    conn: &mut PgConnection,
    filter: &Filter,
    sort: Sort,
    start: Start,
    limit: i64,
) -> Result<Page<ProductRow>, DbError> {
    let n = fetched_rows(limit);
    let mut conds: Vec<String> = Vec::new();
    let mut params: Vec<Param> = Vec::new();
    let bind = |p: Param, params: &mut Vec<Param>| {
        params.push(p);
        params.len()
    };
    if !(filter.include_unpublished && filter.seller.is_some()) {
        conds.push("p.status = 'published'".into());
    }
    if let Some(s) = filter.seller {
        let i = bind(Param::Uuid(s), &mut params);
        conds.push(format!("p.seller_id = ${i}"));
    }
    if let Some(v) = filter.min_price {
        let i = bind(Param::BigInt(v), &mut params);
        conds.push(format!("p.price >= ${i}"));
    }
    if let Some(v) = filter.max_price {
        let i = bind(Param::BigInt(v), &mut params);
        conds.push(format!("p.price <= ${i}"));
    }
    if let Some(q) = &filter.text {
        let i = bind(Param::String(q.clone()), &mut params);
        conds.push(format!("p.search @@ ${i}::tsquery"));
    }
    let next_bind = params.len() + 1;
    let (order, keyset) = match (sort, start) {
        (_, Start::Offset(0)) => (order_of(sort), String::new()),
        (Sort::New, Start::After(Key::Time { .. })) => (
            order_of(sort),
            after_sql(start, "p.created_at, p.id", next_bind),
        ),
        (Sort::PriceDesc, Start::After(Key::Price { .. })) => {
            (order_of(sort), after_sql(start, "p.price, p.id", next_bind))
        }
        (Sort::PriceAsc, Start::After(Key::Price { .. })) => (
            order_of(sort),
            after_sql_ascending(start, "p.price, p.id", next_bind),
        ),
        _ => return Err(DbError::BadCursor),
    };
    let sql = format!(
        "SELECT {ROW} FROM products p JOIN users u ON u.id = p.seller_id \
         WHERE {}{keyset} ORDER BY {order} LIMIT {n}",
        conds.join(" AND ")
    );
    let mut query = PreparedSql::new(sql);
    for p in params.into_iter().chain(start_params(start)) {
        query = query.bind(p);
    }
    let rows: Vec<ProductRow> = query.load(conn)?;
    let total = match (
        filter.seller,
        filter.min_price,
        filter.max_price,
        &filter.text,
    ) {
        (Some(s), None, None, None) if !filter.include_unpublished => count_of(conn, s)?,
        _ => 0,
    };
    Ok(Page::from_rows(rows, limit, total, |p| match sort {
        Sort::New => Key::Time {
            at: p.created_at,
            id: p.id,
        },
        Sort::PriceAsc | Sort::PriceDesc => Key::Price {
            price: p.price,
            id: p.id,
        },
    }))
}

fn order_of(sort: Sort) -> &'static str {
    match sort {
        Sort::New => "p.created_at DESC, p.id DESC",
        Sort::PriceAsc => "p.price ASC, p.id ASC",
        Sort::PriceDesc => "p.price DESC, p.id DESC",
    }
}
