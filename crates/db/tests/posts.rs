//! Post like counts stay exact under 50 concurrent clients, and the post lists walk indexes:
//! over 100k posts none scans `posts`, `post_likes` or `post_tags` sequentially.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use diesel::{sql_types::BigInt, Connection, PgConnection, QueryableByName, RunQueryDsl};
use moji_db::{
    follows,
    keyset::Start,
    posts::{self, Listing, NewPost},
};
use moji_testkit::TestDb;
use uuid::Uuid;

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn one(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<N>(conn).unwrap().n
}

#[test]
fn like_counts_stay_exact_under_fifty_concurrent_clients() {
    let db = TestDb::new();
    let mut conn = PgConnection::establish(&db.url).unwrap();
    common::seed_users(&mut conn, 20);
    let ids: Vec<Uuid> = (0..5)
        .map(|i| {
            let new = NewPost {
                id: Uuid::now_v7(),
                author_id: common::user_id(1),
                title: format!("p{i}"),
                body: String::new(),
                tags: vec!["x".into()],
                images: Vec::new(),
            };
            posts::create(&mut conn, &new, |_| Vec::new()).unwrap().id
        })
        .collect();
    let clients: Vec<_> = (0..50u64)
        .map(|c| {
            let (url, ids) = (db.url.clone(), ids.clone());
            std::thread::spawn(move || {
                let mut conn = PgConnection::establish(&url).unwrap();
                for k in 0..20u64 {
                    let post = ids[((c * 7 + k * 3) % 5) as usize];
                    let who = common::user_id(1 + ((c + k) % 20) as i64);
                    posts::set_like(&mut conn, post, who, (c + k) % 3 != 0).unwrap();
                }
            })
        })
        .collect();
    for c in clients {
        c.join().expect("a client failed");
    }
    let wrong = one(
        &mut conn,
        "SELECT count(*) AS n FROM posts p \
         WHERE p.like_count <> (SELECT count(*) FROM post_likes l WHERE l.post_id = p.id)",
    );
    assert_eq!(wrong, 0);
}

#[test]
fn post_lists_do_not_scan() {
    let db = TestDb::new();
    let mut conn = PgConnection::establish(&db.url).unwrap();
    common::seed_users(&mut conn, 1_000);
    for sql in [
        "INSERT INTO posts (id, author_id, title, body, tags, created_at) \
         SELECT gen_random_uuid(), ('00000000-0000-0000-0000-' || lpad((1 + g % 1000)::text, 12, '0'))::uuid, \
                't' || g, '', ARRAY['tag' || (g % 50)], now() - g * interval '1 min' \
         FROM generate_series(1, 100000) g",
        "INSERT INTO post_tags (tag, post_id, created_at) SELECT tags[1], id, created_at FROM posts",
        "INSERT INTO post_likes (post_id, user_id) \
         SELECT id, ('00000000-0000-0000-0000-' || lpad((1 + abs(hashtext(id::text)) % 1000)::text, 12, '0'))::uuid FROM posts",
        "INSERT INTO follows (follower_id, followee_id) \
         SELECT ('00000000-0000-0000-0000-' || lpad(a::text, 12, '0'))::uuid, \
                ('00000000-0000-0000-0000-' || lpad((1 + (a + k * 37) % 1000)::text, 12, '0'))::uuid \
         FROM generate_series(1, 1000) a, generate_series(1, 20) k ON CONFLICT DO NOTHING",
        "VACUUM ANALYZE",
    ] {
        diesel::sql_query(sql).execute(&mut conn).unwrap();
    }
    let scans = |conn: &mut PgConnection| {
        common::seq_scans(conn, &["posts", "post_likes", "post_tags", "follows"])
    };
    let me = common::user_id(7);
    let before = scans(&mut conn);
    for generic in [false, true] {
        if generic {
            diesel::sql_query("SET plan_cache_mode = force_generic_plan")
                .execute(&mut conn)
                .unwrap();
        }
        for listing in [
            Listing::Latest,
            Listing::By(me),
            Listing::Tagged("tag7".into()),
            Listing::FeedOf(me),
        ] {
            let page = posts::page(&mut conn, &listing, Some(me), Start::TOP, 20).unwrap();
            assert_eq!(page.items.len(), 20, "{listing:?}");
            let next = posts::page(
                &mut conn,
                &listing,
                Some(me),
                Start::After(page.next.unwrap()),
                20,
            )
            .unwrap();
            assert!(!next.items.is_empty());
        }
        let one_post = posts::page(&mut conn, &Listing::Latest, None, Start::TOP, 1)
            .unwrap()
            .items[0]
            .id;
        posts::by_id(&mut conn, one_post, Some(me)).unwrap();
        follows::page(
            &mut conn,
            me,
            follows::Side::Followers,
            Some(me),
            Start::TOP,
            20,
        )
        .unwrap();
        follows::page(
            &mut conn,
            me,
            follows::Side::Following,
            None,
            Start::TOP,
            20,
        )
        .unwrap();
    }
    assert_eq!(
        scans(&mut conn),
        before,
        "a post or follow list scanned a big table"
    );
}
