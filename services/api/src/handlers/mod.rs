//! HTTP handlers, one module per resource. Each parses, authorises, calls a domain function
//! and maps the result.

pub mod auth;
pub mod faces;
pub mod files;
pub mod gallery;
pub mod users;
