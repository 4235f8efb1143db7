//! Shared HTTP plumbing for Moji services: tracing set-up, request ids, the one problem+json
//! error shape, Prometheus metrics with an HTTP middleware, and `/healthz`, `/readyz`,
//! `/metrics`.

pub mod health;
pub mod metrics;
pub mod openapi;
pub mod problem;
pub mod request_id;
pub mod signals;
pub mod tracing_init;

pub use health::{health_routes, Readiness};
pub use metrics::{http_metrics, register, set_service_name};
pub use problem::{problem, problem_until, FieldError, Problem};
pub use request_id::{current_request_id, request_id};
pub use signals::stop_requested;
pub use tracing_init::init_tracing;
