//! `/products`, `/products/latest/{username}`, `/products/{id}` and `/users/me/products`.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use moji_auth::AuthUser;
use moji_telemetry::Problem;
use uuid::Uuid;

use super::{
    dto::{CreateProductRequest, ProductView, ProductsQuery, UpdateProductRequest},
    service,
};
use crate::{
    error::ApiResult,
    http::{optional_user, PageQuery},
    state::AppState,
};

/// List a product for sale (published at once; with images, once they are processed).
#[utoipa::path(
    post, path = "/api/v1/products", tag = "products", security(("bearer" = [])),
    request_body = CreateProductRequest,
    responses(
        (status = 201, description = "Listed; `Location` names it", body = ProductView),
        (status = 401, body = Problem),
        (status = 422, description = "Bad name, price, link, description or images", body = Problem),
    )
)]
#[post("/products")]
pub async fn create_product(
    state: web::Data<AppState>,
    who: AuthUser,
    body: web::Json<CreateProductRequest>,
) -> ApiResult<HttpResponse> {
    let product = service::create(&state, &who, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/products/{}", product.id)))
        .json(product))
}

/// Products for sale: newest first or by price, optionally one seller's, within a price range
/// or matching words. Pages by `cursor`.
#[utoipa::path(
    get, path = "/api/v1/products", tag = "products", params(ProductsQuery),
    responses(
        (status = 200, body = crate::http::FeedOf<crate::products::dto::ProductView>),
        (status = 400, description = "Bad `size` or `cursor`", body = Problem),
        (status = 404, description = "No such seller", body = Problem),
        (status = 422, description = "Bad `sort`, price range or `q`", body = Problem),
    )
)]
#[get("/products")]
pub async fn list_products(
    state: web::Data<AppState>,
    query: web::Query<ProductsQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, query.into_inner()).await?))
}

/// Someone's latest products; `total` is how many they have for sale.
#[utoipa::path(
    get, path = "/api/v1/products/latest/{username}", tag = "products",
    params(("username" = String, Path, description = "Handle"), PageQuery),
    responses(
        (status = 200, body = crate::http::PageOf<crate::products::dto::ProductView>),
        (status = 400, description = "Bad `size` or `cursor`, or a `page` past 1", body = Problem),
        (status = 404, description = "No such user", body = Problem),
    )
)]
#[get("/products/latest/{username}")]
pub async fn latest_of(
    state: web::Data<AppState>,
    username: web::Path<String>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let paging = query.paging()?;
    let page = service::by_seller(&state, username.into_inner(), paging).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// My products, newest first, pending and failed ones included.
#[utoipa::path(
    get, path = "/api/v1/users/me/products", tag = "products", security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, body = crate::http::FeedOf<crate::products::dto::ProductView>),
        (status = 400, description = "Bad `size` or `cursor`, or a `page` past 1", body = Problem),
        (status = 401, body = Problem),
    )
)]
#[get("/users/me/products")]
pub async fn my_products(
    state: web::Data<AppState>,
    who: AuthUser,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let paging = query.paging()?;
    Ok(HttpResponse::Ok().json(service::mine(&state, &who, paging).await?))
}

/// One product.
#[utoipa::path(
    get, path = "/api/v1/products/{id}", tag = "products",
    params(("id" = Uuid, Path, description = "Product id")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = ProductView),
        (status = 400, description = "Malformed id", body = Problem),
        (status = 404, body = Problem),
    )
)]
#[get("/products/{id}")]
pub async fn get_product(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let viewer = optional_user(&state, &req).await?.map(|w| w.user_id);
    Ok(HttpResponse::Ok().json(service::get(&state, viewer, id.into_inner()).await?))
}

/// Edit your product.
#[utoipa::path(
    patch, path = "/api/v1/products/{id}", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    request_body = UpdateProductRequest,
    responses(
        (status = 200, body = ProductView),
        (status = 401, body = Problem),
        (status = 403, description = "Not yours", body = Problem),
        (status = 404, body = Problem),
        (status = 422, description = "Bad fields, or none sent", body = Problem),
    )
)]
#[patch("/products/{id}")]
pub async fn update_product(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
    body: web::Json<UpdateProductRequest>,
) -> ApiResult<HttpResponse> {
    let product = service::update(&state, &who, id.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(product))
}

/// Delete a product: its seller or an admin.
#[utoipa::path(
    delete, path = "/api/v1/products/{id}", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = Problem),
        (status = 403, description = "Not yours and not an admin", body = Problem),
        (status = 404, body = Problem),
    )
)]
#[delete("/products/{id}")]
pub async fn delete_product(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    service::delete(&state, &who, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
