//! The face pipeline as the api sees it: accept a photo (checked before anything is decoded),
//! queue a task, report its state (polling or Server-Sent Events), cancel it, and persist the
//! worker's result exactly once when `task.succeeded` / `task.failed` arrives.

use std::{convert::Infallible, time::Duration};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};
use moji_auth::AuthUser;
use moji_common::{
    messages::{FaceAnalyzeV1, TaskFailedV1, TaskSucceededV1},
    new_id,
    results::{EmojiResult, ZodiacResult},
    Envelope, MessageType, TaskKind, TaskStatus,
};
use moji_db::{
    face_tasks,
    models::{FaceResultRow, FaceTask, NewFaceTask},
    DbError,
};
use moji_media::{Limits, MediaError, MediaFormat};
use moji_mq::{Incoming, Outcome};
use moji_redis::{NewTask, StateError, TaskChange, TaskEvent, TaskRecord};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    error::{ApiError, ApiResult},
    files,
    state::AppState,
};

/// Template used when an emoji task names none.
pub const DEFAULT_TEMPLATE: &str = "classic";
/// Longest accepted `Idempotency-Key`.
pub const IDEMPOTENCY_KEY_MAX: usize = 200;

/// A checked upload, ready to queue.
#[derive(Debug)]
pub struct Upload {
    /// Emoji or zodiac.
    pub kind: TaskKind,
    /// Emoji template (emoji tasks only).
    pub template: Option<String>,
    /// The photo's bytes.
    pub image: Bytes,
    /// Its sniffed format.
    pub format: MediaFormat,
}

/// Upload limits from settings.
pub fn limits(state: &AppState) -> Limits {
    Limits {
        max_bytes: state.settings.faces.max_image_bytes,
        max_pixels: state.settings.faces.max_image_pixels,
    }
}

/// Whether the file's structure ends where its format says it must (JPEG EOI marker, PNG
/// IEND chunk, WebP RIFF length): a truncated upload is refused here, before any decoding.
pub fn is_complete(format: MediaFormat, bytes: &[u8]) -> bool {
    match format {
        MediaFormat::Jpeg => {
            // Some encoders pad after EOI; ignore trailing zero bytes.
            let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
            end >= 4 && bytes[end - 2..end] == [0xFF, 0xD9]
        }
        MediaFormat::Png => {
            const IEND: [u8; 12] = [0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82];
            bytes.len() >= 8 + 12 && bytes[bytes.len() - 12..] == IEND
        }
        MediaFormat::Webp => {
            bytes.len() >= 12 && {
                let declared = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
                usize::try_from(declared).is_ok_and(|d| d.saturating_add(8) <= bytes.len())
            }
        }
    }
}

/// Checks an uploaded photo without decoding its pixels: size, magic bytes, header
/// dimensions against the pixel limit, and completeness.
pub fn check_image(bytes: &[u8], limits: &Limits) -> ApiResult<MediaFormat> {
    let info = moji_media::probe(bytes, limits).map_err(|e| match e {
        MediaError::TooLarge { bytes, limit } => ApiError::ImageTooLarge(format!(
            "the photo is {bytes} bytes; the limit is {limit} bytes"
        )),
        MediaError::TooManyPixels {
            width,
            height,
            limit,
        } => ApiError::ImageTooLarge(format!(
            "the photo is {width}x{height} pixels; the limit is {limit} pixels"
        )),
        MediaError::UnsupportedFormat => {
            ApiError::UnsupportedMedia("the file is not a JPEG, PNG or WebP image".into())
        }
        MediaError::Corrupt(why) => ApiError::InvalidImage(format!("the image is damaged: {why}")),
    })?;
    if !is_complete(info.format, bytes) {
        return Err(ApiError::InvalidImage(
            "the image is truncated (the upload may have been cut off)".into(),
        ));
    }
    Ok(info.format)
}

/// Validates an `Idempotency-Key` header value.
pub fn check_idempotency_key(key: &str) -> ApiResult<()> {
    let ok = !key.is_empty()
        && key.len() <= IDEMPOTENCY_KEY_MAX
        && key.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!(
            "Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX} visible ASCII characters"
        )))
    }
}

/// Error of a task, as shown to clients.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskErrorView {
    /// Stable code, e.g. `no_face_detected`.
    pub code: String,
    /// Explanation.
    pub detail: String,
}

/// Links of a task.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskLinks {
    /// This task.
    #[serde(rename = "self")]
    pub self_: String,
    /// Its Server-Sent Events stream.
    pub events: String,
}

/// A task as clients see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskView {
    /// Task id.
    pub id: Uuid,
    /// `emoji` or `zodiac`.
    #[schema(value_type = String, example = "emoji")]
    pub kind: TaskKind,
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled`.
    #[schema(value_type = String, example = "running")]
    pub status: TaskStatus,
    /// 0–100.
    pub progress: u8,
    /// Current pipeline step while running (`decode`, `detect`, `classify`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// Emoji template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// The result once succeeded, with signed `image_url` / `thumbnail_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// The error once failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<TaskErrorView>,
    /// Submission time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Where to poll and subscribe.
    pub links: TaskLinks,
}

fn links(id: Uuid) -> TaskLinks {
    TaskLinks {
        self_: format!("/api/v1/faces/tasks/{id}"),
        events: format!("/api/v1/faces/tasks/{id}/events"),
    }
}

fn kind_str(kind: TaskKind) -> &'static str {
    match kind {
        TaskKind::Emoji => "emoji",
        TaskKind::Zodiac => "zodiac",
    }
}

fn parse_kind(s: &str) -> Option<TaskKind> {
    match s {
        "emoji" => Some(TaskKind::Emoji),
        "zodiac" => Some(TaskKind::Zodiac),
        _ => None,
    }
}

/// Adds signed links to a stored result document.
async fn decorate(state: &AppState, mut result: Value) -> ApiResult<Value> {
    for (key_field, url_field) in [
        ("image_key", "image_url"),
        ("thumbnail_key", "thumbnail_url"),
    ] {
        if let Some(key) = result
            .get(key_field)
            .and_then(Value::as_str)
            .map(str::to_owned)
        {
            let url = files::download_url(state, &key).await?;
            if let Some(obj) = result.as_object_mut() {
                obj.insert(url_field.into(), Value::String(url));
            }
        }
    }
    Ok(result)
}

fn view_from_row(row: &FaceTask) -> ApiResult<TaskView> {
    let kind = parse_kind(&row.kind)
        .ok_or_else(|| ApiError::Internal(format!("bad kind {}", row.kind)))?;
    let status: TaskStatus = row.status.parse().map_err(ApiError::Internal)?;
    Ok(TaskView {
        id: row.id,
        kind,
        status,
        progress: if status == TaskStatus::Succeeded {
            100
        } else {
            0
        },
        step: None,
        template: row.template.clone(),
        result: row.result.clone(),
        error: row.error_code.as_ref().map(|code| TaskErrorView {
            code: code.clone(),
            detail: row.error_detail.clone().unwrap_or_default(),
        }),
        created_at: row.created_at,
        updated_at: row.updated_at,
        links: links(row.id),
    })
}

fn apply_record(view: &mut TaskView, rec: &TaskRecord) {
    view.status = rec.status;
    view.progress = rec.progress;
    view.step = rec.step.clone();
    view.updated_at = rec.updated_at;
    if rec.result.is_some() {
        view.result = rec.result.clone();
    }
    if let Some(e) = &rec.error {
        view.error = Some(TaskErrorView {
            code: e.code.as_str().to_owned(),
            detail: e.detail.clone(),
        });
    }
}

/// Loads a task the caller may see: 404 when missing, 403 when someone else's.
async fn owned_row(state: &AppState, who: &AuthUser, id: Uuid) -> ApiResult<FaceTask> {
    let row = state
        .db
        .run(move |c| face_tasks::by_id(c, id))
        .await
        .map_err(|e| match e {
            DbError::NotFound => ApiError::NotFound("task"),
            other => other.into(),
        })?;
    if row.user_id != who.user_id && !who.is_admin() {
        return Err(ApiError::Forbidden(
            "this task belongs to someone else".into(),
        ));
    }
    Ok(row)
}

/// Current state: the live Redis record when there is one, else the durable row.
pub async fn get(state: &AppState, who: &AuthUser, id: Uuid) -> ApiResult<TaskView> {
    let row = owned_row(state, who, id).await?;
    view(state, &row).await
}

/// The client's view of an already loaded (and authorised) row, overlaid with the live Redis
/// record while the task is open, with signed links in the result.
async fn view(state: &AppState, row: &FaceTask) -> ApiResult<TaskView> {
    let mut view = view_from_row(row)?;
    if let Some(rec) = state.redis.get_task(row.id).await? {
        // The row is authoritative once final (Redis may have expired or lost it).
        if !view.status.is_final() {
            apply_record(&mut view, &rec);
        }
    }
    if let Some(result) = view.result.take() {
        view.result = Some(decorate(state, result).await?);
    }
    Ok(view)
}

/// Stores the photo, records the task, and queues `face.analyze`. With an Idempotency-Key
/// the same user gets the same task back instead of a second one (`false` = existing).
pub async fn submit(
    state: &AppState,
    who: &AuthUser,
    upload: Upload,
    idempotency_key: Option<String>,
) -> ApiResult<(TaskView, bool)> {
    if let Some(key) = &idempotency_key {
        check_idempotency_key(key)?;
        let (user, key) = (who.user_id, key.clone());
        let existing = state
            .db
            .run(move |c| face_tasks::by_idempotency_key(c, user, &key))
            .await?;
        if let Some(row) = existing {
            return Ok((get(state, who, row.id).await?, false));
        }
    }

    let id = new_id();
    let image_key = format!(
        "uploads/{}/{}.{}",
        who.user_id,
        id,
        upload.format.extension()
    );
    state
        .storage
        .put(&image_key, upload.image, upload.format.mime())
        .await?;
    let new = NewFaceTask {
        id,
        user_id: who.user_id,
        kind: kind_str(upload.kind).into(),
        template: upload.template.clone(),
        image_key: image_key.clone(),
        idempotency_key,
    };
    let (row, created) = state
        .db
        .run(move |c| face_tasks::insert_or_existing(c, &new))
        .await?;
    if !created {
        // Lost a race with the same key: keep the winner, drop our copy of the photo.
        state.storage.delete(&image_key).await?;
        return Ok((get(state, who, row.id).await?, false));
    }
    let ttl = Duration::from_secs(state.settings.faces.task_ttl_secs);
    state
        .redis
        .create_task(
            &NewTask {
                id,
                kind: upload.kind,
                user_id: who.user_id,
            },
            ttl,
        )
        .await?;
    let message = FaceAnalyzeV1 {
        task_id: id,
        user_id: who.user_id,
        kind: upload.kind,
        template: upload.template,
        image_key,
    };
    let topology = state.broker.topology();
    if let Err(e) = state
        .broker
        .publish(
            &topology.tasks_exchange(),
            FaceAnalyzeV1::TYPE,
            &Envelope::new("api", id, message),
        )
        .await
    {
        // Nobody will ever work on it: say so rather than leave it queued forever.
        let detail = "the task could not be queued; please try again";
        let _ = state
            .db
            .run(move |c| face_tasks::persist_failure(c, id, "service_unavailable", detail))
            .await;
        let _ = state
            .redis
            .transition(
                id,
                TaskStatus::Failed,
                TaskChange {
                    error: Some(moji_redis::TaskError {
                        code: moji_common::ErrorCode::ServiceUnavailable,
                        detail: detail.into(),
                    }),
                    ..Default::default()
                },
            )
            .await;
        return Err(e.into());
    }
    tracing::info!(task_id = %id, kind = kind_str(upload.kind), "face task queued");
    Ok((view_from_row(&row)?, true))
}

/// Cancels a queued or running task; 409 when it already finished.
pub async fn cancel(state: &AppState, who: &AuthUser, id: Uuid) -> ApiResult<TaskView> {
    owned_row(state, who, id).await?;
    match state
        .redis
        .transition(id, TaskStatus::Cancelled, TaskChange::default())
        .await
    {
        Ok(_) | Err(StateError::TaskNotFound(_)) => {}
        Err(StateError::IllegalTransition { from, .. }) => {
            return Err(ApiError::Conflict {
                code: moji_common::ErrorCode::Conflict,
                detail: format!("the task is already {from}"),
            })
        }
        Err(e) => return Err(e.into()),
    }
    match state.db.run(move |c| face_tasks::cancel(c, id)).await? {
        Some(cancelled) => view(state, &cancelled).await,
        // Already final in the database: only a cancel that raced ours counts as success.
        None => {
            let current = owned_row(state, who, id).await?;
            if current.status != "cancelled" {
                return Err(ApiError::Conflict {
                    code: moji_common::ErrorCode::Conflict,
                    detail: format!("the task is already {}", current.status),
                });
            }
            view(state, &current).await
        }
    }
}

/// How often an idle event stream sends a comment so proxies keep it open.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// Longest an event stream stays open.
const STREAM_LIMIT: Duration = Duration::from_secs(15 * 60);

fn sse_frame(seq: u64, view: &Value) -> Bytes {
    Bytes::from(format!("id: {seq}\nevent: task\ndata: {view}\n\n"))
}

async fn event_view(state: &AppState, base: &TaskView, ev: &TaskEvent) -> Value {
    let mut view = base.clone();
    view.status = ev.status;
    view.progress = ev.progress;
    view.step = ev.step.clone();
    view.updated_at = ev.at;
    if let Some(result) = ev.result.clone() {
        view.result = Some(decorate(state, result.clone()).await.unwrap_or(result));
    }
    if let Some(e) = &ev.error {
        view.error = Some(TaskErrorView {
            code: e.code.as_str().to_owned(),
            detail: e.detail.clone(),
        });
    }
    serde_json::to_value(&view).unwrap_or(Value::Null)
}

/// A Server-Sent Events stream of every status/progress change, starting with the current
/// state and closing after the final one (immediately, when the task already finished).
pub async fn events(
    state: AppState,
    who: &AuthUser,
    id: Uuid,
) -> ApiResult<impl Stream<Item = Result<Bytes, Infallible>> + 'static> {
    let row = owned_row(&state, who, id).await?;
    // Subscribe before reading the live state (in `view`), so no change falls between the two.
    let mut changes = Box::pin(state.redis.subscribe_task_events(id).await?);
    let current = view(&state, &row).await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(16);
    tokio::spawn(async move {
        let mut seq = 0u64;
        let first = serde_json::to_value(&current).unwrap_or(Value::Null);
        if tx.send(sse_frame(seq, &first)).await.is_err() || current.status.is_final() {
            return;
        }
        let deadline = tokio::time::Instant::now() + STREAM_LIMIT;
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        heartbeat.tick().await;
        loop {
            tokio::select! {
                ev = changes.next() => {
                    let Some(ev) = ev else { break };
                    // Events older than the snapshot were already covered by it.
                    if ev.at < current.updated_at && !ev.status.is_final() {
                        continue;
                    }
                    seq += 1;
                    let view = event_view(&state, &current, &ev).await;
                    if tx.send(sse_frame(seq, &view)).await.is_err() || ev.status.is_final() {
                        break;
                    }
                }
                _ = heartbeat.tick() => {
                    if tx.send(Bytes::from_static(b": keep-alive\n\n")).await.is_err() {
                        break;
                    }
                }
                () = tokio::time::sleep_until(deadline) => break,
            }
        }
    });
    Ok(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok(b), rx))
    }))
}

/// Persists a `task.succeeded` once (duplicates are harmless) and awards challenges.
pub async fn on_succeeded(state: &AppState, msg: Incoming<TaskSucceededV1>) -> Outcome {
    let p = msg.envelope.payload;
    let rows = match face_rows(&p) {
        Ok(rows) => rows,
        Err(why) => {
            tracing::error!(task_id = %p.task_id, %why, "undecodable task result; dead-lettering");
            return Outcome::DeadLetter;
        }
    };
    let (id, user, result) = (p.task_id, p.user_id, p.result);
    let outcome = state
        .db
        .run(move |c| face_tasks::persist_success_and_award(c, id, user, &result, &rows))
        .await;
    match outcome {
        Ok(stored) => {
            tracing::info!(task_id = %id, stored, "task result persisted");
            Outcome::Ack
        }
        Err(e) => {
            tracing::warn!(task_id = %id, error = %e, "persisting result failed; will retry");
            Outcome::Retry
        }
    }
}

/// Persists a `task.failed` once.
pub async fn on_failed(state: &AppState, msg: Incoming<TaskFailedV1>) -> Outcome {
    let p = msg.envelope.payload;
    let (id, code, detail) = (p.task_id, p.code.as_str().to_owned(), p.detail);
    match state
        .db
        .run(move |c| face_tasks::persist_failure(c, id, &code, &detail))
        .await
    {
        Ok(_) => Outcome::Ack,
        Err(e) => {
            tracing::warn!(task_id = %id, error = %e, "persisting failure failed; will retry");
            Outcome::Retry
        }
    }
}

/// The per-face rows of a result, for rankings and statistics.
fn face_rows(p: &TaskSucceededV1) -> Result<Vec<FaceResultRow>, String> {
    let now = Utc::now();
    let base = |i: usize, expression: &str, confidence: f32| FaceResultRow {
        task_id: p.task_id,
        face_index: i32::try_from(i).unwrap_or(i32::MAX),
        user_id: p.user_id,
        kind: kind_str(p.kind).into(),
        template: None,
        expression: expression.to_owned(),
        confidence,
        animal: None,
        created_at: now,
    };
    match p.kind {
        TaskKind::Emoji => {
            let r: EmojiResult =
                serde_json::from_value(p.result.clone()).map_err(|e| e.to_string())?;
            Ok(r.faces
                .iter()
                .enumerate()
                .map(|(i, f)| FaceResultRow {
                    template: Some(r.template.clone()),
                    ..base(i, &f.expression, f.confidence)
                })
                .collect())
        }
        TaskKind::Zodiac => {
            let r: ZodiacResult =
                serde_json::from_value(p.result.clone()).map_err(|e| e.to_string())?;
            Ok(vec![FaceResultRow {
                animal: Some(r.animal.clone()),
                ..base(0, &r.expression, r.confidence)
            }])
        }
    }
}

/// Validates the form fields of an upload.
pub fn check_fields(
    kind: Option<&str>,
    template: Option<&str>,
) -> ApiResult<(TaskKind, Option<String>)> {
    use moji_telemetry::FieldError;
    let mut errors = Vec::new();
    let kind = match kind.map(str::trim) {
        None | Some("") => {
            errors.push(FieldError::new("kind", "required: emoji or zodiac"));
            None
        }
        Some(k) => {
            let parsed = parse_kind(k);
            if parsed.is_none() {
                errors.push(FieldError::new("kind", "must be emoji or zodiac"));
            }
            parsed
        }
    };
    let template = match (kind, template.map(str::trim).filter(|t| !t.is_empty())) {
        (Some(TaskKind::Emoji), t) => {
            let t = t.unwrap_or(DEFAULT_TEMPLATE);
            if moji_catalog::templates::template(t).is_none() {
                errors.push(FieldError::new(
                    "template",
                    format!("unknown template {t:?}; see GET /api/v1/emoji-templates"),
                ));
            }
            Some(t.to_owned())
        }
        (Some(TaskKind::Zodiac), Some(_)) => {
            errors.push(FieldError::new(
                "template",
                "only emoji tasks take a template",
            ));
            None
        }
        _ => None,
    };
    crate::validation::finish(errors)?;
    kind.map(|k| (k, template))
        .ok_or_else(|| ApiError::Internal("kind missing after validation".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completeness_by_format() {
        let png_tail = [0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82];
        let mut png = vec![0x89, b'P', b'N', b'G', 13, 10, 26, 10];
        png.extend_from_slice(&png_tail);
        assert!(is_complete(MediaFormat::Png, &png));
        assert!(!is_complete(MediaFormat::Png, &png[..png.len() - 1]));
        assert!(is_complete(
            MediaFormat::Jpeg,
            &[0xFF, 0xD8, 0xFF, 0xD9, 0, 0]
        ));
        assert!(!is_complete(
            MediaFormat::Jpeg,
            &[0xFF, 0xD8, 0xFF, 0xE0, 0x12]
        ));
        let mut webp = b"RIFF\x04\x00\x00\x00WEBP".to_vec();
        assert!(is_complete(MediaFormat::Webp, &webp));
        webp[4] = 200;
        assert!(!is_complete(MediaFormat::Webp, &webp));
    }

    #[test]
    fn idempotency_keys() {
        assert!(check_idempotency_key("abc-123").is_ok());
        assert!(check_idempotency_key("").is_err());
        assert!(check_idempotency_key("has space").is_err());
        assert!(check_idempotency_key(&"k".repeat(201)).is_err());
    }
}
