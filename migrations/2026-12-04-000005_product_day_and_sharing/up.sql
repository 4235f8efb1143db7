-- Issue 11: the product day, shared zodiac results, unique display names, liked lists.

-- The product day a result counts for (fortunes, streaks, daily statistics) is decided once,
-- in the configured time zone, by the writer (the api), and stored with the result. Results
-- stored before this migration are counted in Asia/Seoul, the default zone.
ALTER TABLE face_results ADD COLUMN day DATE;
UPDATE face_results SET day = (created_at AT TIME ZONE 'Asia/Seoul')::date;
ALTER TABLE face_results ALTER COLUMN day SET NOT NULL;
CREATE INDEX face_results_user_day_idx ON face_results (user_id, day);
CREATE INDEX face_results_day_idx ON face_results (day);

CREATE OR REPLACE FUNCTION record_face_result_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.face_index = 0 THEN
        INSERT INTO user_face_counts AS c (user_id, emoji_tasks, zodiac_tasks)
        VALUES (NEW.user_id,
                CASE WHEN NEW.kind = 'emoji' THEN 1 ELSE 0 END,
                CASE WHEN NEW.kind = 'zodiac' THEN 1 ELSE 0 END)
        ON CONFLICT (user_id) DO UPDATE
            SET emoji_tasks = c.emoji_tasks + EXCLUDED.emoji_tasks,
                zodiac_tasks = c.zodiac_tasks + EXCLUDED.zodiac_tasks;
    END IF;
    INSERT INTO user_face_seen (user_id, what, value)
    VALUES (NEW.user_id, 'expression', NEW.expression)
    ON CONFLICT DO NOTHING;
    IF NEW.kind = 'zodiac' AND NEW.animal IS NOT NULL THEN
        INSERT INTO user_face_seen (user_id, what, value)
        VALUES (NEW.user_id, 'animal', NEW.animal)
        ON CONFLICT DO NOTHING;
    END IF;
    INSERT INTO user_face_days (user_id, day)
    VALUES (NEW.user_id, NEW.day)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

-- Streak days were UTC days until now; count them again as product days.
DELETE FROM user_face_days;
INSERT INTO user_face_days (user_id, day)
SELECT DISTINCT user_id, day FROM face_results;

-- A zodiac result is private until its owner publishes it.
ALTER TABLE face_tasks ADD COLUMN visibility TEXT NOT NULL DEFAULT 'private'
    CHECK (visibility IN ('public', 'private'));

-- Display names are unique regardless of case (seed 001 checks the nickname too). Where two
-- accounts already share one, every one but the oldest gets a short suffix from its id.
UPDATE users u SET display_name = left(u.display_name, 40) || ' ' || left(u.id::text, 8)
WHERE EXISTS (
    SELECT 1 FROM users o
    WHERE lower(o.display_name) = lower(u.display_name)
      AND (o.created_at, o.id) < (u.created_at, u.id)
);
CREATE UNIQUE INDEX users_display_name_key ON users (lower(display_name));

-- "Emojis I liked", newest like first, and likes received in a ranking window.
DROP INDEX emoji_likes_user_idx;
CREATE INDEX emoji_likes_user_created_idx ON emoji_likes (user_id, created_at DESC, emoji_id);
CREATE INDEX emoji_likes_created_idx ON emoji_likes (created_at, emoji_id);
