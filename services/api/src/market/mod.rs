//! The dataset market (docs/datasets.md, "Market"): an owner lists a ready set with a KRW
//! price; a buyer's order is prepared with the amount the server computes; the payment is
//! taken by a [`provider::PaymentProvider`] and granted only after the server asked the
//! provider what was really paid and the amounts match, once however often it calls back.

pub mod handlers;
pub mod orders;
pub mod provider;

use actix_web::web;

/// Registers `/datasets/{id}/orders`, `/orders/{id}` and `/payments/…`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(handlers::create_order)
        .service(handlers::get_order)
        .service(handlers::callback)
        .service(handlers::local_checkout);
}

/// This module's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(handlers::create_order, handlers::get_order, handlers::callback, handlers::local_checkout),
    components(schemas(
        orders::OrderView, orders::PaymentCallback, provider::LocalCheckout, provider::LocalReceipt
    )),
    tags((name = "market", description = "Buying datasets: orders, payments, callbacks"))
)]
pub struct Doc;
