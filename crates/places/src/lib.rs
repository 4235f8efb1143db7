//! Places for date courses (docs/date-courses.md): a bundled catalogue of real, public places in
//! Seoul, Busan and Jeju (`data/places.json`), its validation, opening hours and time-of-day
//! windows, travel estimates per transport, the course planner, and the catalogue as the SQL of
//! migration `2026-12-05-000017_places`.
//!
//! No I/O and no database: the catalogue is compiled in, and the recommend worker reads the same
//! rows from PostgreSQL (`moji_db::places`) and builds [`Place`]s from them.

pub mod catalogue;
mod error;
pub mod geo;
pub mod hours;
pub mod plan;
pub mod sql;
pub mod validate;

pub use catalogue::{budget_cap, catalogue, parse_catalogue, Category, Place};
pub use error::{PlacesError, PlanError};
pub use geo::{distance_km, haversine_km, max_leg_km, region_bounds, travel_minutes, Bounds};
pub use hours::{format_hhmm, parse_hhmm, window, OpeningHours, TimeWindow};
pub use plan::{course_minutes, plan, PlannedStop};
pub use sql::{catalogue_sql, places_sql, DOWN_SQL, MIGRATION};
pub use validate::validate;

/// Re-exported request vocabulary from `moji-common`, so callers need one import.
pub use moji_common::course::{Budget, CourseRequest, Region, Season, TimeOfDay, Transport};
