//! The places migration against a real PostgreSQL: the generated catalogue is loaded, read
//! back in popularity order, and its checks refuse bad rows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::{Connection, PgConnection, RunQueryDsl};
use moji_db::places::all_places;
use moji_testkit::TestDb;

#[test]
fn the_migrated_catalogue_reads_back_in_popularity_order() {
    let db = TestDb::new();
    let mut conn = PgConnection::establish(&db.url).unwrap();
    let rows = all_places(&mut conn).unwrap();
    assert!(rows.len() >= 150, "{} places", rows.len());
    for region in ["seoul", "busan", "jeju"] {
        assert!(
            rows.iter().filter(|r| r.region == region).count() >= 45,
            "{region}"
        );
    }
    assert!(rows
        .windows(2)
        .all(|w| w[0].popularity_rank < w[1].popularity_rank));
    let first = &rows[0];
    assert_eq!(first.id, "seoul-gyeongbokgung");
    assert_eq!(
        (first.open_time.as_str(), first.close_time.as_str()),
        ("09:00", "18:00")
    );
    assert_eq!(first.seasons, ["spring", "summer", "autumn", "winter"]);
    let quoted = rows
        .iter()
        .find(|r| r.name_en == "Children's Grand Park")
        .unwrap();
    assert_eq!(quoted.price_level, 0);
    assert!(
        rows.iter().any(|r| r.close_time == "02:00"),
        "a place open past midnight"
    );
}

#[test]
fn checks_refuse_bad_rows() {
    let db = TestDb::new();
    let mut conn = PgConnection::establish(&db.url).unwrap();
    let insert = |region: &str, price: i32| {
        format!(
            "INSERT INTO places VALUES ('x-test', '{region}', '엑스', 'X', 37.5, 127.0, 'park', \
             false, ARRAY['spring'], '09:00', '18:00', {price}, 30, 'x', 'x', 999)"
        )
    };
    assert!(diesel::sql_query(insert("daegu", 0))
        .execute(&mut conn)
        .is_err());
    assert!(diesel::sql_query(insert("seoul", 4))
        .execute(&mut conn)
        .is_err());
    assert_eq!(
        diesel::sql_query(insert("seoul", 3))
            .execute(&mut conn)
            .unwrap(),
        1
    );
}
