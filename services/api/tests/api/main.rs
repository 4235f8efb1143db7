//! The api's integration tests, one module per resource, in one test binary: each file used to
//! be a binary of its own that compiled the whole actix app again (24 times in a cold build).
//! nextest still runs every test in a process of its own.

mod common;

mod accounts;
mod auth;
mod comments;
mod content_events;
mod courses;
mod display_names;
mod follows;
mod gallery;
mod gallery_insights;
mod gallery_pages;
mod http_shape;
mod moderation;
mod oidc;
mod openapi_drift;
mod posts;
mod products;
mod profiles;
mod recovery;
mod results;
mod search;
mod statements;
mod statistics;
mod uploads;
mod users_pages;
