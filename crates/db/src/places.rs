//! The date-course places (migration 000017, generated from `crates/places/data/places.json`):
//! the catalogue the recommend worker plans courses from.
//!
//! Rows are returned as stored; the worker turns them into `moji_places::Place`s (this crate
//! does not depend on moji-places).

use diesel::{
    pg::PgConnection,
    prelude::*,
    sql_types::{Array, Bool, Double, Int2, Int4, Text},
};

use crate::DbError;

/// One stored place.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct PlaceRow {
    /// Slug, e.g. `seoul-gyeongbokgung`.
    #[diesel(sql_type = Text)]
    pub id: String,
    /// `seoul`, `busan` or `jeju`.
    #[diesel(sql_type = Text)]
    pub region: String,
    /// Korean name.
    #[diesel(sql_type = Text)]
    pub name_ko: String,
    /// English name.
    #[diesel(sql_type = Text)]
    pub name_en: String,
    /// Latitude (WGS 84).
    #[diesel(sql_type = Double)]
    pub lat: f64,
    /// Longitude (WGS 84).
    #[diesel(sql_type = Double)]
    pub lng: f64,
    /// Category name, e.g. `palace`.
    #[diesel(sql_type = Text)]
    pub category: String,
    /// Mostly indoors.
    #[diesel(sql_type = Bool)]
    pub indoor: bool,
    /// Season names it is good in.
    #[diesel(sql_type = Array<Text>)]
    pub seasons: Vec<String>,
    /// Opening time, `HH:MM`.
    #[diesel(sql_type = Text)]
    pub open_time: String,
    /// Closing time, `HH:MM` (at or before the opening time: after midnight).
    #[diesel(sql_type = Text)]
    pub close_time: String,
    /// 0 free to 3 expensive.
    #[diesel(sql_type = Int2)]
    pub price_level: i16,
    /// Typical visit, minutes.
    #[diesel(sql_type = Int4)]
    pub stay_minutes: i32,
    /// English description.
    #[diesel(sql_type = Text)]
    pub description_en: String,
    /// Korean description.
    #[diesel(sql_type = Text)]
    pub description_ko: String,
    /// Position in the catalogue, most popular first.
    #[diesel(sql_type = Int4)]
    pub popularity_rank: i32,
}

/// Every place, most popular first (the order the planner's tie-break depends on).
pub fn all_places(conn: &mut PgConnection) -> Result<Vec<PlaceRow>, DbError> {
    Ok(diesel::sql_query(
        "SELECT id, region, name_ko, name_en, lat, lng, category, indoor, seasons, open_time, \
                close_time, price_level, stay_minutes, description_en, description_ko, \
                popularity_rank \
           FROM places ORDER BY popularity_rank, id",
    )
    .load(conn)?)
}
