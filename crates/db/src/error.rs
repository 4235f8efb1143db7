//! The crate's error type.

/// What can go wrong talking to PostgreSQL.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No pooled connection could be had in time.
    #[error("database pool: {0}")]
    Pool(#[from] r2d2::Error),
    /// A query failed.
    #[error("database query: {0}")]
    Query(diesel::result::Error),
    /// The addressed row does not exist.
    #[error("not found")]
    NotFound,
    /// A unique constraint rejected the write; holds the constraint (index) name.
    #[error("unique constraint {0} violated")]
    UniqueViolation(String),
    /// The write conflicts with the current state of the rows it touches.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A page was asked to start after a key of another sort order.
    #[error("the cursor belongs to another sort order")]
    BadCursor,
    /// PostgreSQL refused a text value (a NUL character: `text` cannot hold one); services
    /// answer 422 with [`NUL_IN_TEXT`].
    #[error("text refused: {0}")]
    InvalidText(String),
    /// Migrations could not be applied.
    #[error("migrations: {0}")]
    Migration(String),
    /// The blocking task running the query panicked or was cancelled.
    #[error("blocking task failed: {0}")]
    Blocking(String),
}

/// What a service tells the client whose text PostgreSQL refused ([`DbError::InvalidText`]).
pub const NUL_IN_TEXT: &str = "text must not contain NUL characters";

impl From<diesel::result::Error> for DbError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => DbError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                DbError::UniqueViolation(info.constraint_name().unwrap_or_default().to_owned())
            }
            // SQLSTATE 22021 (character_not_in_repertoire), which diesel does not name: the
            // one way a valid Rust string fails here is a NUL, which `text` cannot hold.
            Error::DatabaseError(_, info)
                if info
                    .message()
                    .starts_with("invalid byte sequence for encoding") =>
            {
                DbError::InvalidText(info.message().to_owned())
            }
            other => DbError::Query(other),
        }
    }
}
