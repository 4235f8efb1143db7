//! Accounts and sessions: sign-up, profiles, login with throttling, token rotation with
//! reuse detection, logout, password changes and the admin command's account.

pub mod dto;
pub mod handlers;
pub mod recovery;
pub mod service;
pub mod validation;

use actix_web::web;

pub use service::create_admin;

/// Registers `/users` (the literal paths, before `/users/{username}` takes any name) and
/// `/auth`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use handlers::*;
    cfg.service(availability)
        .service(get_me)
        .service(update_me)
        .service(delete_me)
        .service(change_password)
        .service(recovery::resend_verification)
        .service(sign_up)
        .service(profile)
        .service(login)
        .service(refresh)
        .service(logout)
        .service(verify)
        .service(recovery::password_reset)
        .service(recovery::password_reset_confirm)
        .service(recovery::verify_email_handler);
}

/// This module's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        handlers::sign_up, handlers::availability, handlers::get_me, handlers::update_me,
        handlers::delete_me, handlers::change_password, handlers::profile, handlers::login,
        handlers::refresh, handlers::logout, handlers::verify, recovery::password_reset,
        recovery::password_reset_confirm, recovery::verify_email_handler,
        recovery::resend_verification,
    ),
    components(schemas(
        dto::SignUpRequest, dto::LoginRequest, dto::RefreshRequest, dto::VerifyRequest,
        dto::VerifyResponse, dto::UpdateMeRequest, dto::ChangePasswordRequest,
        dto::AvailabilityResponse, dto::MeResponse, dto::PublicProfile, dto::TokenResponse,
        recovery::ResetRequest, recovery::ResetConfirm, recovery::VerifyEmailRequest,
    )),
    tags(
        (name = "users", description = "Accounts and profiles"),
        (name = "auth", description = "Login, token rotation, logout"),
    )
)]
pub struct Doc;
