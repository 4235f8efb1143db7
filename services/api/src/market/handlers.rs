//! Market handlers: prepare an order, read it, the provider's callback, and the development
//! provider's checkout.

use actix_web::{get, http::header, post, web, HttpRequest, HttpResponse};
use moji_auth::AuthUser;
use moji_telemetry::Problem;
use uuid::Uuid;

use super::{
    orders::{self, OrderView, PaymentCallback},
    provider::{check_signature, LocalCheckout, LocalReceipt, SIGNATURE_HEADER},
};
use crate::{
    error::{ApiError, ApiResult},
    state::AppState,
};

/// Largest callback body accepted.
const MAX_CALLBACK_BYTES: usize = 4096;

/// Prepare an order of a set for sale: 201 with the amount to pay (the set's price).
#[utoipa::path(
    post, path = "/api/v1/datasets/{id}/orders", tag = "market", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 201, body = OrderView),
        (status = 401, body = Problem), (status = 404, description = "No ready set", body = Problem),
        (status = 409, description = "Not for sale, your own, or bought already", body = Problem),
    )
)]
#[post("/datasets/{id}/orders")]
pub async fn create_order(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let order = orders::create(&state, &who, *id).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/orders/{}", order.id)))
        .json(order))
}

/// One of my orders.
#[utoipa::path(
    get, path = "/api/v1/orders/{id}", tag = "market", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = OrderView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem))
)]
#[get("/orders/{id}")]
pub async fn get_order(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(orders::get(&state, &who, *id).await?))
}

/// The payment provider's callback: signed (`X-Moji-Signature: sha256=<HMAC of the body>`);
/// the order is settled with what the provider says was paid, once.
#[utoipa::path(
    post, path = "/api/v1/payments/callback", tag = "market",
    request_body = PaymentCallback,
    responses(
        (status = 200, description = "What the order became", body = OrderView),
        (status = 400, description = "Malformed body", body = Problem),
        (status = 401, description = "Bad signature", body = Problem),
        (status = 404, description = "Unknown payment or order", body = Problem),
        (status = 409, description = "The payment is for another order or did not go through", body = Problem),
        (status = 413, body = Problem),
    )
)]
#[post("/payments/callback")]
pub async fn callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    if body.len() > MAX_CALLBACK_BYTES {
        return Err(ApiError::BadRequest(format!(
            "a callback is at most {MAX_CALLBACK_BYTES} bytes"
        )));
    }
    let signature = req
        .headers()
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    check_signature(state.payments.secret(), &body, signature)?;
    let callback: PaymentCallback = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("not a payment callback: {e}")))?;
    Ok(HttpResponse::Ok().json(orders::settle(&state, callback).await?))
}

/// The development provider's payment window: pays `amount_krw` for an order of mine and
/// calls back. Only with `payments.provider = local`.
#[utoipa::path(
    post, path = "/api/v1/payments/local/checkout", tag = "market", security(("bearer" = [])),
    request_body = LocalCheckout,
    responses(
        (status = 201, description = "Paid at the provider; the callback follows", body = LocalReceipt),
        (status = 401, body = Problem), (status = 403, description = "Not your order", body = Problem),
        (status = 404, body = Problem), (status = 409, description = "Not pending", body = Problem),
        (status = 422, body = Problem),
    )
)]
#[post("/payments/local/checkout")]
pub async fn local_checkout(
    state: web::Data<AppState>,
    who: AuthUser,
    body: web::Json<LocalCheckout>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let order = orders::get(&state, &who, body.order_id).await?;
    if order.status != "pending" {
        return Err(ApiError::conflict(format!("the order is {}", order.status)));
    }
    let receipt = state
        .payments
        .checkout(body.order_id, body.amount_krw)
        .await?;
    Ok(HttpResponse::Created().json(receipt))
}
