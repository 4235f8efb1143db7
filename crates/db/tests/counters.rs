//! The totals the lists show are counters kept by triggers; they must stay exact while people
//! save, delete, publish, unpublish, like and unlike at the same time, while ranking windows
//! move, and when an account is deleted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{Duration, Utc};
use diesel::{Connection, PgConnection, RunQueryDsl};
use moji_common::{Expression, Period, TemplateId, Visibility};
use moji_db::{emojis, gallery, DbError};
use moji_testkit::TestDb;
use uuid::Uuid;

const USERS: i64 = 12;
const TASKS: i64 = 240;
const WORKERS: u64 = 6;
const OPS_PER_WORKER: u64 = 250;

/// A small deterministic generator, so a failing run can be replayed by its seed.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn task_ids(conn: &mut PgConnection) -> Vec<(Uuid, Uuid)> {
    use diesel::prelude::*;
    use moji_db::schema::face_tasks;
    face_tasks::table
        .select((face_tasks::id, face_tasks::user_id))
        .order(face_tasks::id)
        .load(conn)
        .unwrap()
}

fn emoji_ids(conn: &mut PgConnection) -> Vec<Uuid> {
    use diesel::prelude::*;
    use moji_db::schema::emojis;
    emojis::table
        .select(emojis::id)
        .order(emojis::id)
        .load(conn)
        .unwrap()
}

/// One random write through the crate's own functions. Deadlocks would be a design error and
/// fail the test; a row another worker deleted first is fine.
fn random_write(conn: &mut PgConnection, rng: &mut Rng, tasks: &[(Uuid, Uuid)]) {
    let emojis_now = emoji_ids(conn);
    let pick = |rng: &mut Rng| -> Option<Uuid> {
        (!emojis_now.is_empty()).then(|| emojis_now[rng.below(emojis_now.len() as u64) as usize])
    };
    let outcome: Result<(), DbError> = match rng.below(10) {
        0 | 1 => {
            let (task_id, user_id) = tasks[rng.below(tasks.len() as u64) as usize];
            let new = emojis::NewEmoji {
                id: Uuid::now_v7(),
                task_id,
                user_id,
                caption: String::new(),
                visibility: if rng.below(2) == 0 {
                    Visibility::Public
                } else {
                    Visibility::Private
                },
                template: TemplateId::Classic,
                expression: Expression::Happy,
                image_key: "results/x.png".into(),
                thumbnail_key: "results/x.jpg".into(),
            };
            emojis::insert(conn, &new).map(|_| ())
        }
        2 => match pick(rng) {
            Some(id) => emojis::delete(conn, id).map(|_| ()),
            None => Ok(()),
        },
        3 | 4 => match pick(rng) {
            Some(id) => {
                let to = if rng.below(2) == 0 {
                    Visibility::Public
                } else {
                    Visibility::Private
                };
                emojis::update(conn, id, None, Some(to)).map(|_| ())
            }
            None => Ok(()),
        },
        9 => {
            // Someone backdates a like by hand (in the documented lock order: the emoji's row
            // first): it moves in or out of the windows.
            let days = rng.below(10);
            let nth = rng.below(40);
            diesel::sql_query(format!(
                "UPDATE emoji_likes SET created_at = now() - interval '{days} days' \
                 WHERE (emoji_id, user_id) = (SELECT l.emoji_id, l.user_id FROM emoji_likes l \
                 JOIN emojis e ON e.id = l.emoji_id ORDER BY l.emoji_id, l.user_id \
                 OFFSET {nth} LIMIT 1 FOR NO KEY UPDATE OF e)"
            ))
            .execute(conn)
            .map(|_| ())
            .map_err(DbError::from)
        }
        5 => {
            // A new product day: the week window moves (back and forth, to exercise both).
            let days = 5 + rng.below(3) as i64;
            gallery::roll_window(conn, Period::Week, Utc::now() - Duration::days(days)).map(|_| ())
        }
        _ => match pick(rng) {
            Some(id) => {
                let who = common::user_id(1 + rng.below(USERS as u64) as i64);
                emojis::set_like(conn, id, who, rng.below(3) != 0).map(|_| ())
            }
            None => Ok(()),
        },
    };
    match outcome {
        Ok(()) | Err(DbError::NotFound) => {}
        Err(e) => panic!("write failed: {e}"),
    }
}

#[test]
fn totals_stay_exact_under_concurrent_writes() {
    let db = TestDb::new();
    let mut conn = PgConnection::establish(&db.url).unwrap();
    common::seed_users(&mut conn, USERS);
    common::seed_emoji_tasks(&mut conn, TASKS, USERS, 20);
    gallery::roll_window(&mut conn, Period::Week, Utc::now() - Duration::days(6)).unwrap();
    gallery::roll_window(&mut conn, Period::Month, Utc::now() - Duration::days(29)).unwrap();
    let tasks = task_ids(&mut conn);
    // Half the tasks saved up front, with likes, so deletes and unpublishing have work.
    common::seed_emojis(&mut conn, 60);
    diesel::sql_query("DELETE FROM emojis WHERE abs(hashtext(id::text)) % 2 = 0")
        .execute(&mut conn)
        .unwrap();
    common::seed_likes(&mut conn, USERS, 3, 40);
    assert_eq!(common::counter_mismatches(&mut conn), Vec::<String>::new());

    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let url = db.url.clone();
            let tasks = tasks.clone();
            std::thread::spawn(move || {
                let mut conn = PgConnection::establish(&url).unwrap();
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (w + 1));
                for _ in 0..OPS_PER_WORKER {
                    random_write(&mut conn, &mut rng, &tasks);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("a worker failed");
    }
    assert_eq!(
        common::counter_mismatches(&mut conn),
        Vec::<String>::new(),
        "every counter equals the rows it counts"
    );

    // Deleting an account takes its emojis and likes out of every total.
    diesel::sql_query("DELETE FROM users WHERE username IN ('user3', 'user7')")
        .execute(&mut conn)
        .unwrap();
    assert_eq!(common::counter_mismatches(&mut conn), Vec::<String>::new());
}

#[test]
fn a_like_counts_in_the_window_only_while_it_is_in_it() {
    let db = TestDb::new();
    let mut conn = PgConnection::establish(&db.url).unwrap();
    common::seed_users(&mut conn, 3);
    common::seed_emoji_tasks(&mut conn, 3, 3, 1);
    common::seed_emojis(&mut conn, 100);
    let emoji = emoji_ids(&mut conn)[0];
    let now = Utc::now();
    // Before the first roll nothing is ranked.
    emojis::set_like(&mut conn, emoji, common::user_id(1), true).unwrap();
    assert!(common::counter_mismatches(&mut conn).is_empty());
    assert!(gallery::roll_window(&mut conn, Period::Week, now - Duration::days(6)).unwrap());
    assert!(
        !gallery::roll_window(&mut conn, Period::Week, now - Duration::days(6)).unwrap(),
        "rolling to the same start again is a no-op"
    );
    let ranked = |conn: &mut PgConnection| {
        gallery::public_page(
            conn,
            gallery::Order::Window(Period::Week),
            now - Duration::days(6),
            None,
            moji_db::keyset::Start::TOP,
            10,
        )
        .unwrap()
    };
    let page = ranked(&mut conn);
    assert_eq!((page.total, page.items.len()), (1, 1));
    assert_eq!(page.items[0].ranked_likes, 1);
    // Unpublished: out of the ranking; published again: back with its likes.
    emojis::update(&mut conn, emoji, None, Some(Visibility::Private)).unwrap();
    assert_eq!(ranked(&mut conn).total, 0);
    emojis::update(&mut conn, emoji, None, Some(Visibility::Public)).unwrap();
    assert_eq!(ranked(&mut conn).items[0].ranked_likes, 1);
    // The window moves past the like: it no longer counts, and unliking later is no harm.
    gallery::roll_window(&mut conn, Period::Week, now + Duration::seconds(1)).unwrap();
    assert_eq!(ranked_total(&mut conn), 0);
    emojis::set_like(&mut conn, emoji, common::user_id(1), false).unwrap();
    assert!(common::counter_mismatches(&mut conn).is_empty());
}

fn ranked_total(conn: &mut PgConnection) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Total {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        emojis: i64,
    }
    diesel::sql_query("SELECT emojis FROM ranking_windows WHERE period = 'week'")
        .get_result::<Total>(conn)
        .unwrap()
        .emojis
}
