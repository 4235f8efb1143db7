-- What the challenges are measured from, kept per user as results are stored, so awarding a
-- challenge after each result costs a few index lookups instead of a scan over every result the
-- user ever had (2 ms of PostgreSQL at 500 results, growing without bound).
--
-- Facts only ever grow: challenges are awarded once and never taken back, so a later deletion
-- of a task does not undo them (deleting the account removes everything).

-- Succeeded tasks per kind.
CREATE TABLE user_face_counts (
    user_id       UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    emoji_tasks   BIGINT NOT NULL DEFAULT 0 CHECK (emoji_tasks >= 0),
    zodiac_tasks  BIGINT NOT NULL DEFAULT 0 CHECK (zodiac_tasks >= 0)
);

-- Every animal met and every expression shown.
CREATE TABLE user_face_seen (
    user_id  UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    what     TEXT NOT NULL CHECK (what IN ('animal', 'expression')),
    value    TEXT NOT NULL,
    PRIMARY KEY (user_id, what, value)
);

-- Every UTC day with at least one result (the streak challenge); one row per active day.
CREATE TABLE user_face_days (
    user_id  UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day      DATE NOT NULL,
    PRIMARY KEY (user_id, day)
);

-- A trigger rather than application code: every writer of face_results (the api's consumer,
-- maintenance scripts, tests that backdate results) keeps the facts right.
CREATE FUNCTION record_face_result_facts() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER face_results_facts AFTER INSERT ON face_results
    FOR EACH ROW EXECUTE FUNCTION record_face_result_facts();

-- Results stored before this migration.
INSERT INTO user_face_counts (user_id, emoji_tasks, zodiac_tasks)
SELECT user_id,
       COUNT(DISTINCT task_id) FILTER (WHERE kind = 'emoji'),
       COUNT(DISTINCT task_id) FILTER (WHERE kind = 'zodiac')
FROM face_results GROUP BY user_id;
INSERT INTO user_face_seen (user_id, what, value)
SELECT DISTINCT user_id, 'expression', expression FROM face_results
UNION
SELECT DISTINCT user_id, 'animal', animal FROM face_results
WHERE kind = 'zodiac' AND animal IS NOT NULL;
INSERT INTO user_face_days (user_id, day)
SELECT DISTINCT user_id, (created_at AT TIME ZONE 'UTC')::date FROM face_results;
