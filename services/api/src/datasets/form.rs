//! The request form of `POST /datasets`: read within limits, every field checked (all
//! problems reported at once, 422), and the image checked by the faces upload's check before
//! anything is stored.

use actix_multipart::Multipart;
use bytes::Bytes;
use futures_util::StreamExt;
use moji_common::dataset::{DatasetCategory, DatasetMethod, DATASET_SIZES};
use moji_media::MediaFormat;
use moji_telemetry::FieldError;
use utoipa::ToSchema;

use crate::{
    error::{validated, ApiError, ApiResult},
    faces::upload::{check_image, read_field},
    state::AppState,
};

/// Longest title, in characters.
pub const MAX_TITLE: usize = 100;
/// Longest description, in characters.
pub const MAX_DESCRIPTION: usize = 2000;
/// Most tags of a set.
pub const MAX_TAGS: usize = 10;
/// Longest tag, in characters.
pub const MAX_TAG: usize = 30;
/// Images a set may hold.
pub const QUANTITIES: std::ops::RangeInclusive<u32> = 1..=2000;
/// The side of GAN images (the networks train at this size on the CPU in seconds).
pub const GAN_SIZE: u32 = 64;
/// Most form fields a request may carry (tags may repeat).
const MAX_FIELDS: usize = 24;
/// Longest text field, in bytes.
const MAX_TEXT_FIELD: usize = 8 * 1024;

/// A checked request, ready to store and queue.
#[derive(Debug, Clone)]
pub struct DatasetRequest {
    /// Title, trimmed.
    pub title: String,
    /// Description, trimmed.
    pub description: String,
    /// Category.
    pub category: DatasetCategory,
    /// Tags: lower-case, distinct, in the order given.
    pub tags: Vec<String>,
    /// How the images are made.
    pub method: DatasetMethod,
    /// Side of every image.
    pub size: u32,
    /// Images to make.
    pub quantity: u32,
    /// The seed (a random one when not given).
    pub seed: u64,
}

/// A checked request with its image.
#[derive(Debug)]
pub struct Upload {
    /// The fields.
    pub request: DatasetRequest,
    /// The image's bytes.
    pub image: Bytes,
    /// Its sniffed format.
    pub format: MediaFormat,
}

/// The text fields as sent.
#[derive(Debug, Default)]
struct RawFields {
    title: Option<String>,
    description: Option<String>,
    category: Option<String>,
    tags: Vec<String>,
    method: Option<String>,
    size: Option<String>,
    quantity: Option<String>,
    seed: Option<String>,
}

/// Parses the form: `image` (file) and the text fields. Stops reading as soon as the image
/// exceeds the byte limit, so an oversized upload is never buffered whole.
pub async fn parse(state: &AppState, mut form: Multipart) -> ApiResult<Upload> {
    let limits = state.upload_limits;
    let mut image = None;
    let mut raw = RawFields::default();
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
        if name == "image" {
            let bytes = read_field(&mut field, limits.max_bytes)
                .await?
                .ok_or_else(|| {
                    ApiError::ImageTooLarge(format!(
                        "the image exceeds the limit of {} bytes",
                        limits.max_bytes
                    ))
                })?;
            image = Some(bytes);
            continue;
        }
        let bytes = read_field(&mut field, MAX_TEXT_FIELD)
            .await?
            .ok_or_else(|| ApiError::BadRequest(format!("field {name} is too long")))?;
        let text = String::from_utf8(bytes.to_vec())
            .map_err(|_| ApiError::BadRequest(format!("field {name} is not UTF-8")))?;
        let slot = match name.as_str() {
            "title" => &mut raw.title,
            "description" => &mut raw.description,
            "category" => &mut raw.category,
            "method" => &mut raw.method,
            "size" => &mut raw.size,
            "quantity" => &mut raw.quantity,
            "seed" => &mut raw.seed,
            "tags" => {
                raw.tags.extend(text.split(',').map(str::to_owned));
                continue;
            }
            // Unknown fields are ignored, like unknown JSON keys would be.
            _ => continue,
        };
        *slot = Some(text);
    }
    let request = check_fields(raw, rand::random::<u64>() >> 1)?;
    let image = image.ok_or_else(|| {
        ApiError::Validation(vec![FieldError::new(
            "image",
            "required: a JPEG, PNG or WebP image",
        )])
    })?;
    let format = check_image(&image, &limits)?;
    Ok(Upload {
        request,
        image,
        format,
    })
}

/// A text without control characters (new lines allowed where `lines`), trimmed.
fn clean(text: &str, lines: bool) -> Option<String> {
    let trimmed = text.trim();
    let ok = trimmed
        .chars()
        .all(|c| !c.is_control() || (lines && (c == '\n' || c == '\r' || c == '\t')));
    ok.then(|| trimmed.to_owned())
}

/// A title, trimmed: 1 to [`MAX_TITLE`] characters without control characters.
pub fn check_title(text: &str, errors: &mut Vec<FieldError>) -> String {
    match clean(text, false) {
        None => {
            errors.push(FieldError::new("title", "no control characters"));
            String::new()
        }
        Some(t) if t.is_empty() || t.chars().count() > MAX_TITLE => {
            errors.push(FieldError::new(
                "title",
                format!("1 to {MAX_TITLE} characters"),
            ));
            t
        }
        Some(t) => t,
    }
}

/// A description, trimmed: up to [`MAX_DESCRIPTION`] characters, no control characters but
/// new lines and tabs.
pub fn check_description(text: &str, errors: &mut Vec<FieldError>) -> String {
    match clean(text, true) {
        None => {
            errors.push(FieldError::new(
                "description",
                "no control characters but new lines",
            ));
            String::new()
        }
        Some(d) if d.chars().count() > MAX_DESCRIPTION => {
            errors.push(FieldError::new(
                "description",
                format!("at most {MAX_DESCRIPTION} characters"),
            ));
            d
        }
        Some(d) => d,
    }
}

/// Checks a tag list: lower-case, letters (Hangul included), digits, `-` and `_`.
pub fn check_tags(tags: &[String], errors: &mut Vec<FieldError>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty() {
            continue;
        }
        if tag.chars().count() > MAX_TAG
            || !tag
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        {
            errors.push(FieldError::new(
                "tags",
                format!("{tag:?}: a tag is 1 to {MAX_TAG} letters, digits, - or _"),
            ));
            continue;
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.len() > MAX_TAGS {
        errors.push(FieldError::new("tags", format!("at most {MAX_TAGS} tags")));
    }
    out
}

/// Validates the text fields; `random_seed` is the seed when none is given.
fn check_fields(raw: RawFields, random_seed: u64) -> ApiResult<DatasetRequest> {
    let mut errors = Vec::new();
    let title = match raw.title.as_deref() {
        None => {
            errors.push(FieldError::new("title", "required"));
            String::new()
        }
        Some(t) => check_title(t, &mut errors),
    };
    let description = raw
        .description
        .as_deref()
        .map(|d| check_description(d, &mut errors))
        .unwrap_or_default();
    let category = match raw.category.as_deref().map(str::trim) {
        None | Some("") => {
            errors.push(FieldError::new(
                "category",
                format!("required: one of {}", names(&DatasetCategory::ALL)),
            ));
            None
        }
        Some(c) => {
            let parsed = c.parse::<DatasetCategory>().ok();
            if parsed.is_none() {
                errors.push(FieldError::new(
                    "category",
                    format!("must be one of {}", names(&DatasetCategory::ALL)),
                ));
            }
            parsed
        }
    };
    let tags = check_tags(&raw.tags, &mut errors);
    let method = match raw.method.as_deref().map(str::trim) {
        None | Some("") => Some(DatasetMethod::Augment),
        Some(m) => {
            let parsed = m.parse::<DatasetMethod>().ok();
            if parsed.is_none() {
                errors.push(FieldError::new("method", "must be augment or gan"));
            }
            parsed
        }
    };
    let size = match raw.size.as_deref().map(str::trim) {
        None | Some("") => Some(DATASET_SIZES[0]),
        Some(s) => {
            let parsed = s.parse::<u32>().ok().filter(|s| DATASET_SIZES.contains(s));
            if parsed.is_none() {
                errors.push(FieldError::new("size", "must be 64, 128 or 256"));
            }
            parsed
        }
    };
    let quantity = match raw.quantity.as_deref().map(str::trim) {
        None | Some("") => {
            errors.push(FieldError::new("quantity", "required: 1 to 2000"));
            None
        }
        Some(q) => {
            let parsed = q.parse::<u32>().ok().filter(|q| QUANTITIES.contains(q));
            if parsed.is_none() {
                errors.push(FieldError::new(
                    "quantity",
                    "must be a whole number 1 to 2000",
                ));
            }
            parsed
        }
    };
    let seed = match raw.seed.as_deref().map(str::trim) {
        None | Some("") => Some(random_seed),
        Some(s) => {
            // Stored as a signed 64-bit number.
            let parsed = s.parse::<u64>().ok().filter(|s| i64::try_from(*s).is_ok());
            if parsed.is_none() {
                errors.push(FieldError::new(
                    "seed",
                    "must be a whole number 0 to 9223372036854775807",
                ));
            }
            parsed
        }
    };
    if method == Some(DatasetMethod::Gan) && size.is_some_and(|s| s != GAN_SIZE) {
        errors.push(FieldError::new(
            "size",
            format!("the gan method makes {GAN_SIZE} px images"),
        ));
    }
    validated(errors)?;
    match (category, method, size, quantity, seed) {
        (Some(category), Some(method), Some(size), Some(quantity), Some(seed)) => {
            Ok(DatasetRequest {
                title,
                description,
                category,
                tags,
                method,
                size,
                quantity,
                seed,
            })
        }
        _ => Err(ApiError::Internal(
            "a field missing after validation".into(),
        )),
    }
}

fn names<T: std::fmt::Display>(all: &[T]) -> String {
    all.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The multipart request form (documentation only).
#[derive(ToSchema)]
#[allow(dead_code)] // Read by utoipa only.
pub struct DatasetForm {
    /// The image: JPEG, PNG or WebP, within the same limits as face photos.
    #[schema(value_type = String, format = Binary)]
    image: Vec<u8>,
    /// 1 to 100 characters.
    title: String,
    /// Up to 2,000 characters.
    description: Option<String>,
    /// `people`, `animals`, `food`, `places`, `objects`, `art` or `other`.
    category: String,
    /// Comma-separated (or repeated) tags, at most 10 of 1 to 30 letters, digits, - or _.
    tags: Option<String>,
    /// 1 to 2000 (within what is left of today's image quota).
    quantity: u32,
    /// Side of every image: 64 (default), 128 or 256.
    size: Option<u32>,
    /// `augment` (default) or `gan` (64 px only; the GAN trains on the image first).
    method: Option<String>,
    /// 0 to 2^63 − 1; the same seed, image and settings give the same set. Random when absent.
    seed: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawFields {
        RawFields {
            title: Some(" 고양이 얼굴 ".into()),
            category: Some("animals".into()),
            tags: vec!["Cat".into(), " 고양이".into(), "cat".into()],
            quantity: Some("200".into()),
            ..RawFields::default()
        }
    }

    #[test]
    fn defaults_and_normalisation() {
        let r = check_fields(raw(), 7).unwrap();
        assert_eq!(r.title, "고양이 얼굴");
        assert_eq!(r.tags, ["cat", "고양이"]);
        assert_eq!(
            (r.method, r.size, r.quantity, r.seed),
            (DatasetMethod::Augment, 64, 200, 7)
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let bad = RawFields {
            title: Some("".into()),
            category: Some("cars".into()),
            tags: vec!["no spaces".into()],
            method: Some("vae".into()),
            size: Some("100".into()),
            quantity: Some("2001".into()),
            seed: Some("-1".into()),
            ..RawFields::default()
        };
        let Err(ApiError::Validation(errors)) = check_fields(bad, 0) else {
            panic!("should fail");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["title", "category", "tags", "method", "size", "quantity", "seed"]
        );
        let gan = RawFields {
            method: Some("gan".into()),
            size: Some("128".into()),
            ..raw()
        };
        let Err(ApiError::Validation(errors)) = check_fields(gan, 0) else {
            panic!("gan makes 64 px");
        };
        assert_eq!(errors[0].field, "size");
        let many = RawFields {
            tags: (0..11).map(|i| format!("t{i}")).collect(),
            ..raw()
        };
        assert!(check_fields(many, 0).is_err());
        let missing = RawFields::default();
        let Err(ApiError::Validation(errors)) = check_fields(missing, 0) else {
            panic!("should fail");
        };
        assert_eq!(errors.len(), 3, "title, category, quantity: {errors:?}");
    }
}
