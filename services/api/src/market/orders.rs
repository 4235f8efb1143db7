//! Orders of datasets: prepared with the server's amount, settled by a verified payment.

use chrono::{DateTime, Utc};
use moji_auth::AuthUser;
use moji_common::{dataset::DatasetStatus, new_id};
use moji_db::{
    orders::{self, Order, Settled},
    DbError,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::provider::PaymentProvider as _;
use crate::{
    error::{ApiError, ApiResult},
    state::AppState,
};

/// An order as its buyer sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderView {
    /// Id: the order id to pay at the provider.
    pub id: Uuid,
    /// The set.
    pub dataset_id: Uuid,
    /// What to pay, in KRW, as computed by the server.
    pub amount_krw: i64,
    /// `pending`, `paid` or `failed`.
    pub status: String,
    /// The provider that takes the payment (`local` in development).
    pub provider: String,
    /// Why it failed (`amount_mismatch: …`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// When it was prepared.
    pub created_at: DateTime<Utc>,
    /// When it was paid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<DateTime<Utc>>,
}

impl From<Order> for OrderView {
    fn from(o: Order) -> Self {
        OrderView {
            id: o.id,
            dataset_id: o.dataset_id,
            amount_krw: o.amount_krw,
            status: o.status,
            provider: o.provider,
            failure: o.failure,
            created_at: o.created_at,
            paid_at: o.paid_at,
        }
    }
}

/// What a provider's callback says (its signature is checked over the raw body).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PaymentCallback {
    /// The payment at the provider.
    pub payment_id: String,
    /// The order it claims to pay.
    pub order_id: Uuid,
}

/// Prepares an order of a listed, ready set for someone other than its owner, at the set's
/// price; 409 when it is not for sale, is the buyer's own, or was bought already.
pub async fn create(state: &AppState, who: &AuthUser, dataset_id: Uuid) -> ApiResult<OrderView> {
    let set = state
        .db
        .run(move |c| moji_db::datasets::get(c, dataset_id))
        .await
        .map_err(|e| match e {
            DbError::NotFound => ApiError::NotFound("dataset"),
            other => other.into(),
        })?;
    if set.status != DatasetStatus::Ready {
        return Err(ApiError::NotFound("dataset"));
    }
    if set.user_id == who.user_id {
        return Err(ApiError::conflict("this set is yours: download it"));
    }
    let Some(price) = set.price_krw else {
        return Err(ApiError::conflict("this set is not for sale"));
    };
    let buyer = who.user_id;
    if state
        .db
        .run(move |c| orders::has_bought(c, dataset_id, buyer))
        .await?
    {
        return Err(ApiError::conflict("you bought this set already"));
    }
    let provider = state.payments.name();
    let order = state
        .db
        .run(move |c| orders::create(c, new_id(), dataset_id, buyer, price, provider))
        .await?;
    tracing::info!(order_id = %order.id, %dataset_id, amount_krw = price, "order prepared");
    Ok(order.into())
}

/// The buyer's order (403 to others).
pub async fn get(state: &AppState, who: &AuthUser, id: Uuid) -> ApiResult<OrderView> {
    let order = load(state, id).await?;
    who.require_owner_or_admin(order.buyer_id)?;
    Ok(order.into())
}

async fn load(state: &AppState, id: Uuid) -> ApiResult<Order> {
    state
        .db
        .run(move |c| orders::get(c, id))
        .await
        .map_err(|e| match e {
            DbError::NotFound => ApiError::NotFound("order"),
            other => other.into(),
        })
}

/// Handles a provider's (already authenticated) callback: asks the provider what payment
/// `payment_id` really was and settles the order with that, once. The answer is what the
/// order became.
pub async fn settle(state: &AppState, callback: PaymentCallback) -> ApiResult<OrderView> {
    let payment = state.payments.verify(&callback.payment_id).await?;
    if payment.order_id != callback.order_id {
        return Err(ApiError::conflict("the payment is for another order"));
    }
    let order_id = payment.order_id;
    if !payment.paid {
        return Err(ApiError::conflict("the payment did not go through"));
    }
    let (payment_id, amount) = (payment.id.clone(), payment.amount_krw);
    let settled = state
        .db
        .run(move |c| orders::settle(c, order_id, &payment_id, amount))
        .await
        .map_err(|e| match e {
            DbError::NotFound => ApiError::NotFound("order"),
            other => other.into(),
        })?;
    match &settled {
        Settled::Paid => tracing::info!(%order_id, payment_id = %payment.id, "order paid"),
        Settled::AlreadyPaid => {
            tracing::info!(%order_id, "repeated payment callback: nothing to do")
        }
        Settled::Failed(why) => tracing::warn!(%order_id, %why, "payment refused"),
        Settled::Unchanged(status) => {
            tracing::warn!(%order_id, %status, "callback for an order already settled")
        }
    }
    Ok(load(state, order_id).await?.into())
}

/// Whether `who` may download the set: its owner (or an admin), or a buyer with a paid order.
pub async fn may_download(
    state: &AppState,
    who: &AuthUser,
    owner: Uuid,
    dataset_id: Uuid,
) -> ApiResult<bool> {
    if who.user_id == owner || who.is_admin() {
        return Ok(true);
    }
    let buyer = who.user_id;
    Ok(state
        .db
        .run(move |c| orders::has_bought(c, dataset_id, buyer))
        .await?)
}
