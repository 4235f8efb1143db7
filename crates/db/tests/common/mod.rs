//! Arranging rows for the db crate's tests straight in SQL, and checking the counters the
//! triggers keep against a count of the rows they stand for.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use diesel::{sql_types::BigInt, PgConnection, QueryableByName, RunQueryDsl};

/// `users` people named `user<n>` with fixed ids `00000000-0000-0000-0000-<n>`.
pub fn seed_users(conn: &mut PgConnection, users: i64) {
    diesel::sql_query(format!(
        "INSERT INTO users (id, username, email, password_hash, display_name) \
         SELECT ('00000000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, 'user' || g, \
                'user' || g || '@example.com', 'x', 'User ' || g \
         FROM generate_series(1, {users}) g"
    ))
    .execute(conn)
    .unwrap();
}

/// The id of `user<n>`.
pub fn user_id(n: i64) -> uuid::Uuid {
    uuid::Uuid::parse_str(&format!("00000000-0000-0000-0000-{n:012}")).unwrap()
}

/// `tasks` succeeded emoji tasks spread over the first `users` people, created over the
/// last `days` days, each with one face result.
pub fn seed_emoji_tasks(conn: &mut PgConnection, tasks: i64, users: i64, days: i64) {
    diesel::sql_query(format!(
        "INSERT INTO face_tasks (id, user_id, kind, template, image_key, status, result, \
                                 created_at, finished_at) \
         SELECT gen_random_uuid(), ('00000000-0000-0000-0000-' || lpad((1 + g % {users})::text, 12, '0'))::uuid, \
                'emoji', 'classic', 'uploads/x.jpg', 'succeeded', '{{}}'::jsonb, \
                now() - (g % ({days} * 24)) * interval '1 hour' - g * interval '1 ms', now() \
         FROM generate_series(1, {tasks}) g"
    ))
    .execute(conn)
    .unwrap();
    diesel::sql_query(
        "INSERT INTO face_results (task_id, face_index, user_id, kind, template, expression, \
                                   confidence, created_at, day) \
         SELECT id, 0, user_id, 'emoji', 'classic', \
                (ARRAY['happy','sad','angry','surprise','neutral','fear','disgust'])[1 + abs(hashtext(id::text)) % 7], \
                0.9, created_at, (created_at AT TIME ZONE 'Asia/Seoul')::date \
         FROM face_tasks",
    )
    .execute(conn)
    .unwrap();
}

/// Saves every task as an emoji, `public_percent` % of them public.
pub fn seed_emojis(conn: &mut PgConnection, public_percent: i64) {
    diesel::sql_query(format!(
        "INSERT INTO emojis (id, task_id, user_id, visibility, template, expression, \
                             image_key, thumbnail_key, created_at) \
         SELECT gen_random_uuid(), id, user_id, \
                CASE WHEN abs(hashtext(id::text)) % 100 < {public_percent} THEN 'public' ELSE 'private' END, \
                'classic', 'happy', 'results/x.png', 'results/x.jpg', created_at \
         FROM face_tasks WHERE kind = 'emoji'"
    ))
    .execute(conn)
    .unwrap();
}

/// Gives each emoji up to `2 × per_emoji` likes (skewed by a hash of its id) from distinct
/// people among the first `users`, made at times over the last `days` days.
pub fn seed_likes(conn: &mut PgConnection, users: i64, per_emoji: i64, days: i64) {
    diesel::sql_query(format!(
        "INSERT INTO emoji_likes (emoji_id, user_id, created_at) \
         SELECT e.id, ('00000000-0000-0000-0000-' || lpad((1 + (abs(hashtext(e.id::text)) + g * 37) % {users})::text, 12, '0'))::uuid, \
                now() - (abs(hashtext(e.id::text || g::text)) % ({days} * 24)) * interval '1 hour' \
         FROM emojis e, LATERAL generate_series(1, abs(hashtext(e.id::text)) % (2 * {per_emoji} + 1)) g \
         WHERE g <= {users} \
         ON CONFLICT DO NOTHING"
    ))
    .execute(conn)
    .unwrap();
}

#[derive(QueryableByName)]
struct Mismatch {
    #[diesel(sql_type = diesel::sql_types::Text)]
    what: String,
    #[diesel(sql_type = BigInt)]
    kept: i64,
    #[diesel(sql_type = BigInt)]
    real: i64,
}

/// Every counter the triggers keep that disagrees with a count of its rows, as
/// `"what: kept X, real Y"`; empty when all are exact.
pub fn counter_mismatches(conn: &mut PgConnection) -> Vec<String> {
    let sql = "
        SELECT * FROM (
          SELECT 'gallery public' AS what, (SELECT public_emojis FROM gallery_totals) AS kept,
                 (SELECT count(*) FROM emojis WHERE visibility = 'public') AS real
          UNION ALL
          SELECT 'saved ' || u.username, coalesce(c.saved, 0),
                 (SELECT count(*) FROM emojis e WHERE e.user_id = u.id)
          FROM users u LEFT JOIN user_emoji_counts c ON c.user_id = u.id
          UNION ALL
          SELECT 'public ' || u.username, coalesce(c.public, 0),
                 (SELECT count(*) FROM emojis e WHERE e.user_id = u.id AND e.visibility = 'public')
          FROM users u LEFT JOIN user_emoji_counts c ON c.user_id = u.id
          UNION ALL
          SELECT 'liked ' || u.username, coalesce(c.liked, 0),
                 (SELECT count(*) FROM emoji_likes l JOIN emojis e ON e.id = l.emoji_id
                  WHERE l.user_id = u.id AND (e.visibility = 'public' OR e.user_id = u.id))
          FROM users u LEFT JOIN user_emoji_counts c ON c.user_id = u.id
          UNION ALL
          SELECT 'like_count ' || e.id, e.like_count,
                 (SELECT count(*) FROM emoji_likes l WHERE l.emoji_id = e.id)
          FROM emojis e
          UNION ALL
          SELECT 'window emojis ' || r.period, r.emojis,
                 (SELECT count(DISTINCT l.emoji_id) FROM emoji_likes l
                  JOIN emojis e ON e.id = l.emoji_id AND e.visibility = 'public'
                  WHERE l.created_at >= r.starts_at)
          FROM ranking_windows r
          UNION ALL
          SELECT 'window likes ' || coalesce(t.period, x.period) || ' ' || coalesce(t.emoji_id, x.emoji_id),
                 coalesce(x.likes, 0), coalesce(t.n, 0)
          FROM (SELECT r.period, l.emoji_id, count(*) AS n
                FROM ranking_windows r JOIN emoji_likes l ON l.created_at >= r.starts_at
                JOIN emojis e ON e.id = l.emoji_id AND e.visibility = 'public'
                GROUP BY r.period, l.emoji_id) t
          FULL JOIN emoji_window_likes x ON x.period = t.period AND x.emoji_id = t.emoji_id
        ) checks WHERE kept IS DISTINCT FROM real";
    diesel::sql_query(sql)
        .load::<Mismatch>(conn)
        .unwrap()
        .into_iter()
        .map(|m| format!("{}: kept {}, real {}", m.what, m.kept, m.real))
        .collect()
}

/// Sequential scans of `tables` so far (statistics flushed and re-read first), to tell
/// whether a list walked an index: the count must not move across the list's queries.
pub fn seq_scans(conn: &mut PgConnection, tables: &[&str]) -> i64 {
    diesel::sql_query("SELECT pg_stat_force_next_flush()")
        .execute(conn)
        .unwrap();
    diesel::sql_query("SELECT pg_stat_clear_snapshot()")
        .execute(conn)
        .unwrap();
    let list = tables
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    diesel::sql_query(format!(
        "SELECT coalesce(sum(seq_scan), 0)::bigint AS n FROM pg_stat_user_tables \
         WHERE relname IN ({list})"
    ))
    .get_result::<Count>(conn)
    .unwrap()
    .n
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}
