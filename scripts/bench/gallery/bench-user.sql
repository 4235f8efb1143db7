-- The bench user (signed up through the api) likes some emojis, so `liked_by_me` is true on
-- part of every page the benchmark asks for: every 4th of the newest 5,000 and every 2nd of
-- the 400 most liked. Ordinary INSERTs, then like_count made right whether or not a trigger
-- already did (as in seed.sql).
--
--   psql "$URL" -v user_id=<uuid> -f scripts/bench/gallery/bench-user.sql
\set ON_ERROR_STOP on
\set QUIET on

CREATE TEMP TABLE liked AS
SELECT id FROM (
    SELECT id, row_number() OVER (ORDER BY created_at DESC, id DESC) AS rn
    FROM emojis WHERE visibility = 'public'
    ORDER BY created_at DESC, id DESC LIMIT 5000
) newest WHERE rn % 4 = 1
UNION
SELECT id FROM (
    SELECT id, row_number() OVER (ORDER BY like_count DESC, created_at DESC, id DESC) AS rn
    FROM emojis WHERE visibility = 'public'
    ORDER BY like_count DESC, created_at DESC, id DESC LIMIT 400
) popular WHERE rn % 2 = 1;

BEGIN;
INSERT INTO emoji_likes (emoji_id, user_id, created_at)
SELECT id, :'user_id', now() - interval '1 hour' FROM liked ORDER BY id
ON CONFLICT DO NOTHING;
UPDATE emojis e SET like_count = c.n
FROM (SELECT l.emoji_id, count(*)::int AS n
      FROM emoji_likes l JOIN liked ON liked.id = l.emoji_id
      GROUP BY l.emoji_id) c
WHERE e.id = c.emoji_id AND e.like_count <> c.n;
COMMIT;
