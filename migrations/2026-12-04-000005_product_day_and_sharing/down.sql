DROP INDEX emoji_likes_created_idx;
DROP INDEX emoji_likes_user_created_idx;
CREATE INDEX emoji_likes_user_idx ON emoji_likes (user_id);
DROP INDEX users_display_name_key;
ALTER TABLE face_tasks DROP COLUMN visibility;

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
    VALUES (NEW.user_id, (NEW.created_at AT TIME ZONE 'UTC')::date)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
DELETE FROM user_face_days;
INSERT INTO user_face_days (user_id, day)
SELECT DISTINCT user_id, (created_at AT TIME ZONE 'UTC')::date FROM face_results;
DROP INDEX face_results_day_idx;
DROP INDEX face_results_user_day_idx;
ALTER TABLE face_results DROP COLUMN day;
