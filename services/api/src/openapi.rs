//! The OpenAPI 3.1 document, served at `/api-docs/openapi.json` and browsed at `/docs`: the
//! resource modules' parts merged, with the upload limits in force stated from settings.

use moji_media::Limits;
use moji_telemetry::openapi::BearerAuth;
use utoipa::OpenApi;

/// The api's OpenAPI document (without the resource modules' parts).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Moji API",
        description = "Moji's REST API. Errors are RFC 9457 problem details with a stable `code`.",
        version = "1.0.0"
    ),
    components(schemas(moji_telemetry::Problem, moji_telemetry::FieldError)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// The whole document, with `limits` (from settings) in the upload's description.
pub fn document(limits: &Limits) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::accounts::Doc::openapi());
    doc.merge(crate::follows::Doc::openapi());
    doc.merge(crate::posts::Doc::openapi());
    doc.merge(crate::products::Doc::openapi());
    doc.merge(crate::search::Doc::openapi());
    doc.merge(crate::files::Doc::openapi());
    doc.merge(crate::uploads::Doc::openapi());
    doc.merge(crate::faces::Doc::openapi());
    doc.merge(crate::courses::Doc::openapi());
    doc.merge(crate::datasets::Doc::openapi());
    doc.merge(crate::market::Doc::openapi());
    doc.merge(crate::results::Doc::openapi());
    doc.merge(crate::catalogue::Doc::openapi());
    doc.merge(crate::emojis::Doc::openapi());
    doc.merge(crate::rankings::Doc::openapi());
    doc.merge(crate::challenges::Doc::openapi());
    doc.merge(crate::statistics::Doc::openapi());
    doc.merge(crate::comments::Doc::openapi());
    doc.merge(crate::moderation::Doc::openapi());
    doc.merge(crate::oidc::Doc::openapi());
    let limits_text = format!(
        "The photo may be at most {} bytes and {} pixels (width × height); larger ones are \
         refused with 413 `image_too_large` before anything is decoded.",
        limits.max_bytes, limits.max_pixels
    );
    if let Some(op) = doc
        .paths
        .paths
        .get_mut("/api/v1/faces/tasks")
        .and_then(|item| item.post.as_mut())
    {
        let text = op.description.take().unwrap_or_default();
        op.description = Some(format!("{text}\n\n{limits_text}").trim().to_owned());
    }
    any_of("MyEmojis", &mut doc);
    moji_telemetry::openapi::document_error_statuses(&mut doc);
    doc
}

/// Turns the `oneOf` utoipa makes of an untagged enum into `anyOf` where its variants can match
/// the same value: an empty page of `MyEmojis` is both an emoji page and a task page, so under
/// `oneOf` it matched neither.
fn any_of(name: &str, doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{schema::AnyOfBuilder, RefOr, Schema};
    let Some(schema) = doc
        .components
        .as_mut()
        .and_then(|c| c.schemas.get_mut(name))
    else {
        return;
    };
    if let RefOr::T(Schema::OneOf(one_of)) = schema {
        let any = std::mem::take(&mut one_of.items)
            .into_iter()
            .fold(AnyOfBuilder::new(), AnyOfBuilder::item)
            .description(one_of.description.take())
            .build();
        *schema = RefOr::T(Schema::AnyOf(any));
    }
}
