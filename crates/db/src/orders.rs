//! The dataset market's orders (docs/datasets.md, "Market"): prepared with the amount the
//! server computed, settled once by a verified payment, and the buyer's right to download.
//! Also the ledger of the development payment provider (`local_payments`).

use chrono::{DateTime, Utc};
use diesel::{pg::PgConnection, prelude::*};
use uuid::Uuid;

use crate::{
    schema::{dataset_orders, local_payments},
    DbError,
};

/// An order.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = dataset_orders, check_for_backend(diesel::pg::Pg))]
pub struct Order {
    /// Id (also the merchant's order id at the provider).
    pub id: Uuid,
    /// The set bought.
    pub dataset_id: Uuid,
    /// The buyer.
    pub buyer_id: Uuid,
    /// What the server asked for, in KRW.
    pub amount_krw: i64,
    /// `pending`, `paid` or `failed`.
    pub status: String,
    /// Which provider takes the payment.
    pub provider: String,
    /// The provider's id of the payment that settled it.
    pub payment_id: Option<String>,
    /// Why it failed.
    pub failure: Option<String>,
    /// When it was prepared.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When it was paid.
    pub paid_at: Option<DateTime<Utc>>,
}

/// Prepares an order of `amount_krw` for `buyer` (the amount is the caller's computation, never
/// the client's).
pub fn create(
    conn: &mut PgConnection,
    id: Uuid,
    dataset_id: Uuid,
    buyer: Uuid,
    amount_krw: i64,
    provider: &str,
) -> Result<Order, DbError> {
    Ok(diesel::insert_into(dataset_orders::table)
        .values((
            dataset_orders::id.eq(id),
            dataset_orders::dataset_id.eq(dataset_id),
            dataset_orders::buyer_id.eq(buyer),
            dataset_orders::amount_krw.eq(amount_krw),
            dataset_orders::provider.eq(provider),
        ))
        .returning(Order::as_returning())
        .get_result(conn)?)
}

/// The order with this id.
pub fn get(conn: &mut PgConnection, id: Uuid) -> Result<Order, DbError> {
    Ok(dataset_orders::table
        .find(id)
        .select(Order::as_select())
        .first(conn)?)
}

/// Whether `buyer` has a paid order of the set.
pub fn has_bought(conn: &mut PgConnection, dataset_id: Uuid, buyer: Uuid) -> Result<bool, DbError> {
    Ok(diesel::select(diesel::dsl::exists(
        dataset_orders::table
            .filter(dataset_orders::dataset_id.eq(dataset_id))
            .filter(dataset_orders::buyer_id.eq(buyer))
            .filter(dataset_orders::status.eq("paid")),
    ))
    .get_result(conn)?)
}

/// What settling an order did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// Paid now.
    Paid,
    /// Already paid by this same payment (a repeated callback): nothing changed.
    AlreadyPaid,
    /// Failed now, for this reason.
    Failed(String),
    /// It had ended before (paid by another payment, or failed): nothing changed.
    Unchanged(String),
}

/// Settles a pending order with a verified payment: paid when `paid_krw` is the order's amount,
/// failed otherwise. Once only: a repeated callback changes nothing.
pub fn settle(
    conn: &mut PgConnection,
    id: Uuid,
    payment_id: &str,
    paid_krw: i64,
) -> Result<Settled, DbError> {
    conn.transaction(|conn| {
        let order: Order = dataset_orders::table
            .find(id)
            .select(Order::as_select())
            .for_update()
            .first(conn)?;
        if order.status != "pending" {
            return Ok(
                if order.payment_id.as_deref() == Some(payment_id) && order.status == "paid" {
                    Settled::AlreadyPaid
                } else {
                    Settled::Unchanged(order.status)
                },
            );
        }
        let now = Utc::now();
        let refused = if paid_krw != order.amount_krw {
            Some(format!(
                "amount_mismatch: {paid_krw} KRW paid for an order of {} KRW",
                order.amount_krw
            ))
        } else if has_bought(conn, order.dataset_id, order.buyer_id)? {
            // Another order of the same set was paid first (two tabs): one paid order per
            // buyer and set (a unique index says so too).
            Some("already_bought: the buyer already owns this set".to_owned())
        } else {
            None
        };
        if let Some(why) = refused {
            diesel::update(dataset_orders::table.find(id))
                .set((
                    dataset_orders::status.eq("failed"),
                    dataset_orders::failure.eq(&why),
                    dataset_orders::updated_at.eq(now),
                ))
                .execute(conn)?;
            return Ok(Settled::Failed(why));
        }
        diesel::update(dataset_orders::table.find(id))
            .set((
                dataset_orders::status.eq("paid"),
                dataset_orders::payment_id.eq(payment_id),
                dataset_orders::updated_at.eq(now),
                dataset_orders::paid_at.eq(now),
            ))
            .execute(conn)?;
        Ok(Settled::Paid)
    })
}

/// A payment in the development provider's ledger.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = local_payments, check_for_backend(diesel::pg::Pg))]
pub struct LocalPayment {
    /// Its id (`lp_…`).
    pub id: String,
    /// The merchant's order it pays.
    pub order_id: Uuid,
    /// What was paid.
    pub amount_krw: i64,
    /// `paid` or `cancelled`.
    pub status: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Records a payment at the development provider.
pub fn record_local_payment(
    conn: &mut PgConnection,
    id: &str,
    order_id: Uuid,
    amount_krw: i64,
) -> Result<LocalPayment, DbError> {
    Ok(diesel::insert_into(local_payments::table)
        .values((
            local_payments::id.eq(id),
            local_payments::order_id.eq(order_id),
            local_payments::amount_krw.eq(amount_krw),
            local_payments::status.eq("paid"),
        ))
        .returning(LocalPayment::as_returning())
        .get_result(conn)?)
}

/// A payment of the development provider.
pub fn local_payment(conn: &mut PgConnection, id: &str) -> Result<LocalPayment, DbError> {
    Ok(local_payments::table
        .find(id)
        .select(LocalPayment::as_select())
        .first(conn)?)
}
