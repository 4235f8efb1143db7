//! Types shared by every Moji service and the wire: ids, error codes, the closed vocabularies
//! (task kind and status, expressions, templates, animals, visibility, periods) and the AMQP
//! message envelope with its payloads. Serde only, plus optional JSON Schema, OpenAPI and
//! diesel mappings behind features; no I/O.

#[macro_use]
mod macros;

pub mod course;
pub mod dataset;
pub mod error_code;
pub mod ids;
pub mod messages;
pub mod moderation;
pub mod results;
pub mod task;
pub mod vocab;

pub use error_code::ErrorCode;
pub use ids::new_id;
pub use messages::{Envelope, MessageType};
pub use task::{TaskKind, TaskStatus};
pub use vocab::{AnimalId, Expression, Period, TemplateId, UnknownName, Visibility};
