//! Follower and following counts stay exact while 50 clients follow and unfollow each other
//! at once (mutual follows included), and after an account is deleted; pages walk by cursor.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use diesel::{sql_types::BigInt, Connection, PgConnection, QueryableByName, RunQueryDsl};
use moji_db::{
    follows::{self, Side},
    keyset::Start,
};
use moji_testkit::TestDb;

const PEOPLE: i64 = 12;
const CLIENTS: u64 = 50;
const OPS: u64 = 60;

#[derive(QueryableByName)]
struct Wrong {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// People whose kept counts differ from a count of `follows`.
fn wrong_counts(conn: &mut PgConnection) -> i64 {
    diesel::sql_query(
        "SELECT count(*) AS n FROM users u LEFT JOIN user_follow_counts c ON c.user_id = u.id \
         WHERE coalesce(c.followers, 0) <> (SELECT count(*) FROM follows WHERE followee_id = u.id) \
            OR coalesce(c.following, 0) <> (SELECT count(*) FROM follows WHERE follower_id = u.id)",
    )
    .get_result::<Wrong>(conn)
    .unwrap()
    .n
}

#[test]
fn counts_stay_exact_under_fifty_concurrent_clients() {
    let db = TestDb::new();
    let mut conn = PgConnection::establish(&db.url).unwrap();
    common::seed_users(&mut conn, PEOPLE);
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let url = db.url.clone();
            std::thread::spawn(move || {
                let mut conn = PgConnection::establish(&url).unwrap();
                let mut state = 0x2545_F491_4F6C_DD1D_u64 ^ (c + 1);
                let mut next = |n: u64| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state % n
                };
                for _ in 0..OPS {
                    let a = 1 + next(PEOPLE as u64) as i64;
                    let mut b = 1 + next(PEOPLE as u64) as i64;
                    if a == b {
                        b = 1 + b % PEOPLE;
                    }
                    let (a, b) = (common::user_id(a), common::user_id(b));
                    if next(3) == 0 {
                        follows::unfollow(&mut conn, a, b).unwrap();
                    } else {
                        follows::follow(&mut conn, a, b).unwrap();
                    }
                }
            })
        })
        .collect();
    for c in clients {
        c.join()
            .expect("a client failed (a deadlock would show here)");
    }
    assert_eq!(wrong_counts(&mut conn), 0);
    diesel::sql_query("DELETE FROM users WHERE username = 'user5'")
        .execute(&mut conn)
        .unwrap();
    assert_eq!(wrong_counts(&mut conn), 0, "after an account deletion");
}

#[test]
fn follow_is_idempotent_and_pages_walk_by_cursor() {
    let db = TestDb::new();
    let mut conn = PgConnection::establish(&db.url).unwrap();
    common::seed_users(&mut conn, 30);
    let star = common::user_id(1);
    for n in 2..=30 {
        assert!(follows::follow(&mut conn, common::user_id(n), star).unwrap());
    }
    assert!(!follows::follow(&mut conn, common::user_id(2), star).unwrap());
    assert!(follows::follow(&mut conn, star, common::user_id(2)).unwrap());
    assert!(
        follows::follow(&mut conn, star, star).is_err(),
        "no self-follow"
    );
    let counts = follows::counts(&mut conn, star).unwrap();
    assert_eq!((counts.followers, counts.following), (29, 1));

    let viewer = Some(star);
    let mut seen = Vec::new();
    let mut start = Start::TOP;
    loop {
        let page = follows::page(&mut conn, star, Side::Followers, viewer, start, 8).unwrap();
        assert_eq!(page.total, 29);
        seen.extend(
            page.items
                .iter()
                .map(|e| (e.username.clone(), e.followed_by_me)),
        );
        match page.next {
            Some(key) => start = Start::After(key),
            None => break,
        }
    }
    assert_eq!(seen.len(), 29);
    assert_eq!(
        seen.iter().filter(|(_, mine)| *mine).count(),
        1,
        "star follows user2 back"
    );
    assert_eq!(seen[0].0, "user30", "newest follow first");
    let following = follows::page(&mut conn, star, Side::Following, None, Start::TOP, 10).unwrap();
    assert_eq!(following.items.len(), 1);
    assert!(follows::unfollow(&mut conn, star, common::user_id(2)).unwrap());
    assert!(!follows::unfollow(&mut conn, star, common::user_id(2)).unwrap());
    assert_eq!(follows::counts(&mut conn, star).unwrap().following, 0);
}
