//! The rules of products: validation, who may change what, which products show.

use moji_auth::AuthUser;
use moji_common::new_id;
use moji_db::{
    keyset::Page,
    media::{self, PostImage},
    products::{self, Filter, NewProduct, ProductChange, ProductRow, Sort},
    search, users, DbError, PgConnection,
};
use moji_telemetry::FieldError;
use uuid::Uuid;

use super::dto::{
    CreateProductRequest, ProductFeed, ProductPage, ProductView, ProductsQuery,
    UpdateProductRequest,
};
use crate::{
    accounts::validation::is_outside_link,
    error::{not_found, validated, ApiError, ApiResult},
    events::content,
    http::Paging,
    posts::dto::Author,
    state::AppState,
    uploads::{attach, dto::ImageView, service::with_image_views},
};

/// Longest name, in characters.
pub const NAME_MAX_CHARS: usize = 100;
/// Longest description, in characters.
pub const DESCRIPTION_MAX_CHARS: usize = 2_000;
/// Highest price, in KRW.
pub const MAX_PRICE: i64 = 1_000_000_000_000;
/// Longest outside link, in characters.
pub const LINK_MAX_CHARS: usize = 2_000;

fn name(raw: &str, errors: &mut Vec<FieldError>) -> String {
    let t = raw.trim().to_owned();
    let n = t.chars().count();
    if n == 0 || n > NAME_MAX_CHARS || t.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "name",
            format!("1 to {NAME_MAX_CHARS} characters, no control characters"),
        ));
    }
    t
}

fn price(raw: i64, errors: &mut Vec<FieldError>) -> i64 {
    if !(0..=MAX_PRICE).contains(&raw) {
        errors.push(FieldError::new(
            "price",
            format!("a whole number of won, 0 to {MAX_PRICE}"),
        ));
    }
    raw
}

fn link(raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<String> {
    let t = raw.map(str::trim).filter(|t| !t.is_empty())?;
    if !is_outside_link(t, LINK_MAX_CHARS) {
        errors.push(FieldError::new(
            "link",
            format!("an http:// or https:// address of at most {LINK_MAX_CHARS} characters"),
        ));
    }
    Some(t.to_owned())
}

fn description(raw: &str, errors: &mut Vec<FieldError>) -> String {
    let t = raw.trim().to_owned();
    if t.chars().count() > DESCRIPTION_MAX_CHARS
        || t.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        errors.push(FieldError::new(
            "description",
            format!("at most {DESCRIPTION_MAX_CHARS} characters, no control characters"),
        ));
    }
    t
}

fn view(row: ProductRow, images: Vec<ImageView>) -> ProductView {
    ProductView {
        id: row.id,
        seller: Author {
            username: row.username,
            display_name: row.display_name,
        },
        name: row.name,
        price: row.price,
        link: row.link,
        description: row.description,
        status: row.status,
        failure: row.failure,
        images,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// Rows with their images (one statement for all of them).
fn with_images(
    c: &mut PgConnection,
    rows: Vec<ProductRow>,
) -> Result<(Vec<ProductRow>, Vec<PostImage>), DbError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let images = media::images_of_products(c, &ids)?;
    Ok((rows, images))
}

/// Views of rows with their images.
pub async fn views(
    state: &AppState,
    rows: Vec<ProductRow>,
    images: Vec<PostImage>,
) -> ApiResult<Vec<ProductView>> {
    with_image_views(state, rows, &images, |r| r.id, view).await
}

/// Rows loaded by `load`, with their images, as views.
pub async fn load_views(
    state: &AppState,
    load: impl FnOnce(&mut PgConnection) -> Result<Vec<ProductRow>, DbError> + Send + 'static,
) -> ApiResult<Vec<ProductView>> {
    let (rows, images) = state
        .db
        .run(move |c| {
            let rows = load(c)?;
            with_images(c, rows)
        })
        .await?;
    views(state, rows, images).await
}

async fn one(state: &AppState, id: Uuid) -> ApiResult<ProductView> {
    load_views(state, move |c| Ok(vec![products::by_id(c, id)?]))
        .await
        .map_err(|e| match e {
            ApiError::NotFound(_) => ApiError::NotFound("product"),
            other => other,
        })?
        .pop()
        .ok_or(ApiError::NotFound("product"))
}

/// Lists a product for the caller.
pub async fn create(
    state: &AppState,
    who: &AuthUser,
    req: CreateProductRequest,
) -> ApiResult<ProductView> {
    crate::accounts::recovery::require_verified_seller(state, who).await?;
    let mut errors = Vec::new();
    let mut new = NewProduct {
        id: new_id(),
        seller_id: who.user_id,
        name: name(&req.name, &mut errors),
        price: price(req.price, &mut errors),
        link: link(req.link.as_deref(), &mut errors),
        description: description(&req.description, &mut errors),
        images: Vec::new(),
    };
    validated(errors)?;
    let uploads = attach::check(state, who, "images", &req.images).await?;
    let work = attach::process_messages(&uploads);
    new.images = uploads.iter().map(|u| u.id).collect();
    let id = state
        .db
        .run(move |c| {
            products::create(c, &new, |row| {
                let mut messages = content::product_created(row);
                messages.extend(work);
                messages
            })
            .map(|row| row.id)
        })
        .await?;
    state.outbox.poke();
    tracing::info!(product_id = %id, "product listed");
    one(state, id).await
}

/// One product; pending and failed ones only for their seller.
pub async fn get(state: &AppState, viewer: Option<Uuid>, id: Uuid) -> ApiResult<ProductView> {
    let (rows, images) = state
        .db
        .run(move |c| {
            let row = products::by_id(c, id)?;
            with_images(c, vec![row])
        })
        .await
        .map_err(not_found("product"))?;
    let row = rows
        .into_iter()
        .next()
        .ok_or(ApiError::NotFound("product"))?;
    if row.status != "published" && viewer != Some(row.seller_id) {
        return Err(ApiError::NotFound("product"));
    }
    views(state, vec![row], images)
        .await?
        .pop()
        .ok_or(ApiError::NotFound("product"))
}

async fn seller_of(state: &AppState, id: Uuid) -> ApiResult<Uuid> {
    Ok(state
        .db
        .run(move |c| products::by_id(c, id))
        .await
        .map_err(not_found("product"))?
        .seller_id)
}

/// Checks that `who` sells product `id` (or, with `admin_ok`, is an admin).
async fn owned(state: &AppState, who: &AuthUser, id: Uuid, admin_ok: bool) -> ApiResult<()> {
    if seller_of(state, id).await? != who.user_id && !(admin_ok && who.is_admin()) {
        return Err(ApiError::Forbidden(
            "only the product's seller can do that".into(),
        ));
    }
    Ok(())
}

/// Edits the caller's product.
pub async fn update(
    state: &AppState,
    who: &AuthUser,
    id: Uuid,
    req: UpdateProductRequest,
) -> ApiResult<ProductView> {
    let mut errors = Vec::new();
    let change = ProductChange {
        name: req.name.as_deref().map(|v| name(v, &mut errors)),
        price: req.price.map(|v| price(v, &mut errors)),
        link: req.link.map(|v| link(v.as_deref(), &mut errors)),
        description: req
            .description
            .as_deref()
            .map(|v| description(v, &mut errors)),
    };
    if change.name.is_none()
        && change.price.is_none()
        && change.link.is_none()
        && change.description.is_none()
    {
        errors.push(FieldError::new(
            "name",
            "send `name`, `price`, `link` or `description`",
        ));
    }
    validated(errors)?;
    owned(state, who, id, false).await?;
    state
        .db
        .run(move |c| products::update(c, id, &change, content::product_updated))
        .await
        .map_err(not_found("product"))?;
    state.outbox.poke();
    one(state, id).await
}

/// Deletes a product: its seller or an admin.
pub async fn delete(state: &AppState, who: &AuthUser, id: Uuid) -> ApiResult<()> {
    owned(state, who, id, true).await?;
    state
        .db
        .run(move |c| products::delete(c, id, content::product_deleted))
        .await?;
    state.outbox.poke();
    tracing::info!(product_id = %id, by = %who.user_id, "product deleted");
    Ok(())
}

fn sort_of(raw: Option<&str>) -> ApiResult<Sort> {
    match raw.map(str::trim) {
        None | Some("" | "new") => Ok(Sort::New),
        Some("price_asc") => Ok(Sort::PriceAsc),
        Some("price_desc") => Ok(Sort::PriceDesc),
        Some(_) => Err(ApiError::Validation(vec![FieldError::new(
            "sort",
            "must be one of: new, price_asc, price_desc",
        )])),
    }
}

async fn page(
    state: &AppState,
    filter: Filter,
    sort: Sort,
    paging: Paging,
) -> ApiResult<Page<ProductView>> {
    let start = paging.feed_start()?;
    let (page, images) = state
        .db
        .run(move |c| {
            let page = products::page(c, &filter, sort, start, paging.limit())?;
            let ids: Vec<Uuid> = page.items.iter().map(|r| r.id).collect();
            let images = media::images_of_products(c, &ids)?;
            Ok((page, images))
        })
        .await?;
    let (total, next) = (page.total, page.next);
    Ok(Page {
        items: views(state, page.items, images).await?,
        total,
        next,
    })
}

/// `GET /products`: filtered and sorted, by cursor.
pub async fn list(state: &AppState, query: ProductsQuery) -> ApiResult<ProductFeed> {
    let paging = Paging::with_cursor(None, query.size, query.cursor.as_deref())?;
    let sort = sort_of(query.sort.as_deref())?;
    let mut errors = Vec::new();
    for (field, v) in [
        ("min_price", query.min_price),
        ("max_price", query.max_price),
    ] {
        if v.is_some_and(|v| !(0..=MAX_PRICE).contains(&v)) {
            errors.push(FieldError::new(field, format!("0 to {MAX_PRICE}")));
        }
    }
    if let (Some(lo), Some(hi)) = (query.min_price, query.max_price) {
        if lo > hi {
            errors.push(FieldError::new("max_price", "at least min_price"));
        }
    }
    validated(errors)?;
    let seller = match query
        .seller
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(name) => {
            let name = name.trim_start_matches('@').to_lowercase();
            Some(
                state
                    .db
                    .run(move |c| users::by_username(c, &name))
                    .await
                    .map_err(not_found("seller"))?
                    .id,
            )
        }
        None => None,
    };
    let text = match query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        Some(q) => Some(search::query_of(q).ok_or_else(|| {
            ApiError::Validation(vec![FieldError::new(
                "q",
                "needs a letter or digit to search by",
            )])
        })?),
        None => None,
    };
    let filter = Filter {
        seller,
        min_price: query.min_price,
        max_price: query.max_price,
        text,
        include_unpublished: false,
    };
    let page = page(state, filter, sort, paging).await?;
    Ok(paging.feed(page.items, page.next))
}

/// Someone's latest products, with their product count.
pub async fn by_seller(
    state: &AppState,
    username: String,
    paging: Paging,
) -> ApiResult<ProductPage> {
    let name = username.to_lowercase();
    let seller = state
        .db
        .run(move |c| users::by_username(c, &name))
        .await
        .map_err(not_found("user"))?;
    let filter = Filter {
        seller: Some(seller.id),
        ..Filter::default()
    };
    let page = page(state, filter, Sort::New, paging).await?;
    Ok(paging.keyset(page.items, page.total, page.next))
}

/// My products, pending and failed ones too.
pub async fn mine(state: &AppState, who: &AuthUser, paging: Paging) -> ApiResult<ProductFeed> {
    let filter = Filter {
        seller: Some(who.user_id),
        include_unpublished: true,
        ..Filter::default()
    };
    let page = page(state, filter, Sort::New, paging).await?;
    Ok(paging.feed(page.items, page.next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_rules() {
        let mut e = Vec::new();
        name(" ", &mut e);
        price(-1, &mut e);
        price(MAX_PRICE + 1, &mut e);
        link(Some("ftp://x.kr"), &mut e);
        link(Some("https://"), &mut e);
        description(&"가".repeat(2001), &mut e);
        assert_eq!(e.len(), 6);
        let mut e = Vec::new();
        assert_eq!(link(Some("  "), &mut e), None);
        assert_eq!(
            link(Some(" https://shop.example/p/1 "), &mut e).as_deref(),
            Some("https://shop.example/p/1")
        );
        assert_eq!(price(0, &mut e), 0);
        assert!(e.is_empty());
        assert!(sort_of(Some("price_asc")).is_ok());
        assert!(sort_of(Some("cheap")).is_err());
    }
}
