//! What every service's OpenAPI document shares.

use utoipa::{
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
    Modify,
};

/// Adds the `bearer` security scheme (an access token, a JWT) that operations refer to with
/// `security(("bearer" = []))`.
pub struct BearerAuth;

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

/// The statuses every service answers before a handler runs, documented on each operation that
/// can meet them (where the operation does not describe them itself): 401 where it takes a
/// token; 400, 413, 415 and 422 where it takes a body (malformed JSON or multipart, too large,
/// the wrong Content-Type, fields missing, unknown or of the wrong type); 400 and 404 where its
/// path has a parameter (not of its type, or no such resource); 400 where it takes a query.
/// Each is an RFC 9457 problem, and every problem response (these and those the handlers
/// describe with `body = Problem`) is documented as `application/problem+json`, the type the
/// services send. Call once the document is whole.
pub fn document_error_statuses(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::ParameterIn;

    for item in doc.paths.paths.values_mut() {
        let operations = [
            item.get.as_mut(),
            item.post.as_mut(),
            item.put.as_mut(),
            item.patch.as_mut(),
            item.delete.as_mut(),
        ];
        for op in operations.into_iter().flatten() {
            let params = op.parameters.as_deref().unwrap_or_default();
            let in_path = params
                .iter()
                .any(|p| matches!(p.parameter_in, ParameterIn::Path));
            let in_query = params
                .iter()
                .any(|p| matches!(p.parameter_in, ParameterIn::Query));
            let mut add = Vec::new();
            if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                add.push(("401", "`unauthorized`: no valid access token"));
            }
            if op.request_body.is_some() {
                add.push((
                    "400",
                    "`malformed_json`, a broken multipart body, or a bad path or query parameter",
                ));
                add.push(("413", "`payload_too_large`: the body is over its limit"));
                add.push((
                    "415",
                    "`unsupported_media_type`: not the Content-Type this takes",
                ));
                add.push((
                    "422",
                    "`validation_failed`: fields missing, unknown, of the wrong type or invalid",
                ));
            }
            if in_path || in_query {
                add.push((
                    "400",
                    "`bad_request`: a path or query parameter is not of its type",
                ));
            }
            if in_path {
                add.push(("404", "No such resource"));
            }
            for (status, description) in add {
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| problem_response(description));
            }
            for response in op.responses.responses.values_mut() {
                if let utoipa::openapi::RefOr::T(response) = response {
                    problem_media_type(response);
                }
            }
        }
    }
}

/// Files a response's `application/json` content under `application/problem+json` when its
/// schema is the [`crate::Problem`].
fn problem_media_type(response: &mut utoipa::openapi::response::Response) {
    use utoipa::openapi::RefOr;
    let is_problem = response
        .content
        .get("application/json")
        .and_then(|c| c.schema.as_ref())
        .is_some_and(
            |schema| matches!(schema, RefOr::Ref(r) if r.ref_location.ends_with("/Problem")),
        );
    if is_problem {
        if let Some(content) = response.content.shift_remove("application/json") {
            response
                .content
                .insert("application/problem+json".to_owned(), content);
        }
    }
}

/// A response carrying a [`crate::Problem`].
fn problem_response(
    description: &str,
) -> utoipa::openapi::RefOr<utoipa::openapi::response::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}
