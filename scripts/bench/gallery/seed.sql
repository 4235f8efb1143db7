-- Seeds the gallery benchmark's database: :people accounts and :rows public emojis (each with
-- the succeeded emoji task it was saved from) spread over the last 90 days, and about one like
-- per emoji, skewed so that `sort=popular` has a real head and a long tail.
--
--   psql "$URL" -v rows=100000 -v people=1000 -v batch=10000 -v password_hash='$2b$04$...' \
--        -f scripts/bench/gallery/seed.sql
--
-- Only ordinary INSERT and UPDATE statements, in batches of :batch emojis, each batch its own
-- transaction: whatever triggers the schema has (counters of public emojis, per-person counts,
-- ranking windows, like counts) fire as they would for the api's own writes, and row triggers
-- that bump one counter row never see a million updates of it in one transaction. The values
-- are pseudo-random but deterministic (hashes of the row number), so every run seeds the same
-- gallery.
\set ON_ERROR_STOP on
\set QUIET on
SET client_min_messages = warning;

-- One instant for the whole seed: "now" of the gallery.
SELECT now() AS anchor \gset

-- A number in [0, 1) from a seed string (deterministic).
CREATE FUNCTION pg_temp.rnd(seed text) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
    SELECT ('x' || substr(md5(seed), 1, 12))::bit(48)::bigint / 281474976710656.0
$$;

-- A UUIDv7 for time `ts` (millisecond prefix, as the api's ids), its random part from `seed`.
CREATE FUNCTION pg_temp.uuid7(ts timestamptz, seed text) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
    SELECT (lpad(to_hex(floor(extract(epoch FROM ts) * 1000)::bigint), 12, '0')
            || '7' || substr(md5(seed), 1, 3)
            || to_hex(8 + (get_byte(decode(md5(seed), 'hex'), 15) & 3))
            || substr(md5(seed), 4, 15))::uuid
$$;

-- The people, oldest account first; `people` maps their number to their id for the batches.
CREATE TEMP TABLE people (idx int PRIMARY KEY, id uuid NOT NULL);
INSERT INTO people (idx, id)
SELECT n, pg_temp.uuid7(:'anchor'::timestamptz - interval '180 days' + n * interval '1 minute',
                        'person ' || n)
FROM generate_series(1, :people) n;
INSERT INTO users (id, username, email, display_name, password_hash, bio, created_at, updated_at)
SELECT p.id,
       'seed_' || lpad(p.idx::text, 7, '0'),
       'seed_' || lpad(p.idx::text, 7, '0') || '@bench.moji.invalid',
       'Seed person ' || p.idx,
       :'password_hash',
       CASE WHEN p.idx % 4 = 0 THEN '오늘도 웃어요 :)' ELSE '' END,
       t, t
FROM people p,
     LATERAL (SELECT :'anchor'::timestamptz - interval '180 days' + p.idx * interval '1 minute') x(t)
ORDER BY p.idx;

-- Emojis lo..hi of `total` (1 is the oldest, `total` the newest) with their tasks and likes.
CREATE FUNCTION pg_temp.seed_batch(lo bigint, hi bigint, total bigint, people_n int,
                                   anchor timestamptz)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    -- Strides coprime to the number of people: liker j of an emoji is the owner + j strides
    -- (mod people), so an emoji's likers are distinct and never its owner.
    strides int[] := ARRAY(SELECT s FROM unnest(ARRAY[7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47]) s
                           WHERE people_n % s <> 0);
    span float8 := 90 * 86400;
BEGIN
    CREATE TEMP TABLE batch ON COMMIT DROP AS
    SELECT i, owner, p.id AS user_id, ts, tmpl, expr, conf,
           pg_temp.uuid7(ts, 'emoji ' || i) AS emoji_id,
           pg_temp.uuid7(ts - interval '20 seconds', 'task ' || i) AS task_id,
           -- Likes: a Lomax (Pareto II, alpha 1.5) draw, about one per emoji on average; most
           -- emojis have none, a few have hundreds.
           least(people_n - 1,
                 floor(0.7 * (power(1 - pg_temp.rnd('likes ' || i), -1 / 1.5) - 1)))::int AS likes,
           strides[1 + i % cardinality(strides)] AS stride
    FROM (
        SELECT i,
               -- Owners are skewed too: person 1 posts the most.
               1 + floor(people_n * power(pg_temp.rnd('owner ' || i), 1.6))::int AS owner,
               anchor - make_interval(secs => span)
                      + make_interval(secs => (i - 1 + pg_temp.rnd('ts ' || i)) * span / total) AS ts,
               (SELECT t FROM (VALUES (0.40, 'classic'), (0.65, 'cat'), (0.85, 'bear'), (1.01, 'bunny')) w(p, t)
                WHERE pg_temp.rnd('template ' || i) < w.p ORDER BY w.p LIMIT 1) AS tmpl,
               (SELECT e FROM (VALUES (0.35, 'happy'), (0.60, 'neutral'), (0.72, 'surprise'),
                                      (0.82, 'sad'), (0.89, 'angry'), (0.95, 'fear'), (1.01, 'disgust')) w(p, e)
                WHERE pg_temp.rnd('expression ' || i) < w.p ORDER BY w.p LIMIT 1) AS expr,
               round((0.55 + 0.44 * pg_temp.rnd('confidence ' || i))::numeric, 3)::float8 AS conf
        FROM generate_series(lo, hi) i
    ) r
    JOIN people p ON p.idx = r.owner;

    INSERT INTO face_tasks (id, user_id, kind, template, image_key, status, result,
                            created_at, updated_at, finished_at)
    SELECT task_id, user_id, 'emoji', tmpl, format('uploads/%s/%s.jpg', user_id, task_id), 'succeeded',
           jsonb_build_object(
               'template', tmpl,
               'faces', jsonb_build_array(jsonb_build_object(
                   'box', jsonb_build_object('x', 180 + i % 300, 'y', 120 + i % 200,
                                             'width', 220 + i % 90, 'height', 220 + i % 90),
                   'expression', expr,
                   'confidence', conf,
                   'scores', (SELECT jsonb_object_agg(e, CASE WHEN e = expr THEN conf
                                                              ELSE round(((1 - conf) / 6)::numeric, 4)::float8 END)
                              FROM unnest(ARRAY['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral']) e))),
               'image_key', format('results/%s/emoji.png', task_id),
               'thumbnail_key', format('results/%s/thumbnail.jpg', task_id),
               'width', 1024, 'height', 768),
           ts - interval '20 seconds', ts - interval '17 seconds', ts - interval '17 seconds'
    FROM batch ORDER BY i;

    INSERT INTO emojis (id, task_id, user_id, caption, visibility, template, expression,
                        image_key, thumbnail_key, created_at)
    SELECT emoji_id, task_id, user_id,
           CASE i % 5 WHEN 0 THEN '' WHEN 1 THEN '오늘의 기분 #' || i WHEN 2 THEN 'mood of the day'
                      WHEN 3 THEN '주말 나들이 ' || expr ELSE 'me, as a ' || tmpl END,
           'public', tmpl, expr,
           format('results/%s/emoji.png', task_id), format('results/%s/thumbnail.jpg', task_id), ts
    FROM batch ORDER BY i;

    -- Most likes come soon after the emoji was shared.
    INSERT INTO emoji_likes (emoji_id, user_id, created_at)
    SELECT b.emoji_id, p.id,
           b.ts + (anchor - b.ts) * power(pg_temp.rnd('like ' || b.i || ' ' || j), 3)
    FROM batch b
    CROSS JOIN LATERAL generate_series(1, b.likes) j
    JOIN people p ON p.idx = (b.owner - 1 + j * b.stride) % people_n + 1
    ORDER BY b.i, j;

    -- like_count is a count of emoji_likes: a trigger may already have kept it, the api's
    -- own code does not run here; either way it ends up right.
    UPDATE emojis e SET like_count = c.n
    FROM (SELECT l.emoji_id, count(*)::int AS n
          FROM emoji_likes l JOIN batch b ON b.emoji_id = l.emoji_id
          GROUP BY l.emoji_id) c
    WHERE e.id = c.emoji_id AND e.like_count <> c.n;
END
$fn$;

-- One statement (so one transaction) per batch.
\o /dev/null
SELECT format('SELECT pg_temp.seed_batch(%s, %s, %s, %s, %L)',
              lo, least(lo + :batch - 1, :rows), :rows, :people, :'anchor')
FROM generate_series(1, :rows, :batch) lo
ORDER BY lo
\gexec
\o
