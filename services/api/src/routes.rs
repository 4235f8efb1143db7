//! Every route of the api, registered in one place.

use actix_web::web;

use crate::handlers::{auth, faces, files, gallery, users};

/// Registers the `/api/v1` routes.
pub fn api_v1(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            // Literal paths before `/users/{username}` so they are not taken as usernames.
            .service(users::availability)
            .service(users::get_me)
            .service(users::update_me)
            .service(users::delete_me)
            .service(users::change_password)
            .service(users::sign_up)
            .service(users::profile)
            .service(auth::login)
            .service(auth::refresh)
            .service(auth::logout)
            .service(auth::verify)
            .service(files::download)
            .service(faces::submit)
            .service(faces::events)
            .service(faces::get_task)
            .service(faces::cancel)
            .configure(gallery::routes),
    );
}
