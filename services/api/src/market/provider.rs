//! Payment providers. The seed used a Korean PG's prepare/verify: the shop prepares an order
//! with its amount, the buyer pays at the PG, the PG calls back, and the shop asks the PG what
//! was paid before granting anything. [`PaymentProvider::verify`] is that last question.
//!
//! [`LocalProvider`] is the development and test provider: its checkout pays whatever amount
//! it is given (so tests can tamper), keeps the payment in its own ledger (`local_payments`),
//! and calls back over real HTTP with an HMAC-SHA256 signature of the body, as a PG would.

use std::{future::Future, pin::Pin, sync::Arc, time::Duration};

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

/// A payment as the provider knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// The provider's id.
    pub id: String,
    /// The shop's order it pays.
    pub order_id: Uuid,
    /// What was really paid, in KRW.
    pub amount_krw: i64,
    /// Whether it went through.
    pub paid: bool,
}

/// A boxed future of a provider call.
pub type ProviderFuture<'a, T> = Pin<Box<dyn Future<Output = ApiResult<T>> + Send + 'a>>;

/// Where payments are taken.
pub trait PaymentProvider: Send + Sync {
    /// The provider's name, kept with each order.
    fn name(&self) -> &'static str;

    /// What the provider says about payment `id` (the server-side check before granting).
    fn verify<'a>(&'a self, id: &'a str) -> ProviderFuture<'a, Payment>;
}

/// The header carrying a callback's signature: `sha256=<hex of HMAC-SHA256(secret, body)>`.
pub const SIGNATURE_HEADER: &str = "x-moji-signature";

/// Signs a callback body.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

/// Checks a callback's signature in constant time; 401 `invalid_signature` otherwise.
pub fn check_signature(secret: &[u8], body: &[u8], header: Option<&str>) -> ApiResult<()> {
    let bad = || ApiError::BadSignature("the payment callback's signature does not match".into());
    let hex = header
        .and_then(|h| h.strip_prefix("sha256="))
        .ok_or_else(bad)?;
    if hex.len() != 64 {
        return Err(bad());
    }
    let bytes: Option<Vec<u8>> = (0..32)
        .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    let bytes = bytes.ok_or_else(bad)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(body);
    mac.verify_slice(&bytes).map_err(|_| bad())
}

/// What the development provider's checkout is asked to pay.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocalCheckout {
    /// The shop's order.
    pub order_id: Uuid,
    /// What the buyer pays, in KRW (a real PG takes what its payment window shows; this one
    /// takes anything, so a tampered amount can be tried).
    pub amount_krw: i64,
}

/// The development provider's receipt.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LocalReceipt {
    /// The payment's id at the provider.
    pub payment_id: String,
    /// What was paid.
    pub amount_krw: i64,
}

/// The development provider (see the module docs).
#[derive(Clone)]
pub struct LocalProvider {
    db: moji_db::Db,
    secret: Arc<Vec<u8>>,
    callback_url: String,
    http: reqwest::Client,
}

impl LocalProvider {
    /// A provider calling back to `callback_url`, signing with `secret`.
    pub fn new(db: moji_db::Db, secret: Vec<u8>, callback_url: String) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self {
            db,
            secret: Arc::new(secret),
            callback_url,
            http,
        }
    }

    /// The key callbacks are signed with.
    pub fn secret(&self) -> &[u8] {
        &self.secret
    }

    /// Takes a payment and calls back (in the background, retried a few times like a PG's
    /// webhook): the receipt comes back at once.
    pub async fn checkout(&self, order_id: Uuid, amount_krw: i64) -> ApiResult<LocalReceipt> {
        if !(0..=100_000_000).contains(&amount_krw) {
            return Err(ApiError::Validation(vec![moji_telemetry::FieldError::new(
                "amount_krw",
                "0 to 100,000,000",
            )]));
        }
        let id = format!("lp_{}", Uuid::now_v7().simple());
        let payment_id = id.clone();
        self.db
            .run(move |c| {
                moji_db::orders::record_local_payment(c, &payment_id, order_id, amount_krw)
            })
            .await?;
        let body = serde_json::to_vec(&serde_json::json!({"payment_id": id, "order_id": order_id}))
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        let this = self.clone();
        tokio::spawn(async move { this.call_back(body).await });
        Ok(LocalReceipt {
            payment_id: id,
            amount_krw,
        })
    }

    async fn call_back(&self, body: Vec<u8>) {
        let signature = sign(&self.secret, &body);
        for attempt in 0..5u32 {
            let sent = self
                .http
                .post(&self.callback_url)
                .header("content-type", "application/json")
                .header(SIGNATURE_HEADER, &signature)
                .body(body.clone())
                .send()
                .await;
            match sent {
                Ok(resp) if resp.status().is_success() => return,
                Ok(resp) => {
                    tracing::warn!(status = %resp.status(), attempt, "payment callback refused")
                }
                Err(e) => tracing::warn!(error = %e, attempt, "payment callback not delivered"),
            }
            tokio::time::sleep(Duration::from_millis(200 * 2u64.pow(attempt))).await;
        }
        tracing::error!("payment callback given up after 5 attempts");
    }
}

impl PaymentProvider for LocalProvider {
    fn name(&self) -> &'static str {
        "local"
    }

    fn verify<'a>(&'a self, id: &'a str) -> ProviderFuture<'a, Payment> {
        Box::pin(async move {
            let key = id.to_owned();
            let found = self
                .db
                .run(move |c| moji_db::orders::local_payment(c, &key))
                .await
                .map_err(|e| match e {
                    moji_db::DbError::NotFound => ApiError::NotFound("payment"),
                    other => other.into(),
                })?;
            Ok(Payment {
                id: found.id,
                order_id: found.order_id,
                amount_krw: found.amount_krw,
                paid: found.status == "paid",
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_anything_else_is_refused() {
        let body = br#"{"payment_id":"lp_1","order_id":"x"}"#;
        let good = sign(b"secret", body);
        assert!(check_signature(b"secret", body, Some(&good)).is_ok());
        assert!(check_signature(b"other", body, Some(&good)).is_err());
        assert!(check_signature(b"secret", b"{}", Some(&good)).is_err());
        assert!(check_signature(b"secret", body, None).is_err());
        assert!(check_signature(b"secret", body, Some("sha256=zz")).is_err());
        assert!(check_signature(b"secret", body, Some(&good.replace("sha256=", "md5="))).is_err());
    }
}
