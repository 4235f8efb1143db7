//! Datasets as the api sees them: accept a request (image stored, row, quota and queued message
//! in one transaction), report a set (the live Redis progress over the row), cancel, edit,
//! delete, list, search and hand out download links.

use std::{convert::Infallible, time::Duration};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::Stream;
use moji_auth::AuthUser;
use moji_common::{
    dataset::{DatasetCategory, DatasetGenerateV1, DatasetMethod, DatasetStatus},
    new_id, Envelope, MessageType, TaskKind, TaskStatus,
};
use moji_db::{
    datasets::{self, Filter, Listed, NewDataset, Sort, Submitted},
    keyset::Start,
    outbox::{self, Exchange},
    DbError,
};
use moji_redis::{NewTask, StateError, TaskEvent};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::form::{check_description, check_tags, check_title, Upload};
use crate::{
    error::{validated, ApiError, ApiResult},
    faces::tasks::TaskErrorView,
    http::{links, sse::named_stream, FeedOf, Paging},
    state::AppState,
};

/// Links of a dataset.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DatasetLinks {
    /// This dataset.
    #[serde(rename = "self")]
    pub self_: String,
    /// Its Server-Sent Events while it is made (owner only).
    pub events: String,
    /// Where to ask for a download link (owner, and buyers once sets are sold).
    pub download: String,
}

/// A dataset as clients see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DatasetView {
    /// Id.
    pub id: Uuid,
    /// Owner's handle.
    pub owner: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Category.
    pub category: DatasetCategory,
    /// Tags.
    pub tags: Vec<String>,
    /// How the images are made.
    pub method: DatasetMethod,
    /// Side of every image in pixels.
    pub size: u32,
    /// Images in the set.
    pub quantity: u32,
    /// The seed (the same seed, image and settings give the same set).
    pub seed: u64,
    /// `queued`, `running`, `ready`, `failed` or `cancelled`.
    pub status: DatasetStatus,
    /// 0–100, in steps of 5 while running.
    pub progress: u8,
    /// The error once failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<TaskErrorView>,
    /// A short-lived link to the 4×4 preview sheet, once ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview_url: Option<String>,
    /// Size of the zip in bytes, once ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip_bytes: Option<u64>,
    /// Seconds the set took to make, once ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    /// GAN sets: the samples' mean SSIM to the input (near 1 would mean copies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_ssim: Option<f64>,
    /// GAN sets: the mean pairwise diversity of the samples (1 − SSIM between them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diversity: Option<f64>,
    /// Price in KRW when listed for sale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_krw: Option<i64>,
    /// Downloads so far.
    pub downloads: i64,
    /// Submission time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When it was made, failed or was cancelled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// Where to poll, follow and download.
    pub links: DatasetLinks,
}

/// Today's image quota of one person.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct ImageQuota {
    /// Images one may ask for per product day.
    pub limit: u32,
    /// Images left today.
    pub remaining: u32,
    /// When the next product day starts.
    pub resets_at: DateTime<Utc>,
}

/// A download link.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DownloadLink {
    /// The zip, for a GET within `expires_at` (at most 15 minutes).
    pub url: String,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
}

/// What an owner may change of a set.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DatasetEdit {
    /// New title (1 to 100 characters).
    pub title: Option<String>,
    /// New description (up to 2,000 characters).
    pub description: Option<String>,
    /// New tags (replacing all).
    pub tags: Option<Vec<String>>,
    /// List for sale at this price in KRW (100 to 10,000,000; ready sets only), or `null` to
    /// take it off sale.
    #[serde(default, deserialize_with = "crate::http::params::explicit_null")]
    #[schema(value_type = Option<i64>)]
    pub price_krw: Option<Option<i64>>,
}

fn links(id: Uuid) -> DatasetLinks {
    DatasetLinks {
        self_: format!("/api/v1/datasets/{id}"),
        events: format!("/api/v1/datasets/{id}/events"),
        download: format!("/api/v1/datasets/{id}/download"),
    }
}

/// A number the worker reported about a made set.
fn reported(d: &moji_db::datasets::Dataset, field: &str) -> Option<f64> {
    d.result.as_ref()?.get(field)?.as_f64()
}

/// The view of a row, with a preview link once ready.
async fn view_of(state: &AppState, listed: &Listed) -> ApiResult<DatasetView> {
    let d = &listed.dataset;
    let preview_url = match (&d.preview_key, d.status) {
        (Some(key), DatasetStatus::Ready) => Some(links::download_url(state, key).await?),
        _ => None,
    };
    Ok(DatasetView {
        id: d.id,
        owner: listed.username.clone(),
        title: d.title.clone(),
        description: d.description.clone(),
        category: d.category,
        tags: d.tags(),
        method: d.method,
        size: u32::try_from(d.size).unwrap_or(0),
        quantity: u32::try_from(d.quantity).unwrap_or(0),
        seed: u64::try_from(d.seed).unwrap_or(0),
        status: d.status,
        progress: if d.status == DatasetStatus::Ready {
            100
        } else {
            0
        },
        error: d.error_code.as_ref().map(|code| TaskErrorView {
            code: code.clone(),
            detail: d.error_detail.clone().unwrap_or_default(),
        }),
        preview_url,
        zip_bytes: d.zip_bytes.and_then(|b| u64::try_from(b).ok()),
        seconds: reported(d, "seconds"),
        mean_ssim: reported(d, "mean_ssim"),
        diversity: reported(d, "diversity"),
        price_krw: d.price_krw,
        downloads: d.downloads,
        created_at: d.created_at,
        updated_at: d.updated_at,
        finished_at: d.finished_at,
        links: links(d.id),
    })
}

/// Lays the live record of an open set over its view: running and its progress. A record
/// that says succeeded while the row is still open means the api is saving it: running, 100.
fn apply_live(view: &mut DatasetView, status: TaskStatus, progress: u8, at: DateTime<Utc>) {
    if view.status.is_final() {
        return;
    }
    match status {
        TaskStatus::Running | TaskStatus::Succeeded => {
            view.status = DatasetStatus::Running;
            view.progress = if status == TaskStatus::Succeeded {
                100
            } else {
                progress
            };
            view.updated_at = view.updated_at.max(at);
        }
        TaskStatus::Queued | TaskStatus::Failed | TaskStatus::Cancelled => {}
    }
}

async fn live_view(state: &AppState, listed: &Listed) -> ApiResult<DatasetView> {
    let mut view = view_of(state, listed).await?;
    if !view.status.is_final() {
        if let Some(rec) = state.redis.get_task(listed.dataset.id).await? {
            apply_live(&mut view, rec.status, rec.progress, rec.updated_at);
        }
    }
    Ok(view)
}

async fn load(state: &AppState, id: Uuid) -> ApiResult<Listed> {
    state
        .db
        .run(move |c| datasets::get_listed(c, id))
        .await
        .map_err(|e| match e {
            DbError::NotFound => ApiError::NotFound("dataset"),
            other => other.into(),
        })
}

/// A set the caller may see: ready sets are everyone's to find; the rest only their owner's
/// (403 otherwise).
async fn visible(state: &AppState, who: Option<&AuthUser>, id: Uuid) -> ApiResult<Listed> {
    let listed = load(state, id).await?;
    if listed.dataset.status == DatasetStatus::Ready {
        return Ok(listed);
    }
    match who {
        Some(who) => who.require_owner_or_admin(listed.dataset.user_id)?,
        None => return Err(moji_auth::AuthError::MissingToken.into()),
    }
    Ok(listed)
}

/// A set only its owner (or an admin) may act on.
async fn owned(state: &AppState, who: &AuthUser, id: Uuid) -> ApiResult<Listed> {
    let listed = load(state, id).await?;
    who.require_owner_or_admin(listed.dataset.user_id)?;
    Ok(listed)
}

/// The image quota of `user` with `used` images taken today.
fn quota(state: &AppState, used: i32) -> ImageQuota {
    let limit = state.settings.datasets.daily_images;
    let today = state.calendar.today();
    let tomorrow = today.succ_opt().unwrap_or(today);
    ImageQuota {
        limit,
        remaining: limit.saturating_sub(u32::try_from(used.max(0)).unwrap_or(u32::MAX)),
        resets_at: state.calendar.start_of(tomorrow),
    }
}

/// `user`'s image quota today.
pub async fn current_quota(state: &AppState, user: Uuid) -> ApiResult<ImageQuota> {
    let day = state.calendar.today();
    let used = state
        .db
        .run(move |c| datasets::quota_used(c, user, day))
        .await?;
    Ok(quota(state, used))
}

/// Stores the image, then records the set with its images taken from today's quota and its
/// `dataset.generate` queued, all in one transaction: an accepted set is always made. Returns
/// the set and whether it is new; 429 when the images do not fit in what is left today.
pub async fn submit(
    state: &AppState,
    who: &AuthUser,
    upload: Upload,
    idempotency_key: Option<String>,
) -> ApiResult<(DatasetView, bool)> {
    let user = who.user_id;
    if let Some(key) = idempotency_key.clone() {
        let existing = state
            .db
            .run(move |c| datasets::by_idempotency_key(c, user, &key))
            .await?;
        if let Some(set) = existing {
            return Ok((live_view(state, &load(state, set.id).await?).await?, false));
        }
    }
    let id = new_id();
    let source_key = format!("uploads/{user}/{}.{}", new_id(), upload.format.extension());
    state
        .storage
        .put(&source_key, upload.image, upload.format.mime())
        .await?;
    let r = upload.request;
    let message = DatasetGenerateV1 {
        dataset_id: id,
        user_id: user,
        source_key: source_key.clone(),
        method: r.method,
        size: r.size,
        quantity: r.quantity,
        seed: r.seed,
    };
    let envelope = serde_json::to_value(Envelope::new("api", id, message))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let outgoing = outbox::Message {
        exchange: Exchange::Tasks,
        routing_key: DatasetGenerateV1::TYPE.to_owned(),
        envelope,
    };
    let new = NewDataset {
        id,
        user_id: user,
        title: r.title,
        description: r.description,
        category: r.category,
        tags: r.tags,
        method: r.method,
        size: i32::try_from(r.size).unwrap_or(i32::MAX),
        quantity: i32::try_from(r.quantity).unwrap_or(i32::MAX),
        seed: i64::try_from(r.seed).unwrap_or(i64::MAX),
        source_key: source_key.clone(),
        day: state.calendar.today(),
        idempotency_key,
    };
    let limit = i32::try_from(state.settings.datasets.daily_images).unwrap_or(i32::MAX);
    let submitted = state
        .db
        .run(move |c| datasets::submit(c, &new, limit, &outgoing))
        .await;
    let set = match submitted {
        Ok(Submitted::Created(set, _)) => set,
        other => {
            // Nothing refers to the stored image.
            if let Err(e) = state.storage.delete(&source_key).await {
                tracing::warn!(key = %source_key, error = %e, "could not remove an unused upload");
            }
            return match other? {
                Submitted::Existing(set) => {
                    Ok((live_view(state, &load(state, set.id).await?).await?, false))
                }
                Submitted::QuotaExceeded(used) => {
                    let q = quota(state, used);
                    Err(ApiError::RateLimited {
                        detail: format!(
                            "{} images asked for, {} of today's {} left (quota_exceeded)",
                            r.quantity, q.remaining, q.limit
                        ),
                        retry_after_secs: Some(reset_secs(&q)),
                    })
                }
                Submitted::Created(..) => Err(ApiError::Internal("unreachable".into())),
            };
        }
    };
    state.outbox.poke();
    tracing::info!(dataset_id = %set.id, quantity = set.quantity, "dataset queued");
    Ok((view_of(state, &load(state, set.id).await?).await?, true))
}

/// Seconds until the quota renews (at least 1).
pub fn reset_secs(q: &ImageQuota) -> u64 {
    u64::try_from((q.resets_at - Utc::now()).num_seconds().max(1)).unwrap_or(1)
}

/// A set: ready ones to anyone, the rest to their owner.
pub async fn get(state: &AppState, who: Option<&AuthUser>, id: Uuid) -> ApiResult<DatasetView> {
    live_view(state, &visible(state, who, id).await?).await
}

/// Cancels a queued or running set and gives its images back; 409 once it has ended.
pub async fn cancel(state: &AppState, who: &AuthUser, id: Uuid) -> ApiResult<DatasetView> {
    let listed = owned(state, who, id).await?;
    // The worker reads the live record: make one if no worker has yet, so it sees the cancel.
    let ttl = Duration::from_secs(state.settings.datasets.task_ttl_secs);
    let new = NewTask {
        id,
        kind: TaskKind::Dataset,
        user_id: listed.dataset.user_id,
    };
    if !listed.dataset.status.is_final() {
        match state.redis.create_task(&new, ttl).await {
            Ok(_) | Err(StateError::TaskExists(_)) => {}
            Err(e) => return Err(e.into()),
        }
        crate::http::cancel::cancel_live(state, id).await?;
    }
    match state.db.run(move |c| datasets::cancel(c, id)).await? {
        Some(_) => live_view(state, &load(state, id).await?).await,
        None => {
            let current = load(state, id).await?;
            if current.dataset.status == DatasetStatus::Cancelled {
                live_view(state, &current).await
            } else {
                Err(ApiError::conflict(format!(
                    "the dataset is already {}",
                    current.dataset.status
                )))
            }
        }
    }
}

/// Changes an owner's set: title, description, tags, and its price (ready sets only, 409
/// otherwise).
pub async fn edit(
    state: &AppState,
    who: &AuthUser,
    id: Uuid,
    edit: DatasetEdit,
) -> ApiResult<DatasetView> {
    let listed = owned(state, who, id).await?;
    let mut errors = Vec::new();
    let title = edit.title.map(|t| check_title(&t, &mut errors));
    let description = edit.description.map(|d| check_description(&d, &mut errors));
    let tags = edit.tags.map(|t| check_tags(&t, &mut errors));
    if let Some(Some(p)) = edit.price_krw {
        if !(100..=10_000_000).contains(&p) {
            errors.push(moji_telemetry::FieldError::new(
                "price_krw",
                "100 to 10,000,000 KRW, or null to take the set off sale",
            ));
        }
    }
    validated(errors)?;
    if edit.price_krw.is_some() && listed.dataset.status != DatasetStatus::Ready {
        return Err(ApiError::conflict("only a ready set can be put on sale"));
    }
    let price = edit.price_krw;
    state
        .db
        .run(move |c| {
            datasets::edit(
                c,
                id,
                title.as_deref(),
                description.as_deref(),
                tags.as_deref(),
                price,
            )
        })
        .await?;
    live_view(state, &load(state, id).await?).await
}

/// Deletes an owner's set and its files: an open one is cancelled first (its images go back).
pub async fn delete(state: &AppState, who: &AuthUser, id: Uuid) -> ApiResult<()> {
    let listed = owned(state, who, id).await?;
    if !listed.dataset.status.is_final() {
        cancel(state, who, id).await?;
    }
    let set = listed.dataset;
    let keys: Vec<String> = [Some(set.source_key.clone()), set.zip_key, set.preview_key]
        .into_iter()
        .flatten()
        .collect();
    state.db.run(move |c| datasets::delete(c, id)).await?;
    for key in keys {
        if let Err(e) = state.storage.delete(&key).await {
            tracing::warn!(%key, error = %e, "could not remove a deleted dataset's file");
        }
    }
    Ok(())
}

/// A download link to a ready set's zip, for its owner and its buyers (403 to others) —
/// counted.
pub async fn download(state: &AppState, who: &AuthUser, id: Uuid) -> ApiResult<DownloadLink> {
    let listed = load(state, id).await?;
    if !crate::market::orders::may_download(state, who, listed.dataset.user_id, id).await? {
        return Err(ApiError::Forbidden(
            "only the owner and buyers download a set".into(),
        ));
    }
    let Some(key) = listed
        .dataset
        .zip_key
        .filter(|_| listed.dataset.status == DatasetStatus::Ready)
    else {
        return Err(ApiError::conflict(format!(
            "the dataset is {}, not ready",
            listed.dataset.status
        )));
    };
    let ttl = Duration::from_secs(state.settings.datasets.download_url_ttl_secs)
        .min(state.storage.max_presign_ttl());
    let url = state.storage.presign_get(&key, ttl).await?.to_string();
    state
        .db
        .run(move |c| datasets::count_download(c, id))
        .await?;
    let secs = i64::try_from(ttl.as_secs()).unwrap_or(900);
    Ok(DownloadLink {
        url,
        expires_at: Utc::now() + chrono::Duration::seconds(secs),
    })
}

async fn views(state: &AppState, rows: Vec<Listed>) -> ApiResult<Vec<DatasetView>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(view_of(state, row).await?);
    }
    Ok(out)
}

/// My sets, every status, newest first.
pub async fn mine(
    state: &AppState,
    who: &AuthUser,
    paging: Paging,
) -> ApiResult<FeedOf<DatasetView>> {
    let start = paging.feed_start()?;
    let filter = Filter {
        owner: Some(who.user_id),
        ..Filter::default()
    };
    page(state, filter, Sort::New, start, paging).await
}

async fn page(
    state: &AppState,
    filter: Filter,
    sort: Sort,
    start: Start,
    paging: Paging,
) -> ApiResult<FeedOf<DatasetView>> {
    let limit = paging.limit();
    let found = state
        .db
        .run(move |c| datasets::page(c, &filter, sort, start, limit))
        .await
        .map_err(|e| match e {
            DbError::BadCursor => {
                ApiError::BadRequest("`cursor` belongs to another sort order".into())
            }
            other => other.into(),
        })?;
    let items = views(state, found.items).await?;
    Ok(paging.feed(items, found.next))
}

/// The search of ready sets.
pub async fn search(
    state: &AppState,
    filter: Filter,
    sort: Sort,
    paging: Paging,
) -> ApiResult<FeedOf<DatasetView>> {
    let start = paging.feed_start()?;
    page(state, filter, sort, start, paging).await
}

/// `event: dataset` frames of every change of a set being made, then a last `ready`,
/// `failed` or `cancelled` frame; for its owner.
pub async fn events(
    state: AppState,
    who: &AuthUser,
    id: Uuid,
) -> ApiResult<impl Stream<Item = Result<Bytes, Infallible>> + 'static> {
    owned(&state, who, id).await?;
    let changes = state.redis.subscribe_task_events(id).await?;
    let current = live_view(&state, &load(&state, id).await?).await?;
    let first = serde_json::to_value(&current).unwrap_or(Value::Null);
    let (is_final, since) = (current.status.is_final(), current.updated_at);
    let render_state = state.clone();
    Ok(named_stream(
        first,
        is_final,
        since,
        changes,
        move |ev: TaskEvent| {
            let (state, mut view) = (render_state.clone(), current.clone());
            async move {
                if ev.status.is_final() {
                    // The worker is done; the set is final once the api has recorded it.
                    if let Some(done) = recorded(&state, id).await {
                        view = done;
                    }
                } else {
                    apply_live(&mut view, ev.status, ev.progress, ev.at);
                }
                serde_json::to_value(&view).unwrap_or(Value::Null)
            }
        },
        event_name,
    ))
}

/// The SSE event name of a view: its final status, or `dataset` while it is open.
fn event_name(view: &Value) -> &'static str {
    match view.get("status").and_then(Value::as_str) {
        Some("ready") => "ready",
        Some("failed") => "failed",
        Some("cancelled") => "cancelled",
        _ => "dataset",
    }
}

/// The set once its row is final (the api records a worker's outcome a moment after the
/// worker reports it); `None` after 15 s.
async fn recorded(state: &AppState, id: Uuid) -> Option<DatasetView> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(listed) = load(state, id).await {
            if listed.dataset.status.is_final() {
                return view_of(state, &listed).await.ok();
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
