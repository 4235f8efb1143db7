//! PostgreSQL access for Moji through diesel: the generated schema, row models, queries grouped
//! by aggregate, the connection pool and the embedded migrations.
//!
//! diesel is synchronous, so every query runs on tokio's blocking pool through [`Db::run`]:
//! the async executor never waits on the database.

pub mod account_tokens;
pub mod challenges;
pub mod chat;
pub mod comments;
pub mod courses;
pub mod datasets;
pub mod emojis;
pub mod error;
pub mod face_tasks;
pub mod follows;
pub mod gallery;
pub mod identities;
pub mod insights;
pub mod keyset;
mod likes;
pub mod mail;
pub mod media;
pub mod models;
pub mod moderation;
pub mod orders;
pub mod outbox;
pub mod places;
pub mod pool;
pub mod posts;
pub mod prepared;
pub mod products;
pub mod recommend;
pub mod results;
pub mod schema;
pub mod search;
pub mod sessions;
pub mod users;

pub use diesel::{pg::PgConnection, Connection};
pub use error::{DbError, NUL_IN_TEXT};
pub use pool::{run_migrations, Db, PgPool};
