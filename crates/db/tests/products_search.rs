//! Products and search at 100k rows: every list and every search walks an index (no
//! sequential scan of a big table, under custom and generic plans), including one- and
//! two-syllable Korean queries and English prefixes; the kept product count stays exact.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use diesel::{prelude::*, sql_types::BigInt};
use moji_db::{
    keyset::Start,
    products::{self, Filter, Sort},
    search,
};
use moji_testkit::TestDb;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn one(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n
}

fn scans(conn: &mut PgConnection) -> i64 {
    common::seq_scans(conn, &["posts", "products"])
}

#[test]
fn product_lists_and_searches_do_not_scan() {
    let db = TestDb::new();
    let mut conn = PgConnection::establish(&db.url).unwrap();
    common::seed_users(&mut conn, 1_000);
    // Words: one post in 50 mentions 감귤, one in 7 has 제주; English words throughout.
    for sql in [
        "INSERT INTO posts (id, author_id, title, body, created_at) \
         SELECT gen_random_uuid(), ('00000000-0000-0000-0000-' || lpad((1 + g % 1000)::text, 12, '0'))::uuid, \
                CASE WHEN g % 50 = 0 THEN '감귤 나눔 ' ELSE '오늘 ' END || g, \
                CASE WHEN g % 7 = 0 THEN '제주 여행 mandarin' ELSE 'daily note' END, \
                now() - g * interval '1 min' \
         FROM generate_series(1, 100000) g",
        "INSERT INTO products (id, seller_id, name, price, description, created_at) \
         SELECT gen_random_uuid(), ('00000000-0000-0000-0000-' || lpad((1 + g % 1000)::text, 12, '0'))::uuid, \
                CASE WHEN g % 40 = 0 THEN '한라봉 ' ELSE '상품 ' END || g, (g * 37) % 200000, \
                'fresh fruit', now() - g * interval '1 min' \
         FROM generate_series(1, 100000) g",
        "VACUUM ANALYZE",
    ] {
        diesel::sql_query(sql).execute(&mut conn).unwrap();
    }
    assert_eq!(
        one(
            &mut conn,
            "SELECT count(*) AS n FROM user_product_counts WHERE products <> 100"
        ),
        0,
        "each of 1,000 sellers has 100 products, counted by the trigger"
    );
    let seller = common::user_id(7);
    let mut counts: Vec<(&str, String, i64)> = Vec::new();
    let before = scans(&mut conn);
    for generic in [false, true] {
        if generic {
            diesel::sql_query("SET plan_cache_mode = force_generic_plan")
                .execute(&mut conn)
                .unwrap();
        }
        for (filter, sort) in [
            (Filter::default(), Sort::New),
            (Filter::default(), Sort::PriceAsc),
            (Filter::default(), Sort::PriceDesc),
            (
                Filter {
                    min_price: Some(50_000),
                    max_price: Some(60_000),
                    ..Filter::default()
                },
                Sort::PriceAsc,
            ),
            (
                Filter {
                    seller: Some(seller),
                    ..Filter::default()
                },
                Sort::New,
            ),
            (
                Filter {
                    seller: Some(seller),
                    include_unpublished: true,
                    ..Filter::default()
                },
                Sort::New,
            ),
            (
                Filter {
                    text: search::query_of("한라봉"),
                    ..Filter::default()
                },
                Sort::New,
            ),
        ] {
            let page = products::page(&mut conn, &filter, sort, Start::TOP, 20).unwrap();
            assert_eq!(page.items.len(), 20, "{filter:?} {sort:?}");
            let next = products::page(
                &mut conn,
                &filter,
                sort,
                Start::After(page.next.unwrap()),
                20,
            )
            .unwrap();
            assert!(!next.items.is_empty(), "{filter:?} {sort:?}");
            if sort == Sort::PriceAsc {
                assert!(page.items.windows(2).all(|w| w[0].price <= w[1].price));
                assert!(page.items.last().unwrap().price <= next.items[0].price);
            }
        }
        for (q, at_least) in [
            ("감귤", 2_000),
            ("귤", 2_000),
            ("제주", 14_000),
            ("mandar", 14_000),
        ] {
            let terms = search::query_of(q).unwrap();
            let found = search::post_ids(&mut conn, &terms, 0, 20).unwrap();
            assert_eq!(found.len(), 21, "{q}: a full page and one more");
            let rows = search::posts_by_ids(&mut conn, &found, None).unwrap();
            assert_eq!(
                rows.iter().map(|r| r.id).collect::<Vec<_>>(),
                found,
                "{q}: in rank order"
            );
            counts.push((q, terms, at_least));
        }
        let terms = search::query_of("한라봉").unwrap();
        assert_eq!(
            search::product_ids(&mut conn, &terms, 0, 20).unwrap().len(),
            21
        );
        let terms = search::query_of("user7").unwrap();
        search::people(&mut conn, &terms, 0, 20).unwrap();
    }
    assert_eq!(
        scans(&mut conn),
        before,
        "a product list or a search scanned a big table"
    );
    // The searches found what is there (counted after the scan check: a count may scan).
    for (q, terms, at_least) in counts {
        let n = one(
            &mut conn,
            &format!("SELECT count(*) AS n FROM posts WHERE search @@ $q${terms}$q$::tsquery"),
        );
        assert!(n >= at_least, "{q}: {n}");
    }
}
