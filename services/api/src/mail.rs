//! Delivers the mail outbox (password resets, e-mail verification): claims due mails (leased,
//! so replicas share the work), sends each through `moji-mail`, deletes what the server took
//! and retries the rest with backoff (1 min doubling to 1 h; a mail the server refuses for
//! good — a bad address — is dropped after 8 attempts and logged).

use std::{
    sync::{Arc, LazyLock},
    time::Duration,
};

use chrono::Duration as Span;
use moji_db::mail;
use moji_mail::{MailError, Mailer};
use moji_telemetry::register;
use prometheus::{IntCounterVec, IntGauge, Opts};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::state::AppState;

/// Mails per claim.
const BATCH: i64 = 20;
/// How long a claim keeps other senders off a mail.
const LEASE: Duration = Duration::from_secs(120);
/// Longest sleep between passes when nobody pokes the sender.
const IDLE: Duration = Duration::from_secs(5);
/// Attempts before a mail is given up.
const MAX_ATTEMPTS: i32 = 8;

/// Mails handled, by outcome (`sent`, `retry`, `dropped`).
pub static MAILS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register(
        IntCounterVec::new(
            Opts::new("moji_mail_total", "Mails handled by the sender, by outcome"),
            &["outcome"],
        )
        .unwrap_or_else(|e| unreachable!("static metric definition: {e}")),
    )
});

/// Mails waiting at the last pass.
pub static BACKLOG: LazyLock<IntGauge> = LazyLock::new(|| {
    register(
        IntGauge::new("moji_mail_backlog", "Mails waiting in the mail outbox")
            .unwrap_or_else(|e| unreachable!("static metric definition: {e}")),
    )
});

/// The mail sender's transport and its wake-up.
pub struct MailOutbox {
    mailer: Mailer,
    wake: Notify,
}

impl MailOutbox {
    /// Wraps a mailer.
    pub fn new(mailer: Mailer) -> Arc<Self> {
        Arc::new(Self {
            mailer,
            wake: Notify::new(),
        })
    }

    /// Asks for a pass now (after a commit that queued a mail).
    pub fn poke(&self) {
        self.wake.notify_one();
    }
}

/// The wait before attempt `attempts + 1`: 1 min doubling, at most 1 h.
fn backoff(attempts: i32) -> Span {
    Span::minutes(1i64 << attempts.clamp(0, 6))
}

/// One pass: sends up to [`BATCH`] due mails; returns how many were claimed.
pub async fn pass(state: &AppState) -> Result<usize, crate::error::ApiError> {
    let claimed = state.db.run(|c| mail::claim(c, BATCH, LEASE)).await?;
    let n = claimed.len();
    for m in claimed {
        let outcome = state
            .mail
            .mailer
            .send(&m.to_address, &m.subject, &m.body)
            .await;
        let id = m.id;
        match outcome {
            Ok(()) => {
                state.db.run(move |c| mail::sent(c, id)).await?;
                MAILS.with_label_values(&["sent"]).inc();
            }
            Err(e) if m.attempts + 1 >= MAX_ATTEMPTS || matches!(e, MailError::Recipient(_)) => {
                tracing::error!(mail_id = id, error = %e, attempts = m.attempts + 1, "mail dropped");
                state.db.run(move |c| mail::sent(c, id)).await?;
                MAILS.with_label_values(&["dropped"]).inc();
            }
            Err(e) => {
                tracing::warn!(mail_id = id, error = %e, "mail not sent; will retry");
                let why = e.to_string();
                let wait = backoff(m.attempts);
                state
                    .db
                    .run(move |c| mail::failed(c, id, &why, wait))
                    .await?;
                MAILS.with_label_values(&["retry"]).inc();
            }
        }
    }
    Ok(n)
}

/// Runs passes until `shutdown`: right after a poke, at least every [`IDLE`].
pub fn spawn(state: &AppState, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
    for outcome in ["sent", "retry", "dropped"] {
        MAILS.with_label_values(&[outcome]);
    }
    LazyLock::force(&BACKLOG);
    let state = state.clone();
    tokio::spawn(async move {
        loop {
            let full = match pass(&state).await {
                Ok(n) => n as i64 == BATCH,
                Err(e) => {
                    tracing::warn!(error = %e, "mail pass failed");
                    false
                }
            };
            if let Ok(n) = state.db.run(mail::backlog).await {
                BACKLOG.set(n);
            }
            if full {
                continue;
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = state.mail.wake.notified() => {}
                () = tokio::time::sleep(IDLE) => {}
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(backoff(0), Span::minutes(1));
        assert_eq!(backoff(3), Span::minutes(8));
        assert_eq!(backoff(40), Span::minutes(64));
    }
}
