//! The OpenAPI 3.1 document, served at `/api-docs/openapi.json` and browsed at `/docs`.

use utoipa::{
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
    Modify, OpenApi,
};

use crate::{dto, handlers};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The api's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Moji API",
        description = "Moji's REST API. Errors are RFC 9457 problem details with a stable `code`.",
        version = "1.0.0"
    ),
    paths(
        handlers::users::sign_up,
        handlers::users::availability,
        handlers::users::get_me,
        handlers::users::update_me,
        handlers::users::delete_me,
        handlers::users::change_password,
        handlers::users::profile,
        handlers::auth::login,
        handlers::auth::refresh,
        handlers::auth::logout,
        handlers::auth::verify,
        handlers::files::download,
        handlers::faces::submit,
        handlers::faces::get_task,
        handlers::faces::cancel,
        handlers::faces::events,
    ),
    components(schemas(
        dto::SignUpRequest, dto::LoginRequest, dto::RefreshRequest, dto::VerifyRequest,
        dto::VerifyResponse, dto::UpdateMeRequest, dto::ChangePasswordRequest,
        dto::AvailabilityResponse, dto::MeResponse, dto::PublicProfile, dto::TokenResponse,
        moji_telemetry::Problem, moji_telemetry::FieldError,
        crate::faces::TaskView, crate::faces::TaskLinks, crate::faces::TaskErrorView,
        handlers::faces::UploadForm,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "users", description = "Accounts and profiles"),
        (name = "auth", description = "Login, token rotation, logout"),
        (name = "files", description = "Signed, expiring links to stored images"),
        (name = "faces", description = "Photo to emoji / zodiac look-alike tasks"),
    )
)]
pub struct ApiDoc;

/// The whole document: the core paths plus each feature module's own part.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(handlers::gallery::GalleryDoc::openapi());
    doc
}
