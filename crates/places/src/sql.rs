//! The catalogue as SQL: migration `2026-12-05-000017_places` is generated from
//! `data/places.json` by [`places_sql`], and a test fails when the file on disk differs
//! (`MOJI_UPDATE_PLACES=1 cargo test -p moji-places` rewrites it).

use crate::{catalogue, Place, PlacesError};

/// The migration's directory name under `migrations/`.
pub const MIGRATION: &str = "2026-12-05-000017_places";

/// The migration's `down.sql`.
pub const DOWN_SQL: &str = "DROP TABLE places;\n";

/// Columns in table order; `popularity_rank` is the position in the catalogue (0 = most
/// popular), which the planner's tie-break depends on.
const COLUMNS: [&str; 16] = [
    "id",
    "region",
    "name_ko",
    "name_en",
    "lat",
    "lng",
    "category",
    "indoor",
    "seasons",
    "open_time",
    "close_time",
    "price_level",
    "stay_minutes",
    "description_en",
    "description_ko",
    "popularity_rank",
];

const HEADER: &str = "\
-- GENERATED from crates/places/data/places.json by moji_places::places_sql: do not edit.
-- Regenerate with `MOJI_UPDATE_PLACES=1 cargo test -p moji-places migration_matches_the_catalogue`.
--
-- The date-course places (docs/date-courses.md): real public places in Seoul, Busan and Jeju
-- the recommend worker plans courses from. Rows are upserted, so a later migration generated
-- the same way brings an existing table up to date.

CREATE TABLE places (
    id text PRIMARY KEY,
    region text NOT NULL CHECK (region IN ('seoul', 'busan', 'jeju')),
    name_ko text NOT NULL,
    name_en text NOT NULL,
    lat double precision NOT NULL,
    lng double precision NOT NULL,
    category text NOT NULL,
    indoor boolean NOT NULL,
    seasons text[] NOT NULL CHECK (cardinality(seasons) > 0),
    -- HH:MM; a close at or before the open is after midnight, 00:00-24:00 is always open.
    open_time text NOT NULL,
    close_time text NOT NULL,
    -- 0 free, 1 cheap, 2 moderate, 3 expensive.
    price_level smallint NOT NULL CHECK (price_level BETWEEN 0 AND 3),
    stay_minutes integer NOT NULL CHECK (stay_minutes > 0),
    description_en text NOT NULL,
    description_ko text NOT NULL,
    -- Position in the catalogue, most popular first: the planner's tie-break.
    popularity_rank integer NOT NULL CHECK (popularity_rank >= 0)
);

CREATE INDEX places_region ON places (region, popularity_rank);
";

/// A SQL string literal.
fn text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// One `VALUES` row.
fn row(rank: usize, p: &Place) -> String {
    let seasons: Vec<String> = p.seasons.iter().map(|s| text(s.as_str())).collect();
    let values = [
        text(&p.id),
        text(p.region.as_str()),
        text(&p.name_ko),
        text(&p.name_en),
        p.lat.to_string(),
        p.lng.to_string(),
        text(p.category.as_str()),
        p.indoor.to_string(),
        format!("ARRAY[{}]", seasons.join(", ")),
        text(&p.hours.open_text()),
        text(&p.hours.close_text()),
        p.price_level.to_string(),
        p.stay_minutes.to_string(),
        text(&p.description_en),
        text(&p.description_ko),
        rank.to_string(),
    ];
    format!("    ({})", values.join(", "))
}

/// The migration's `up.sql` for `places`: the table, its index and one upsert of every place.
pub fn places_sql(places: &[Place]) -> String {
    let mut sql = String::from(HEADER);
    if places.is_empty() {
        return sql;
    }
    let rows: Vec<String> = places.iter().enumerate().map(|(i, p)| row(i, p)).collect();
    let updates: Vec<String> = COLUMNS[1..]
        .iter()
        .map(|c| format!("    {c} = EXCLUDED.{c}"))
        .collect();
    sql.push_str(&format!(
        "\nINSERT INTO places ({}) VALUES\n{}\nON CONFLICT (id) DO UPDATE SET\n{};\n",
        COLUMNS.join(", "),
        rows.join(",\n"),
        updates.join(",\n"),
    ));
    sql
}

/// The migration's `up.sql` for the bundled catalogue.
pub fn catalogue_sql() -> Result<String, PlacesError> {
    Ok(places_sql(catalogue()?))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn migration_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../migrations")
            .join(MIGRATION)
    }

    /// Compares a generated file with the one on disk, or writes it with `MOJI_UPDATE_PLACES=1`.
    fn check_file(name: &str, generated: &str) {
        let path = migration_dir().join(name);
        if std::env::var("MOJI_UPDATE_PLACES").is_ok_and(|v| v == "1") {
            std::fs::create_dir_all(migration_dir()).unwrap();
            std::fs::write(&path, generated).unwrap();
            return;
        }
        let on_disk =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            on_disk == generated,
            "{} differs from the catalogue: run MOJI_UPDATE_PLACES=1 cargo test -p moji-places",
            path.display()
        );
    }

    #[test]
    fn migration_matches_the_catalogue() {
        check_file("up.sql", &catalogue_sql().unwrap());
        check_file("down.sql", DOWN_SQL);
    }

    #[test]
    fn quotes_are_escaped_and_every_place_is_a_row() {
        let places = catalogue().unwrap();
        let sql = places_sql(places);
        assert_eq!(text("Children's Park"), "'Children''s Park'");
        assert!(sql.contains("'Children''s Grand Park'"));
        assert_eq!(sql.matches("\n    ('").count(), places.len());
        // Every literal of the rows is closed (doubled quotes count twice).
        let (_, rows) = sql.split_once("INSERT INTO").unwrap();
        assert_eq!(rows.matches('\'').count() % 2, 0);
        assert!(sql
            .trim_end()
            .ends_with("popularity_rank = EXCLUDED.popularity_rank;"));
        assert!(places_sql(&[]).starts_with("-- GENERATED"));
    }

    #[test]
    fn a_row_keeps_every_field() {
        let p = &catalogue().unwrap()[0];
        assert_eq!(
            row(0, p),
            "    ('seoul-gyeongbokgung', 'seoul', '경복궁', 'Gyeongbokgung Palace', 37.5796, \
             126.977, 'palace', false, ARRAY['spring', 'summer', 'autumn', 'winter'], '09:00', \
             '18:00', 1, 120, 'The largest of Seoul''s five Joseon palaces, built in 1395, with \
             the Geunjeongjeon throne hall and the changing of the royal guard at Gwanghwamun \
             gate.', '1395년에 지어진 조선의 법궁으로 서울 5대 궁궐 중 가장 크며, 근정전과 \
             광화문 수문장 교대식을 볼 수 있다.', 0)"
        );
    }
}
