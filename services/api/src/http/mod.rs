//! What every resource module shares: paging, enum query parameters, the optional caller,
//! bilingual text and signed file links.

pub mod cancel;
pub mod cursor;
pub mod links;
pub mod paging;
pub mod params;
pub mod sse;
pub mod text;
pub mod viewer;

pub use paging::{FeedOf, PageOf, PageQuery, Paging, ShortPageQuery};
pub use params::choice;
pub use text::Text;
pub use viewer::optional_user;
