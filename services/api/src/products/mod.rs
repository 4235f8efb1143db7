//! Products of the market SNS (issue 12): list one (with images, pending until they are
//! processed), read, edit and delete by the seller (admins may delete), and the lists:
//! everyone's by newest or price, within a price range, by seller, and my own.

pub mod dto;
pub mod handlers;
pub mod service;

use actix_web::web;

/// Registers `/products`, `/products/latest/{username}`, `/products/{id}` and
/// `/users/me/products` (literal paths before `/products/{id}`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    use handlers::*;
    cfg.service(create_product)
        .service(list_products)
        .service(latest_of)
        .service(my_products)
        .service(get_product)
        .service(update_product)
        .service(delete_product);
}

/// This module's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        handlers::create_product, handlers::list_products, handlers::latest_of,
        handlers::my_products, handlers::get_product, handlers::update_product,
        handlers::delete_product,
    ),
    components(schemas(
        dto::CreateProductRequest, dto::UpdateProductRequest, dto::ProductView,
        )),
    tags((name = "products", description = "Products for sale"))
)]
pub struct Doc;
