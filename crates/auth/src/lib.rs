//! Authentication for every Moji service: bcrypt password hashing on the blocking pool,
//! HS256 JWTs with a pinned algorithm, and the [`AuthUser`] extractor that checks signature,
//! audience, expiry and the Redis revocation list.

pub mod error;
pub mod extractor;
pub mod jwt;
pub mod password;

pub use error::AuthError;
pub use extractor::{
    bearer_token, bearer_token_in, revoked_account_key, revoked_session_key, AuthUser,
    Authenticator, Suspension,
};
pub use jwt::{Claims, JwtKeys, MintedToken, Role, TokenType};
pub use password::{hash_password, verify_password, verify_password_or_dummy};
