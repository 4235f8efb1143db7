//! The recommend service's integration tests in one test binary: each file used to be a binary
//! of its own that compiled the whole api app again. nextest still runs each test in its own process.

mod common;

mod courses;
mod openapi_drift;
mod quality;
mod recommend;
mod search;
