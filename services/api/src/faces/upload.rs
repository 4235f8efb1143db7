//! The upload form of `POST /faces/tasks`: read within limits, validated, and the photo
//! checked by moji-media's one upload check before anything is stored or decoded.

use actix_multipart::Multipart;
use actix_web::HttpRequest;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use moji_common::{TaskKind, TemplateId};
use moji_media::{Limits, MediaError, MediaFormat};
use moji_telemetry::FieldError;
use utoipa::ToSchema;

use crate::{
    error::{validated, ApiError, ApiResult},
    state::AppState,
};

/// Longest accepted `Idempotency-Key`.
pub const IDEMPOTENCY_KEY_MAX: usize = 200;

/// A checked upload, ready to queue.
#[derive(Debug)]
pub struct Upload {
    /// Emoji or zodiac.
    pub kind: TaskKind,
    /// Emoji template (emoji tasks only).
    pub template: Option<TemplateId>,
    /// The photo's bytes.
    pub image: Bytes,
    /// Its sniffed format.
    pub format: MediaFormat,
}

/// The `Idempotency-Key` header, if sent: 1 to 200 visible ASCII characters (400 otherwise).
pub fn idempotency_key(req: &HttpRequest) -> ApiResult<Option<String>> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let key = value.to_str().unwrap_or_default();
    let ok = !key.is_empty()
        && key.len() <= IDEMPOTENCY_KEY_MAX
        && key.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(Some(key.to_owned()))
    } else {
        Err(ApiError::BadRequest(format!(
            "Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX} visible ASCII characters"
        )))
    }
}

/// Most form fields an upload may carry.
const MAX_FIELDS: usize = 8;
/// Longest accepted text field.
const MAX_TEXT_FIELD: usize = 256;

/// Reads one multipart field up to `limit` bytes; `None` when it is longer.
pub(crate) async fn read_field(
    field: &mut actix_multipart::Field,
    limit: usize,
) -> ApiResult<Option<Bytes>> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = field.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("broken multipart body: {e}")))?;
        if buf.len() + chunk.len() > limit {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Some(buf.freeze()))
}

/// Parses the upload form: `image` (file), `kind`, `template`. Stops reading as soon as the
/// image exceeds the byte limit, so an oversized upload is never buffered whole.
pub async fn parse(state: &AppState, mut form: Multipart) -> ApiResult<Upload> {
    let limits = state.upload_limits;
    let (mut image, mut kind, mut template) = (None, None, None);
    let mut fields = 0;
    while let Some(field) = form.next().await {
        let mut field =
            field.map_err(|e| ApiError::BadRequest(format!("broken multipart body: {e}")))?;
        fields += 1;
        if fields > MAX_FIELDS {
            return Err(ApiError::BadRequest(format!(
                "at most {MAX_FIELDS} form fields"
            )));
        }
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "image" => {
                let bytes = read_field(&mut field, limits.max_bytes)
                    .await?
                    .ok_or_else(|| {
                        ApiError::ImageTooLarge(format!(
                            "the photo exceeds the limit of {} bytes",
                            limits.max_bytes
                        ))
                    })?;
                image = Some(bytes);
            }
            "kind" | "template" => {
                let bytes = read_field(&mut field, MAX_TEXT_FIELD)
                    .await?
                    .ok_or_else(|| ApiError::BadRequest(format!("field {name} is too long")))?;
                let text = String::from_utf8(bytes.to_vec())
                    .map_err(|_| ApiError::BadRequest(format!("field {name} is not UTF-8")))?;
                if name == "kind" {
                    kind = Some(text)
                } else {
                    template = Some(text)
                }
            }
            // Unknown fields are drained (bounded) and ignored, like unknown JSON keys would be.
            _ => {
                read_field(&mut field, MAX_TEXT_FIELD).await?;
            }
        }
    }
    let (kind, template) = check_fields(kind.as_deref(), template.as_deref())?;
    let image = image.ok_or_else(|| {
        ApiError::Validation(vec![moji_telemetry::FieldError::new(
            "image",
            "required: a JPEG, PNG or WebP photo",
        )])
    })?;
    let format = check_image(&image, &limits)?;
    Ok(Upload {
        kind,
        template,
        image,
        format,
    })
}

/// Runs moji-media's upload check (size, magic bytes, header dimensions, completeness)
/// without decoding any pixels, and says what is wrong in the client's terms.
pub(crate) fn check_image(bytes: &[u8], limits: &Limits) -> ApiResult<MediaFormat> {
    let info = moji_media::check_upload(bytes, limits).map_err(|e| match e {
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
        MediaError::Truncated(why) => ApiError::InvalidImage(format!(
            "the image is truncated (the upload may have been cut off): {why}"
        )),
    })?;
    Ok(info.format)
}

/// Validates the form fields of an upload.
fn check_fields(
    kind: Option<&str>,
    template: Option<&str>,
) -> ApiResult<(TaskKind, Option<TemplateId>)> {
    let mut errors = Vec::new();
    let kind = match kind.map(str::trim) {
        None | Some("") => {
            errors.push(FieldError::new("kind", "required: emoji or zodiac"));
            None
        }
        Some(k) => {
            let parsed = k.parse::<TaskKind>().ok();
            if parsed.is_none() {
                errors.push(FieldError::new("kind", "must be emoji or zodiac"));
            }
            parsed
        }
    };
    let template = match (kind, template.map(str::trim).filter(|t| !t.is_empty())) {
        (Some(TaskKind::Emoji), None) => Some(TemplateId::DEFAULT),
        (Some(TaskKind::Emoji), Some(t)) => match t.parse::<TemplateId>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.push(FieldError::new(
                    "template",
                    format!("unknown template {t:?}; see GET /api/v1/emoji-templates"),
                ));
                None
            }
        },
        (Some(TaskKind::Zodiac), Some(_)) => {
            errors.push(FieldError::new(
                "template",
                "only emoji tasks take a template",
            ));
            None
        }
        _ => None,
    };
    validated(errors)?;
    kind.map(|k| (k, template))
        .ok_or_else(|| ApiError::Internal("kind missing after validation".into()))
}

/// The multipart upload form (documentation only).
#[derive(ToSchema)]
#[allow(dead_code)] // Read by utoipa only.
pub struct UploadForm {
    /// The photo: JPEG, PNG or WebP, within the byte and pixel limits stated in this
    /// document's description of `POST /faces/tasks` (they come from settings).
    #[schema(value_type = String, format = Binary)]
    image: Vec<u8>,
    /// `emoji` or `zodiac`.
    kind: String,
    /// Emoji template id (emoji tasks; default `classic`).
    template: Option<String>,
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn idempotency_keys() {
        let key = |v: &str| {
            idempotency_key(
                &TestRequest::default()
                    .insert_header(("idempotency-key", v))
                    .to_http_request(),
            )
        };
        assert_eq!(key("abc-123").unwrap().as_deref(), Some("abc-123"));
        assert!(key("has space").is_err());
        assert!(key(&"k".repeat(201)).is_err());
        assert!(idempotency_key(&TestRequest::default().to_http_request())
            .unwrap()
            .is_none());
    }

    #[test]
    fn fields() {
        assert_eq!(
            check_fields(Some("emoji"), None).unwrap(),
            (TaskKind::Emoji, Some(TemplateId::Classic))
        );
        assert_eq!(
            check_fields(Some(" zodiac "), Some("")).unwrap(),
            (TaskKind::Zodiac, None)
        );
        assert!(check_fields(Some("zodiac"), Some("cat")).is_err());
        assert!(check_fields(Some("emoji"), Some("dog")).is_err());
        assert!(check_fields(None, None).is_err());
    }
}
