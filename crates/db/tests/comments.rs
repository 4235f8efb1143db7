//! Comments and replies: replies go one level deep (in code and in the table), the comment,
//! reply, like and per-person counts stay exact while 50 clients comment, reply, like, unlike
//! and delete at once (and after a post and an account go), the lists page in order by their
//! cursors, and over 100k rows none of them scans `posts`, `comments`, `comment_likes` or
//! `post_likes` sequentially.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use diesel::{sql_types::BigInt, Connection, PgConnection, QueryableByName, RunQueryDsl};
use moji_db::{
    comments::{self, NewComment, ParentRefusal, Target},
    keyset::{Key, Start},
    posts::{self, NewPost},
    DbError,
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

fn post(conn: &mut PgConnection, author: i64, title: &str) -> Uuid {
    let new = NewPost {
        id: Uuid::now_v7(),
        author_id: common::user_id(author),
        title: title.into(),
        body: String::new(),
        tags: vec![],
        images: Vec::new(),
    };
    posts::create(conn, &new, |_| Vec::new()).unwrap().id
}

fn comment(
    conn: &mut PgConnection,
    post_id: Uuid,
    author: Uuid,
    parent_id: Option<Uuid>,
    text: &str,
) -> Result<Uuid, ParentRefusal> {
    let new = NewComment {
        id: Uuid::now_v7(),
        post_id,
        author_id: author,
        parent_id,
        text: text.into(),
    };
    comments::create(conn, &new).unwrap().map(|c| c.id)
}

/// Every kept count that differs from a count of its rows.
fn wrong_counts(conn: &mut PgConnection) -> i64 {
    one(
        conn,
        "SELECT (SELECT count(*) FROM posts p WHERE p.comment_count <> \
                  (SELECT count(*) FROM comments c WHERE c.post_id = p.id)) \
              + (SELECT count(*) FROM posts p WHERE p.like_count <> \
                  (SELECT count(*) FROM post_likes l WHERE l.post_id = p.id)) \
              + (SELECT count(*) FROM comments c WHERE c.reply_count <> \
                  (SELECT count(*) FROM comments r WHERE r.parent_id = c.id)) \
              + (SELECT count(*) FROM comments c WHERE c.like_count <> \
                  (SELECT count(*) FROM comment_likes l WHERE l.comment_id = c.id)) \
              + (SELECT count(*) FROM users u LEFT JOIN user_comment_counts k ON k.user_id = u.id \
                 WHERE coalesce(k.comments, 0) <> \
                  (SELECT count(*) FROM comments c WHERE c.author_id = u.id)) AS n",
    )
}

#[test]
fn replies_go_one_level_deep_under_a_comment_of_the_same_post() {
    let db = TestDb::new();
    let mut conn = PgConnection::establish(&db.url).unwrap();
    common::seed_users(&mut conn, 3);
    let (me, you) = (common::user_id(1), common::user_id(2));
    let first = post(&mut conn, 1, "first");
    let second = post(&mut conn, 1, "second");
    let top = comment(&mut conn, first, you, None, "hello").unwrap();
    let reply = comment(&mut conn, first, me, Some(top), "hi").unwrap();
    assert_eq!(
        comment(&mut conn, first, you, Some(reply), "deeper"),
        Err(ParentRefusal::IsReply)
    );
    assert_eq!(
        comment(&mut conn, second, you, Some(top), "elsewhere"),
        Err(ParentRefusal::OtherPost)
    );
    assert_eq!(
        comment(&mut conn, first, you, Some(Uuid::now_v7()), "nobody"),
        Err(ParentRefusal::Missing)
    );
    // The table refuses it too, whoever writes (a reply to a reply, a parent on another post).
    let direct = diesel::sql_query(format!(
        "INSERT INTO comments (id, post_id, author_id, parent_id, text) \
         VALUES (gen_random_uuid(), '{first}', '{you}', '{reply}', 'deeper')"
    ))
    .execute(&mut conn);
    assert!(direct.is_err(), "a reply to a reply got in");
    let across = diesel::sql_query(format!(
        "INSERT INTO comments (id, post_id, author_id, parent_id, text) \
         VALUES (gen_random_uuid(), '{second}', '{you}', '{top}', 'elsewhere')"
    ))
    .execute(&mut conn);
    assert!(
        across.is_err(),
        "a reply on another post than its parent got in"
    );
    let moved = diesel::sql_query(format!(
        "UPDATE comments SET post_id = '{second}' WHERE id = '{top}'"
    ))
    .execute(&mut conn);
    assert!(moved.is_err(), "a comment moved to another post");

    let found = comments::by_id(&mut conn, top, Some(me)).unwrap();
    assert_eq!(
        (found.comment.reply_count, found.post_title.as_str()),
        (1, "first")
    );
    assert!(found.visible_to(None));
    // An unpublished post takes comments from its author only.
    diesel::sql_query(format!(
        "UPDATE posts SET status = 'pending' WHERE id = '{second}'"
    ))
    .execute(&mut conn)
    .unwrap();
    let refused = comments::create(
        &mut conn,
        &NewComment {
            id: Uuid::now_v7(),
            post_id: second,
            author_id: you,
            parent_id: None,
            text: "hidden".into(),
        },
    );
    assert!(matches!(refused, Err(DbError::NotFound)), "{refused:?}");
    let mine = comment(&mut conn, second, me, None, "note to self").unwrap();
    assert!(!comments::by_id(&mut conn, mine, None)
        .unwrap()
        .visible_to(Some(you)));
    assert!(matches!(
        comments::thread_page(&mut conn, Target::Post(second), Some(you), Start::TOP, 10),
        Err(DbError::NotFound)
    ));
    assert_eq!(
        comments::thread_page(&mut conn, Target::Post(second), Some(me), Start::TOP, 10)
            .unwrap()
            .items
            .len(),
        1
    );

    assert_eq!(comments::set_like(&mut conn, reply, you, true).unwrap(), 1);
    assert_eq!(comments::set_like(&mut conn, reply, you, true).unwrap(), 1);
    assert_eq!(
        comments::delete(&mut conn, top).unwrap(),
        2,
        "with its reply"
    );
    assert_eq!(comments::delete(&mut conn, top).unwrap(), 0);
    assert!(matches!(
        comments::set_like(&mut conn, reply, you, false),
        Err(DbError::NotFound)
    ));
    assert_eq!(wrong_counts(&mut conn), 0);
}

/// (comment, post, author, top-level) of a comment written in the concurrent test.
type Written = (Uuid, Uuid, Uuid, bool);

#[test]
fn counts_stay_exact_under_fifty_concurrent_clients() {
    const PEOPLE: i64 = 20;
    let db = TestDb::new();
    let mut conn = PgConnection::establish(&db.url).unwrap();
    common::seed_users(&mut conn, PEOPLE);
    let posts: Vec<Uuid> = (0..4).map(|i| post(&mut conn, 1 + i, "p")).collect();
    let written: Arc<Mutex<Vec<Written>>> = Arc::new(Mutex::new(Vec::new()));
    for (i, p) in posts.iter().enumerate() {
        for k in 0..3 {
            let author = common::user_id(1 + (i as i64 + k) % PEOPLE);
            let id = comment(&mut conn, *p, author, None, "seed").unwrap();
            written.lock().unwrap().push((id, *p, author, true));
        }
    }
    let clients: Vec<_> = (0..50u64)
        .map(|c| {
            let (url, posts, written) = (db.url.clone(), posts.clone(), written.clone());
            std::thread::spawn(move || {
                let mut conn = PgConnection::establish(&url).unwrap();
                let mut state = 0x9E37_79B9_7F4A_7C15_u64 ^ (c + 1);
                let mut next = |n: u64| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state % n
                };
                let me = common::user_id(1 + (c % PEOPLE as u64) as i64);
                for _ in 0..24 {
                    let pick = {
                        let all = written.lock().unwrap();
                        all[next(all.len() as u64) as usize]
                    };
                    let (id, post_id, author, top) = pick;
                    match next(8) {
                        0 | 1 => {
                            // Likes of one comment, and of its post, from the same client.
                            let _ = comments::set_like(&mut conn, id, me, true);
                            posts::set_like(&mut conn, post_id, me, true).unwrap();
                        }
                        2 => {
                            let _ = comments::set_like(&mut conn, id, me, false);
                        }
                        3 | 4 => {
                            let parent = top.then_some(id);
                            if let Ok(new) = comment(&mut conn, post_id, me, parent, "re") {
                                written.lock().unwrap().push((new, post_id, me, false));
                            }
                        }
                        5 => {
                            let p = posts[next(posts.len() as u64) as usize];
                            let new = comment(&mut conn, p, me, None, "new").unwrap();
                            written.lock().unwrap().push((new, p, me, true));
                        }
                        _ => {
                            // Deleting a top-level comment takes its replies along.
                            if author == me || top {
                                comments::delete(&mut conn, id).unwrap();
                            }
                        }
                    }
                }
            })
        })
        .collect();
    for c in clients {
        c.join()
            .expect("a client failed (a deadlock would show here)");
    }
    assert!(
        one(&mut conn, "SELECT count(*) AS n FROM comment_likes") > 0,
        "the clients liked something"
    );
    assert!(
        one(
            &mut conn,
            "SELECT count(*) AS n FROM comments WHERE parent_id IS NOT NULL"
        ) > 0
    );
    assert_eq!(wrong_counts(&mut conn), 0);
    posts::delete(&mut conn, posts[0], |_| Vec::new()).unwrap();
    assert_eq!(wrong_counts(&mut conn), 0, "after a post went");
    diesel::sql_query("DELETE FROM users WHERE username = 'user3'")
        .execute(&mut conn)
        .unwrap();
    assert_eq!(wrong_counts(&mut conn), 0, "after an account went");
}

#[test]
fn lists_page_in_order_by_their_cursors() {
    let db = TestDb::new();
    let mut conn = PgConnection::establish(&db.url).unwrap();
    common::seed_users(&mut conn, 6);
    let (me, you) = (common::user_id(1), common::user_id(2));
    let p = post(&mut conn, 2, "market");
    let other = post(&mut conn, 3, "other");
    let tops: Vec<Uuid> = (0..5)
        .map(|i| comment(&mut conn, p, common::user_id(1 + i % 3), None, "top").unwrap())
        .collect();
    let replies: Vec<Uuid> = (0..3)
        .map(|_| comment(&mut conn, p, me, Some(tops[1]), "re").unwrap())
        .collect();
    comment(&mut conn, other, me, None, "elsewhere").unwrap();

    // The conversation, oldest first, two at a time.
    let mut seen = Vec::new();
    let mut start = Start::TOP;
    loop {
        let page = comments::thread_page(&mut conn, Target::Post(p), None, start, 2).unwrap();
        seen.extend(page.items.iter().map(|c| (c.id, c.reply_count)));
        match page.next {
            Some(key) => start = Start::After(key),
            None => break,
        }
    }
    let expected: Vec<(Uuid, i32)> = tops
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, if i == 1 { 3 } else { 0 }))
        .collect();
    assert_eq!(seen, expected);
    let page = comments::thread_page(&mut conn, Target::Comment(tops[1]), Some(me), Start::TOP, 2)
        .unwrap();
    let rest = comments::thread_page(
        &mut conn,
        Target::Comment(tops[1]),
        Some(me),
        Start::After(page.next.unwrap()),
        2,
    )
    .unwrap();
    let ids: Vec<Uuid> = page.items.iter().chain(&rest.items).map(|c| c.id).collect();
    assert_eq!(ids, replies);
    assert!(rest.next.is_none());
    let newest_key = Key::Time {
        at: chrono::Utc::now(),
        id: Uuid::nil(),
    };
    assert!(matches!(
        comments::thread_page(
            &mut conn,
            Target::Post(p),
            None,
            Start::After(newest_key),
            2
        ),
        Err(DbError::BadCursor)
    ));
    assert!(matches!(
        comments::thread_page(&mut conn, Target::Post(Uuid::now_v7()), None, Start::TOP, 2),
        Err(DbError::NotFound)
    ));

    // Mine, newest first, with the posts' titles; the total counts them all.
    let mine = comments::by_author_page(&mut conn, me, Start::TOP, 3).unwrap();
    assert_eq!(mine.total, 6);
    assert_eq!(mine.items[0].post_title, "other");
    let more =
        comments::by_author_page(&mut conn, me, Start::After(mine.next.unwrap()), 3).unwrap();
    let ids: Vec<Uuid> = mine
        .items
        .iter()
        .chain(&more.items)
        .map(|c| c.comment.id)
        .collect();
    assert_eq!(&ids[1..4], [replies[2], replies[1], replies[0]]);
    assert_eq!(ids.len(), 6);

    // Who liked, newest like first; the total is the like count.
    for n in 1..=4 {
        comments::set_like(&mut conn, tops[0], common::user_id(n), true).unwrap();
        posts::set_like(&mut conn, p, common::user_id(n), true).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    posts::set_like(&mut conn, other, me, true).unwrap();
    for target in [Target::Post(p), Target::Comment(tops[0])] {
        let page = comments::likers_page(&mut conn, target, None, Start::TOP, 3).unwrap();
        assert_eq!(page.total, 4);
        let names: Vec<&str> = page.items.iter().map(|l| l.username.as_str()).collect();
        assert_eq!(names, ["user4", "user3", "user2"]);
        let last =
            comments::likers_page(&mut conn, target, None, Start::After(page.next.unwrap()), 3)
                .unwrap();
        assert_eq!(last.items[0].username, "user1");
        assert!(last.next.is_none());
        let second = comments::likers_page(&mut conn, target, None, Start::Offset(1), 1).unwrap();
        assert_eq!(second.items[0].username, "user3");
    }

    // The posts I liked, newest like first, as full rows.
    let liked = comments::liked_posts_page(&mut conn, me, Start::TOP, 1).unwrap();
    assert_eq!(liked.items[0].title, "other");
    assert!(liked.items[0].liked_by_me);
    let older =
        comments::liked_posts_page(&mut conn, me, Start::After(liked.next.unwrap()), 1).unwrap();
    assert_eq!(older.items[0].title, "market");
    assert_eq!(older.items[0].comment_count, 8);
    assert!(older.next.is_none());
    assert!(comments::liked_posts_page(&mut conn, you, Start::TOP, 10)
        .unwrap()
        .items
        .iter()
        .all(|p| p.title == "market"));
}

#[test]
fn comment_lists_do_not_scan() {
    let db = TestDb::new();
    let mut conn = PgConnection::establish(&db.url).unwrap();
    common::seed_users(&mut conn, 1_000);
    let user = |expr: &str| {
        format!("('00000000-0000-0000-0000-' || lpad((1 + ({expr}) % 1000)::text, 12, '0'))::uuid")
    };
    for sql in [
        format!(
            "INSERT INTO posts (id, author_id, title, body, created_at) \
             SELECT gen_random_uuid(), {}, 't' || g, '', now() - g * interval '1 min' \
             FROM generate_series(1, 100000) g",
            user("g")
        ),
        // 60k top-level comments, on 20k posts, then 60k replies to them.
        format!(
            "INSERT INTO comments (id, post_id, author_id, text, created_at) \
             SELECT gen_random_uuid(), p.id, {}, 'c', p.created_at + k * interval '1 s' \
             FROM (SELECT id, created_at, row_number() OVER () AS n FROM posts LIMIT 20000) p, \
                  generate_series(1, 3) k",
            user("p.n * 7 + k")
        ),
        format!(
            "INSERT INTO comments (id, post_id, author_id, parent_id, text, created_at) \
             SELECT gen_random_uuid(), c.post_id, {}, c.id, 'r', c.created_at + interval '1 min' \
             FROM comments c",
            user("abs(hashtext(c.id::text))")
        ),
        format!(
            "INSERT INTO comment_likes (comment_id, user_id) \
             SELECT id, {} FROM comments",
            user("abs(hashtext(id::text))")
        ),
        format!(
            "INSERT INTO post_likes (post_id, user_id) SELECT id, {} FROM posts",
            user("abs(hashtext(id::text))")
        ),
    ] {
        diesel::sql_query(sql).execute(&mut conn).unwrap();
    }
    let me = common::user_id(7);
    // Give the lists something to page through for one post, one comment and one person.
    let busy = one(
        &mut conn,
        "SELECT count(*) AS n FROM comments WHERE parent_id IS NULL",
    );
    assert!(busy >= 60_000, "{busy}");
    #[derive(QueryableByName)]
    struct Ids {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        post_id: Uuid,
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
    }
    let target: Ids = diesel::sql_query(
        "SELECT post_id, id FROM comments WHERE parent_id IS NULL ORDER BY id LIMIT 1",
    )
    .get_result(&mut conn)
    .unwrap();
    for n in 1..=30 {
        let who = common::user_id(n);
        comment(&mut conn, target.post_id, who, None, "more").unwrap();
        comment(&mut conn, target.post_id, who, Some(target.id), "more").unwrap();
        comments::set_like(&mut conn, target.id, who, true).unwrap();
        posts::set_like(&mut conn, target.post_id, who, true).unwrap();
    }
    for table in ["posts", "comments", "comment_likes", "post_likes"] {
        diesel::sql_query(format!(
            "ALTER TABLE {table} SET (autovacuum_enabled = false)"
        ))
        .execute(&mut conn)
        .unwrap();
    }
    diesel::sql_query("VACUUM ANALYZE")
        .execute(&mut conn)
        .unwrap();
    let scans = |conn: &mut PgConnection| {
        common::seq_scans(conn, &["posts", "comments", "comment_likes", "post_likes"])
    };
    // The lists' own indexes, each of which must be walked (not just any index plus a sort).
    const LIST_INDEXES: [&str; 6] = [
        "comments_top_idx",
        "comments_replies_idx",
        "comments_author_idx",
        "comment_likes_latest_idx",
        "post_likes_latest_idx",
        "post_likes_user_idx",
    ];
    let index_scans = |conn: &mut PgConnection| -> Vec<i64> {
        LIST_INDEXES
            .iter()
            .map(|index| {
                one(
                    conn,
                    &format!(
                        "SELECT idx_scan AS n FROM pg_stat_user_indexes \
                         WHERE indexrelname = '{index}'"
                    ),
                )
            })
            .collect()
    };
    let before = scans(&mut conn);
    let indexes_before = index_scans(&mut conn);
    for generic in [false, true] {
        if generic {
            diesel::sql_query("SET plan_cache_mode = force_generic_plan")
                .execute(&mut conn)
                .unwrap();
        }
        for thread in [Target::Post(target.post_id), Target::Comment(target.id)] {
            let page = comments::thread_page(&mut conn, thread, Some(me), Start::TOP, 20).unwrap();
            assert_eq!(page.items.len(), 20, "{thread:?}");
            let next = comments::thread_page(
                &mut conn,
                thread,
                Some(me),
                Start::After(page.next.unwrap()),
                20,
            )
            .unwrap();
            assert!(!next.items.is_empty(), "{thread:?}");
            let likers = comments::likers_page(&mut conn, thread, None, Start::TOP, 20).unwrap();
            assert_eq!(likers.items.len(), 20, "{thread:?}");
            let more = comments::likers_page(
                &mut conn,
                thread,
                None,
                Start::After(likers.next.unwrap()),
                20,
            )
            .unwrap();
            assert!(!more.items.is_empty(), "{thread:?}");
        }
        let mine = comments::by_author_page(&mut conn, me, Start::TOP, 20).unwrap();
        assert_eq!(mine.items.len(), 20);
        assert!(mine.total > 100, "{}", mine.total);
        comments::by_author_page(&mut conn, me, Start::After(mine.next.unwrap()), 20).unwrap();
        comments::by_author_page(&mut conn, me, Start::Offset(40), 20).unwrap();
        let liked = comments::liked_posts_page(&mut conn, me, Start::TOP, 20).unwrap();
        assert_eq!(liked.items.len(), 20);
        comments::liked_posts_page(&mut conn, me, Start::After(liked.next.unwrap()), 20).unwrap();
        comments::by_id(&mut conn, target.id, Some(me)).unwrap();
        // The writes find their rows (and the cascades theirs) by index too.
        let top = comment(&mut conn, target.post_id, me, None, "short-lived").unwrap();
        let reply = comment(&mut conn, target.post_id, me, Some(top), "re").unwrap();
        comments::set_like(&mut conn, reply, me, true).unwrap();
        comments::update(&mut conn, top, "edited", me).unwrap();
        assert_eq!(comments::delete(&mut conn, top).unwrap(), 2);
    }
    assert_eq!(
        scans(&mut conn),
        before,
        "a comment list or write scanned a big table"
    );
    let indexes_after = index_scans(&mut conn);
    for (i, index) in LIST_INDEXES.iter().enumerate() {
        assert!(
            indexes_after[i] > indexes_before[i],
            "{index} was not used by its list"
        );
    }
    assert_eq!(wrong_counts(&mut conn), 0);
}
