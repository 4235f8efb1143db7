//! Types shared by every Moji service and the wire: ids, error codes, task status and the
//! AMQP message envelope with its payloads. Serde only; no I/O.

pub mod error_code;
pub mod ids;
pub mod messages;
pub mod results;
pub mod task;

pub use error_code::ErrorCode;
pub use ids::new_id;
pub use messages::{Envelope, MessageType};
pub use task::{TaskKind, TaskStatus};
