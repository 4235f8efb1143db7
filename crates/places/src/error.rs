//! The crate's error type.

/// What can go wrong with the catalogue, its values or a plan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlacesError {
    /// The bundled `data/places.json` does not parse (a bug: a test covers it).
    #[error("bundled place catalogue: {0}")]
    Catalogue(String),
    /// A clock time is not `HH:MM` between 00:00 and 24:00.
    #[error("bad time {0:?}: expected HH:MM between 00:00 and 24:00")]
    BadTime(String),
    /// Opening hours that open and close at the same minute.
    #[error("opening hours {0} open and close at the same time")]
    EmptyHours(String),
    /// A category name outside [`crate::Category`].
    #[error("unknown place category {0:?}")]
    UnknownCategory(String),
    /// Fewer than three places fit the request (region, season, budget, hours, distances).
    #[error("fewer than 3 places fit the request")]
    TooFewPlaces,
}

/// The planner's error: the crate's one error type, under the name the contract uses
/// (`PlanError::TooFewPlaces`).
pub type PlanError = PlacesError;
