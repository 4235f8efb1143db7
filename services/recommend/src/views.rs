//! `POST /api/v1/recommend/events/views {item, dwell_ms}`: time spent on an item. Views are
//! queued (bounded: a full queue answers 503 rather than growing), summed per person and item,
//! and written in batches every `recommend.views_flush_ms` or `views_batch` views.

use std::{collections::HashMap, sync::Arc, time::Duration};

use actix_web::{post, web, HttpResponse};
use chrono::{DateTime, Utc};
use moji_auth::AuthUser;
use moji_db::recommend::{self as db, ViewTotal};
use moji_telemetry::{FieldError, Problem};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, Mutex};
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    error::{validated, RecError, RecResult},
    indexer::tag_kind,
    metrics, RecState,
};

/// Longest view a client may report (a day); longer ones are refused as nonsense.
pub const MAX_REPORTED_DWELL_MS: i64 = 86_400_000;

/// One reported view.
#[derive(Debug, Clone)]
pub struct View {
    user_id: Uuid,
    item_id: Uuid,
    kind: &'static str,
    dwell_ms: i64,
    at: DateTime<Utc>,
}

/// The queue of views waiting to be written.
#[derive(Clone)]
pub struct ViewRecorder {
    tx: mpsc::Sender<View>,
    rx: Arc<Mutex<Option<mpsc::Receiver<View>>>>,
}

impl ViewRecorder {
    /// A queue of at most `capacity` views.
    pub fn new(capacity: usize) -> Self {
        let (tx, rx) = mpsc::channel(capacity);
        Self {
            tx,
            rx: Arc::new(Mutex::new(Some(rx))),
        }
    }

    fn offer(&self, view: View) -> RecResult<()> {
        self.tx.try_send(view).map_err(|_| {
            metrics::VIEWS.with_label_values(&["dropped"]).inc();
            RecError::Busy("too many views are waiting to be written")
        })
    }
}

/// Sums views per person and item.
pub fn totals(views: Vec<View>, max_dwell_ms: i64) -> Vec<ViewTotal> {
    let mut sums: HashMap<(Uuid, Uuid), ViewTotal> = HashMap::new();
    for v in views {
        let dwell = v.dwell_ms.min(max_dwell_ms);
        sums.entry((v.user_id, v.item_id))
            .and_modify(|t| {
                t.dwell_ms += dwell;
                t.views += 1;
                t.last_viewed_at = t.last_viewed_at.max(v.at);
            })
            .or_insert(ViewTotal {
                user_id: v.user_id,
                item_id: v.item_id,
                kind: v.kind.to_owned(),
                dwell_ms: dwell,
                views: 1,
                last_viewed_at: v.at,
            });
    }
    sums.into_values().collect()
}

async fn write(state: &RecState, batch: Vec<View>) {
    let n = batch.len() as u64;
    let max = i64::try_from(state.settings.recommend.max_dwell_ms).unwrap_or(i64::MAX);
    let rows = totals(batch, max);
    match state.db.run(move |c| db::record_views(c, &rows)).await {
        Ok(_) => metrics::VIEWS.with_label_values(&["recorded"]).inc_by(n),
        Err(e) => {
            metrics::VIEWS.with_label_values(&["dropped"]).inc_by(n);
            tracing::warn!(error = %e, views = n, "views not recorded");
        }
    }
}

/// Writes queued views until `shutdown`, then writes what is left.
pub fn spawn_writer(state: &RecState, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
    let state = state.clone();
    tokio::spawn(async move {
        let Some(mut rx) = state.views.rx.lock().await.take() else {
            return;
        };
        let (batch_size, every) = (
            state.settings.recommend.views_batch,
            Duration::from_millis(state.settings.recommend.views_flush_ms),
        );
        let mut batch = Vec::with_capacity(batch_size);
        loop {
            let deadline = tokio::time::sleep(every);
            tokio::pin!(deadline);
            let stop = loop {
                tokio::select! {
                    biased;
                    () = shutdown.cancelled() => break true,
                    () = &mut deadline => break false,
                    next = rx.recv() => match next {
                        Some(v) => {
                            batch.push(v);
                            if batch.len() >= batch_size { break false; }
                        }
                        None => break true,
                    },
                }
            };
            if stop {
                while let Ok(v) = rx.try_recv() {
                    batch.push(v);
                }
            }
            if !batch.is_empty() {
                write(&state, std::mem::take(&mut batch)).await;
            }
            if stop {
                return;
            }
        }
    })
}

/// `{item, dwell_ms}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ViewBody {
    /// The post, product, emoji or person looked at.
    pub item: Uuid,
    /// Milliseconds it was on screen (0..=86,400,000; longer views count as `recommend.max_dwell_ms`).
    pub dwell_ms: i64,
}

/// Accepted.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Accepted {
    /// Always true.
    pub accepted: bool,
}

/// Records time spent on an item.
#[utoipa::path(
    post, path = "/api/v1/recommend/events/views", tag = "recommend", request_body = ViewBody,
    security(("bearer" = [])),
    responses(
        (status = 202, body = Accepted),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 404, description = "No such visible item", body = Problem),
        (status = 422, description = "dwell_ms out of range", body = Problem),
        (status = 503, description = "Too many views waiting; retry later", body = Problem),
    )
)]
#[post("/api/v1/recommend/events/views")]
pub async fn record(
    state: web::Data<RecState>,
    who: AuthUser,
    body: web::Json<ViewBody>,
) -> RecResult<HttpResponse> {
    let body = body.into_inner();
    let mut errors = Vec::new();
    if !(0..=MAX_REPORTED_DWELL_MS).contains(&body.dwell_ms) {
        errors.push(FieldError::new(
            "dwell_ms",
            format!("0 to {MAX_REPORTED_DWELL_MS}"),
        ));
    }
    validated(errors)?;
    let item = body.item;
    let kind = match state.index.run(move |index| Ok(index.get(item))).await? {
        Some((tag, _)) => tag_kind(tag),
        None => {
            let visible = state.db.run(move |c| db::visible_item(c, item)).await?;
            tag_kind(crate::indexer::kind_tag(
                &visible.ok_or(RecError::NotFound("item"))?.kind,
            ))
        }
    };
    state.views.offer(View {
        user_id: who.user_id,
        item_id: item,
        kind,
        dwell_ms: body.dwell_ms,
        at: Utc::now(),
    })?;
    Ok(HttpResponse::Accepted().json(Accepted { accepted: true }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_are_summed_per_person_and_item() {
        let (u, a, b) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let at = Utc::now();
        let v = |item, dwell| View {
            user_id: u,
            item_id: item,
            kind: "post",
            dwell_ms: dwell,
            at,
        };
        let mut t = totals(vec![v(a, 1_000), v(a, 2_000), v(b, 900_000)], 600_000);
        t.sort_by_key(|t| t.item_id);
        assert_eq!((t[0].dwell_ms, t[0].views), (3_000, 2));
        assert_eq!(
            (t[1].dwell_ms, t[1].views),
            (600_000, 1),
            "cut to the longest that counts"
        );
    }
}
