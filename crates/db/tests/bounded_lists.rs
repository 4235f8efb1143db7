//! Every list Moji serves costs the same whatever the size of its tables: over 100,000 rows in
//! each big table, no list query may scan one sequentially (checked with PostgreSQL's own
//! per-table `seq_scan` counters), and keyset pages agree with offset pages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, Utc};
use diesel::{sql_types::BigInt, Connection, PgConnection, QueryableByName, RunQueryDsl};
use moji_common::{Period, TaskKind};
use moji_db::{
    challenges, emojis,
    gallery::{self, Order},
    insights,
    keyset::{Key, Start},
    results, users,
};
use moji_testkit::TestDb;

const USERS: i64 = 1_000;
const ROWS: i64 = 100_000;
const BIG_TABLES: [&str; 4] = ["face_tasks", "face_results", "emojis", "emoji_likes"];

#[derive(QueryableByName)]
struct Scans {
    #[diesel(sql_type = diesel::sql_types::Text)]
    relname: String,
    #[diesel(sql_type = BigInt)]
    seq_scan: i64,
}

/// Sequential scans so far per big table, after flushing this backend's pending counts.
fn seq_scans(conn: &mut PgConnection) -> BTreeMap<String, i64> {
    diesel::sql_query("SELECT pg_stat_force_next_flush()")
        .execute(conn)
        .unwrap();
    diesel::sql_query("SELECT pg_stat_clear_snapshot()")
        .execute(conn)
        .unwrap();
    diesel::sql_query(format!(
        "SELECT relname::text, seq_scan FROM pg_stat_user_tables WHERE relname IN ({})",
        BIG_TABLES.map(|t| format!("'{t}'")).join(", ")
    ))
    .load::<Scans>(conn)
    .unwrap()
    .into_iter()
    .map(|s| (s.relname, s.seq_scan))
    .collect()
}

fn seed(conn: &mut PgConnection) {
    common::seed_users(conn, USERS);
    common::seed_emoji_tasks(conn, ROWS, USERS, 60);
    // Zodiac results too, so "both kinds" and the animal ranking have rows of each.
    diesel::sql_query(format!(
        "WITH t AS ( \
           INSERT INTO face_tasks (id, user_id, kind, image_key, status, result, created_at) \
           SELECT gen_random_uuid(), ('00000000-0000-0000-0000-' || lpad((1 + g % {USERS})::text, 12, '0'))::uuid, \
                  'zodiac', 'uploads/z.jpg', 'succeeded', '{{}}'::jsonb, now() - g * interval '1 min' \
           FROM generate_series(1, 20000) g RETURNING id, user_id, created_at) \
         INSERT INTO face_results (task_id, face_index, user_id, kind, expression, confidence, animal, created_at, day) \
         SELECT id, 0, user_id, 'zodiac', 'happy', 0.9, \
                (ARRAY['rat','ox','tiger','rabbit','dragon','snake','horse','goat','monkey','rooster','dog','pig'])[1 + abs(hashtext(id::text)) % 12], \
                created_at, (created_at AT TIME ZONE 'Asia/Seoul')::date FROM t"
    ))
    .execute(conn)
    .unwrap();
    common::seed_emojis(conn, 80);
    common::seed_likes(conn, USERS, 1, 60);
    for table in BIG_TABLES {
        diesel::sql_query(format!(
            "ALTER TABLE {table} SET (autovacuum_enabled = false)"
        ))
        .execute(conn)
        .unwrap();
    }
    diesel::sql_query("VACUUM ANALYZE").execute(conn).unwrap();
}

/// The key of the row `depth` rows into a list (found with a scan, before measuring).
fn deep_time_key(conn: &mut PgConnection, sql: &str) -> Key {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Timestamptz)]
        at: chrono::DateTime<Utc>,
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: uuid::Uuid,
    }
    let row: Row = diesel::sql_query(sql).get_result(conn).unwrap();
    Key::Time {
        at: row.at,
        id: row.id,
    }
}

#[test]
fn no_list_scans_a_big_table_and_keyset_pages_agree() {
    let db = TestDb::new();
    let mut conn = PgConnection::establish(&db.url).unwrap();
    seed(&mut conn);
    let now = Utc::now();
    let week = now - Duration::days(6);
    let month = now - Duration::days(29);
    // Establish the windows before measuring: rolling counts the window's likes once a day.
    gallery::roll_window(&mut conn, Period::Week, week).unwrap();
    gallery::roll_window(&mut conn, Period::Month, month).unwrap();
    let heavy = common::user_id(7);
    let deep_public = deep_time_key(
        &mut conn,
        "SELECT created_at AS at, id FROM emojis WHERE visibility = 'public' \
         ORDER BY created_at DESC, id DESC OFFSET 60000 LIMIT 1",
    );
    let deep_task = deep_time_key(
        &mut conn,
        &format!(
            "SELECT created_at AS at, id FROM face_tasks WHERE user_id = '{heavy}' \
             ORDER BY created_at DESC, id DESC OFFSET 50 LIMIT 1"
        ),
    );
    let day = |d: i64| (now - Duration::days(d)).date_naive();
    let before = seq_scans(&mut conn);
    let exercise = |conn: &mut PgConnection| {
        let viewer = Some(heavy);
        let mut next_keys = Vec::new();
        for order in [
            Order::New,
            Order::Popular,
            Order::Window(Period::Week),
            Order::Window(Period::Month),
        ] {
            let window = if order == Order::Window(Period::Month) {
                month
            } else {
                week
            };
            for start in [Start::TOP, Start::Offset(980)] {
                let page = gallery::public_page(conn, order, window, viewer, start, 20).unwrap();
                assert_eq!(page.items.len(), 20, "{order:?} {start:?}");
                assert!(page.total > 1_000, "{order:?}: {}", page.total);
                next_keys.push((order, page.next.unwrap()));
            }
        }
        for (order, key) in &next_keys {
            let window = if *order == Order::Window(Period::Month) {
                month
            } else {
                week
            };
            gallery::public_page(conn, *order, window, viewer, Start::After(*key), 20).unwrap();
        }
        let deep = gallery::public_page(
            conn,
            Order::New,
            week,
            viewer,
            Start::After(deep_public),
            100,
        )
        .unwrap();
        assert_eq!(deep.items.len(), 100);
        for public_only in [true, false] {
            let page =
                gallery::user_page(conn, heavy, public_only, viewer, Start::TOP, 20).unwrap();
            gallery::user_page(
                conn,
                heavy,
                public_only,
                viewer,
                Start::After(page.next.unwrap()),
                20,
            )
            .unwrap();
        }
        let liked = gallery::liked_page(conn, heavy, Start::TOP, 20).unwrap();
        assert!(liked.total > 0);
        for kind in [None, Some(TaskKind::Emoji), Some(TaskKind::Zodiac)] {
            let page = results::page(conn, heavy, kind, Start::TOP, 10).unwrap();
            results::page(conn, heavy, kind, Start::After(page.next.unwrap()), 10).unwrap();
        }
        results::page(conn, heavy, None, Start::After(deep_task), 20).unwrap();
        for since in [Some(day(6)), Some(day(29)), None] {
            assert!(!insights::face_usage(conn, since).unwrap().is_empty());
            assert!(!insights::animal_counts(conn, since).unwrap().is_empty());
        }
        let first = insights::first_day(conn, heavy).unwrap().unwrap();
        insights::user_statistics(conn, heavy, first, now.date_naive()).unwrap();
        insights::user_statistics(
            conn,
            heavy,
            NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
            now.date_naive(),
        )
        .unwrap();
        challenges::progress(conn, heavy).unwrap();
        challenges::achieved_page(conn, heavy, 0, 20).unwrap();
        let one = deep.items[0].emoji.emoji.id;
        emojis::by_id(conn, one).unwrap();
        emojis::liked_among(conn, heavy, &[one]).unwrap();
        users::by_username(conn, "user7").unwrap();
    };
    // Custom plans (what the first executions of a prepared statement get)…
    exercise(&mut conn);
    // …and the generic plans PostgreSQL may switch a cached statement to after five runs.
    diesel::sql_query("SET plan_cache_mode = force_generic_plan")
        .execute(&mut conn)
        .unwrap();
    exercise(&mut conn);
    let after = seq_scans(&mut conn);
    assert_eq!(
        before, after,
        "a list scanned a {ROWS}-row table sequentially (seq_scan before vs after)"
    );

    // The check itself can fail: a filter no index serves is exactly what it catches.
    diesel::sql_query("SELECT count(*) FROM emojis WHERE caption = 'nobody wrote this'")
        .execute(&mut conn)
        .unwrap();
    assert_eq!(seq_scans(&mut conn)["emojis"], after["emojis"] + 1);
}

#[test]
fn cursor_pages_follow_on_from_offset_pages_without_gaps_or_repeats() {
    let db = TestDb::new();
    let mut conn = PgConnection::establish(&db.url).unwrap();
    common::seed_users(&mut conn, 20);
    common::seed_emoji_tasks(&mut conn, 500, 20, 10);
    common::seed_emojis(&mut conn, 70);
    common::seed_likes(&mut conn, 20, 2, 10);
    let week = Utc::now() - Duration::days(6);
    for order in [Order::New, Order::Popular, Order::Window(Period::Week)] {
        let all = gallery::public_page(&mut conn, order, week, None, Start::TOP, 1_000).unwrap();
        assert!(all.next.is_none());
        assert_eq!(all.items.len() as i64, all.total, "{order:?}");
        let mut walked = Vec::new();
        let mut start = Start::TOP;
        loop {
            let page = gallery::public_page(&mut conn, order, week, None, start, 7).unwrap();
            assert_eq!(page.total, all.total);
            walked.extend(page.items.iter().map(|r| r.emoji.emoji.id));
            match page.next {
                Some(key) => start = Start::After(key),
                None => break,
            }
        }
        let expected: Vec<_> = all.items.iter().map(|r| r.emoji.emoji.id).collect();
        assert_eq!(walked, expected, "{order:?}: cursor walk = one big page");
        let offset =
            gallery::public_page(&mut conn, order, week, None, Start::Offset(14), 7).unwrap();
        let ids: Vec<_> = offset.items.iter().map(|r| r.emoji.emoji.id).collect();
        assert_eq!(ids, expected[14..21].to_vec(), "{order:?}: offset page");
    }
    // A cursor of one order does not start a page of another.
    let popular =
        gallery::public_page(&mut conn, Order::Popular, week, None, Start::TOP, 2).unwrap();
    let err = gallery::public_page(
        &mut conn,
        Order::New,
        week,
        None,
        Start::After(popular.next.unwrap()),
        2,
    )
    .unwrap_err();
    assert!(matches!(err, moji_db::DbError::BadCursor));
}
