-- Issue 18: every list costs the same at any size and depth. Totals are counters kept by
-- triggers in the same transaction as the rows they count (never a COUNT per request), the
-- rankings read small per-day aggregates, and every page walks an index from a keyset.
--
-- Triggers rather than application code, as for the challenge facts: every writer (the api,
-- account deletion cascades, maintenance scripts, the benchmark's seeding) keeps them exact.

-- ---------------------------------------------------------------------------------------
-- Emoji totals

-- The public gallery's size (one row).
CREATE TABLE gallery_totals (
    singleton      BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
    public_emojis  BIGINT NOT NULL DEFAULT 0 CHECK (public_emojis >= 0)
);
INSERT INTO gallery_totals (public_emojis)
SELECT count(*) FROM emojis WHERE visibility = 'public';

-- Per person: emojis saved, of which public, and emojis liked that they may still see
-- (public ones and their own).
CREATE TABLE user_emoji_counts (
    user_id  UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    saved    BIGINT NOT NULL DEFAULT 0 CHECK (saved >= 0),
    public   BIGINT NOT NULL DEFAULT 0 CHECK (public >= 0),
    liked    BIGINT NOT NULL DEFAULT 0 CHECK (liked >= 0)
);
INSERT INTO user_emoji_counts (user_id, saved, public, liked)
SELECT u.id,
       (SELECT count(*) FROM emojis e WHERE e.user_id = u.id),
       (SELECT count(*) FROM emojis e WHERE e.user_id = u.id AND e.visibility = 'public'),
       (SELECT count(*) FROM emoji_likes l JOIN emojis e ON e.id = l.emoji_id
        WHERE l.user_id = u.id AND (e.visibility = 'public' OR e.user_id = u.id))
FROM users u;

-- Adds the deltas to one person's emoji counts, creating their row on first use (not for a
-- person being deleted). The UPDATE comes first: CHECK constraints apply to the row an
-- upsert proposes, so a negative delta cannot go through INSERT … ON CONFLICT. A person
-- being deleted is skipped: their row goes with them, and updating it first would trip its
-- foreign key.
CREATE FUNCTION bump_user_emoji_counts(who UUID, d_saved BIGINT, d_public BIGINT, d_liked BIGINT)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_emoji_counts
    SET saved = saved + d_saved, public = public + d_public, liked = liked + d_liked
    WHERE user_id = who AND EXISTS (SELECT 1 FROM users WHERE id = who);
    IF NOT FOUND THEN
        INSERT INTO user_emoji_counts AS c (user_id, saved, public, liked)
        SELECT who, d_saved, d_public, d_liked
        WHERE EXISTS (SELECT 1 FROM users WHERE id = who)
        ON CONFLICT (user_id) DO UPDATE
            SET saved = c.saved + EXCLUDED.saved,
                public = c.public + EXCLUDED.public,
                liked = c.liked + EXCLUDED.liked;
    END IF;
END
$$;

-- ---------------------------------------------------------------------------------------
-- Popular by period: likes each public emoji received since the window started, for the
-- `week` and `month` windows of product days. A like always counts in the current window
-- when it is made; the window's start moves once a product day (the api calls
-- `roll_ranking_window`), recomputed from `emoji_likes` at that moment — a cost of the
-- window's likes, once a day, not of the table, per request.

CREATE TABLE ranking_windows (
    period     TEXT PRIMARY KEY CHECK (period IN ('week', 'month')),
    -- 'infinity' until the api first rolls the window: nothing counts before that.
    starts_at  TIMESTAMPTZ NOT NULL,
    -- Public emojis with at least one like in the window (the ranking's total).
    emojis     BIGINT NOT NULL DEFAULT 0 CHECK (emojis >= 0)
);
INSERT INTO ranking_windows (period, starts_at) VALUES ('week', 'infinity'), ('month', 'infinity');

-- Only public emojis with likes > 0 have a row. No foreign key to emojis on purpose: its
-- KEY SHARE checks would make a window roll wait on an emoji whose deletion waits on the
-- roll (a deadlock); the delete trigger removes an emoji's rows itself.
CREATE TABLE emoji_window_likes (
    period    TEXT NOT NULL REFERENCES ranking_windows (period),
    emoji_id  UUID NOT NULL,
    -- 0 only inside the statement that removes the row.
    likes     BIGINT NOT NULL CHECK (likes >= 0),
    PRIMARY KEY (period, emoji_id)
);
CREATE INDEX emoji_window_likes_rank_idx ON emoji_window_likes (period, likes DESC, emoji_id DESC);
CREATE INDEX emoji_window_likes_emoji_idx ON emoji_window_likes (emoji_id);

-- Moves the ranking totals of `periods` by `delta`, always in period order: every writer of
-- ranking_windows rows takes them in that order, so two writers cannot wait on each other.
CREATE FUNCTION bump_ranking_windows(periods TEXT[], delta BIGINT)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    p TEXT;
BEGIN
    FOR p IN SELECT unnest(periods) ORDER BY 1 LOOP
        UPDATE ranking_windows SET emojis = emojis + delta WHERE period = p;
    END LOOP;
END
$$;

-- Moves `which` window to start at `new_start` and recounts it from `emoji_likes`; a no-op
-- when it already starts there (another replica rolled it first). Returns true if it rolled.
CREATE FUNCTION roll_ranking_window(which TEXT, new_start TIMESTAMPTZ)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    ranked BIGINT;
BEGIN
    PERFORM 1 FROM ranking_windows WHERE period = which AND starts_at = new_start;
    IF FOUND THEN
        RETURN false;
    END IF;
    LOCK TABLE emoji_window_likes IN EXCLUSIVE MODE;
    PERFORM 1 FROM ranking_windows WHERE period = which AND starts_at = new_start;
    IF FOUND THEN
        RETURN false;
    END IF;
    DELETE FROM emoji_window_likes WHERE period = which;
    INSERT INTO emoji_window_likes (period, emoji_id, likes)
    SELECT which, l.emoji_id, count(*)
    FROM emoji_likes l JOIN emojis e ON e.id = l.emoji_id AND e.visibility = 'public'
    WHERE l.created_at >= new_start
    GROUP BY l.emoji_id;
    GET DIAGNOSTICS ranked = ROW_COUNT;
    UPDATE ranking_windows SET starts_at = new_start, emojis = ranked WHERE period = which;
    RETURN true;
END
$$;

-- ---------------------------------------------------------------------------------------
-- Triggers on emojis and emoji_likes

-- Statement-level with the inserted rows as a table: a bulk insert (the benchmark seeds a
-- million) updates each counter once, not once per row.
CREATE FUNCTION emojis_counts_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE gallery_totals
    SET public_emojis = public_emojis + (SELECT count(*) FROM inserted WHERE visibility = 'public');
    PERFORM bump_user_emoji_counts(user_id, count(*), count(*) FILTER (WHERE visibility = 'public'), 0)
    FROM inserted GROUP BY user_id ORDER BY user_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER emojis_counts_insert AFTER INSERT ON emojis
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION emojis_counts_on_insert();

-- BEFORE DELETE: the likes are still there to tell whose liked counts drop (the cascade
-- that removes them runs after the row is gone, when `emoji_likes_counts` can no longer
-- see the emoji and leaves the counts alone).
-- Lock order, the same in every trigger here: the emoji's row, gallery_totals, the people's
-- counts, then the ranking windows (emoji_window_likes, then ranking_windows).
CREATE FUNCTION emojis_counts_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    periods TEXT[];
BEGIN
    IF OLD.visibility = 'public' THEN
        UPDATE gallery_totals SET public_emojis = public_emojis - 1;
    END IF;
    UPDATE user_emoji_counts SET saved = saved - 1,
        public = public - CASE WHEN OLD.visibility = 'public' THEN 1 ELSE 0 END
    WHERE user_id = OLD.user_id AND EXISTS (SELECT 1 FROM users WHERE id = OLD.user_id);
    IF OLD.visibility = 'public' THEN
        UPDATE user_emoji_counts c SET liked = c.liked - 1
        FROM emoji_likes l JOIN users u ON u.id = l.user_id
        WHERE l.emoji_id = OLD.id AND c.user_id = l.user_id;
        LOCK TABLE emoji_window_likes IN ROW EXCLUSIVE MODE;
        WITH gone AS (DELETE FROM emoji_window_likes WHERE emoji_id = OLD.id RETURNING period)
        SELECT array_agg(period) INTO periods FROM gone;
        PERFORM bump_ranking_windows(periods, -1);
    ELSE
        UPDATE user_emoji_counts c SET liked = c.liked - 1
        WHERE c.user_id = OLD.user_id
          AND EXISTS (SELECT 1 FROM emoji_likes l WHERE l.emoji_id = OLD.id AND l.user_id = OLD.user_id)
          AND EXISTS (SELECT 1 FROM users WHERE id = OLD.user_id);
    END IF;
    RETURN OLD;
END
$$;
CREATE TRIGGER emojis_counts_delete BEFORE DELETE ON emojis
    FOR EACH ROW EXECUTE FUNCTION emojis_counts_on_delete();

-- Publishing or unpublishing moves the emoji in or out of every total that shows it.
CREATE FUNCTION emojis_counts_on_visibility() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d BIGINT := CASE WHEN NEW.visibility = 'public' THEN 1 ELSE -1 END;
    periods TEXT[];
BEGIN
    UPDATE gallery_totals SET public_emojis = public_emojis + d;
    UPDATE user_emoji_counts SET public = public + d WHERE user_id = NEW.user_id;
    -- Other people's likes become visible to them again, or stop being.
    UPDATE user_emoji_counts c SET liked = c.liked + d
    FROM emoji_likes l
    WHERE l.emoji_id = NEW.id AND l.user_id <> NEW.user_id AND c.user_id = l.user_id;
    LOCK TABLE emoji_window_likes IN ROW EXCLUSIVE MODE;
    IF d < 0 THEN
        WITH gone AS (DELETE FROM emoji_window_likes WHERE emoji_id = NEW.id RETURNING period)
        SELECT array_agg(period) INTO periods FROM gone;
        PERFORM bump_ranking_windows(periods, -1);
    ELSE
        WITH back AS (
            INSERT INTO emoji_window_likes (period, emoji_id, likes)
            SELECT r.period, NEW.id, count(*)
            FROM ranking_windows r JOIN emoji_likes l
              ON l.emoji_id = NEW.id AND l.created_at >= r.starts_at
            GROUP BY r.period
            RETURNING period
        )
        SELECT array_agg(period) INTO periods FROM back;
        PERFORM bump_ranking_windows(periods, 1);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER emojis_counts_visibility AFTER UPDATE OF visibility ON emojis
    FOR EACH ROW WHEN (OLD.visibility IS DISTINCT FROM NEW.visibility)
    EXECUTE FUNCTION emojis_counts_on_visibility();

-- Likes move the emoji's like_count, the liker's liked count (when they may see it) and the
-- ranking windows (public emojis). Likes of an emoji being deleted are skipped: it is no
-- longer visible here and its BEFORE DELETE trigger has already settled the counts.
-- Statement-level, grouped, so bulk writes and account deletion touch each counter once.
CREATE FUNCTION emoji_likes_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d INT := CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END;
    w RECORD;
    moved BIGINT;
BEGIN
    UPDATE emojis e SET like_count = e.like_count + d * n.n
    FROM (SELECT emoji_id, count(*) AS n FROM changed GROUP BY emoji_id) n
    WHERE e.id = n.emoji_id;
    PERFORM bump_user_emoji_counts(c.user_id, 0, 0, d * count(*))
    FROM changed c JOIN emojis e ON e.id = c.emoji_id
    WHERE e.visibility = 'public' OR e.user_id = c.user_id
    GROUP BY c.user_id ORDER BY c.user_id;
    -- Conflicts with `roll_ranking_window`'s EXCLUSIVE lock: a roll sees every committed
    -- like, and no writer counts against a window start the roll is replacing.
    LOCK TABLE emoji_window_likes IN ROW EXCLUSIVE MODE;
    FOR w IN SELECT period, starts_at FROM ranking_windows ORDER BY period LOOP
        IF d > 0 THEN
            WITH n AS (
                SELECT c.emoji_id, count(*) AS likes
                FROM changed c JOIN emojis e ON e.id = c.emoji_id AND e.visibility = 'public'
                WHERE c.created_at >= w.starts_at
                GROUP BY c.emoji_id
            ), up AS (
                INSERT INTO emoji_window_likes AS x (period, emoji_id, likes)
                SELECT w.period, emoji_id, likes FROM n ORDER BY emoji_id
                ON CONFLICT (period, emoji_id) DO UPDATE SET likes = x.likes + EXCLUDED.likes
                RETURNING (x.xmax = 0) AS fresh
            )
            SELECT count(*) FILTER (WHERE fresh) INTO moved FROM up;
        ELSE
            UPDATE emoji_window_likes x SET likes = x.likes - n.likes
            FROM (
                SELECT c.emoji_id, count(*) AS likes
                FROM changed c JOIN emojis e ON e.id = c.emoji_id AND e.visibility = 'public'
                WHERE c.created_at >= w.starts_at
                GROUP BY c.emoji_id
            ) n
            WHERE x.period = w.period AND x.emoji_id = n.emoji_id;
            DELETE FROM emoji_window_likes
            WHERE period = w.period AND likes = 0 AND emoji_id IN (SELECT emoji_id FROM changed);
            GET DIAGNOSTICS moved = ROW_COUNT;
            moved := -moved;
        END IF;
        IF moved <> 0 THEN
            UPDATE ranking_windows SET emojis = emojis + moved WHERE period = w.period;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
CREATE TRIGGER emoji_likes_counts_insert AFTER INSERT ON emoji_likes
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION emoji_likes_counts();
CREATE TRIGGER emoji_likes_counts_delete AFTER DELETE ON emoji_likes
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION emoji_likes_counts();

-- A like's time only changes by hand (maintenance, tests arranging the past); it moves the
-- like in or out of the windows as if it had been made then.
CREATE FUNCTION emoji_likes_moved() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    w RECORD;
    fresh BOOLEAN;
BEGIN
    PERFORM 1 FROM emojis WHERE id = NEW.emoji_id AND visibility = 'public';
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    LOCK TABLE emoji_window_likes IN ROW EXCLUSIVE MODE;
    FOR w IN SELECT period, starts_at FROM ranking_windows ORDER BY period LOOP
        IF NEW.created_at >= w.starts_at AND NOT OLD.created_at >= w.starts_at THEN
            INSERT INTO emoji_window_likes AS x (period, emoji_id, likes)
            VALUES (w.period, NEW.emoji_id, 1)
            ON CONFLICT (period, emoji_id) DO UPDATE SET likes = x.likes + 1
            RETURNING (x.xmax = 0) INTO fresh;
            IF fresh THEN
                UPDATE ranking_windows SET emojis = emojis + 1 WHERE period = w.period;
            END IF;
        ELSIF OLD.created_at >= w.starts_at AND NOT NEW.created_at >= w.starts_at THEN
            UPDATE emoji_window_likes SET likes = likes - 1
            WHERE period = w.period AND emoji_id = NEW.emoji_id;
            DELETE FROM emoji_window_likes
            WHERE period = w.period AND emoji_id = NEW.emoji_id AND likes = 0;
            IF FOUND THEN
                UPDATE ranking_windows SET emojis = emojis - 1 WHERE period = w.period;
            END IF;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
CREATE TRIGGER emoji_likes_moved AFTER UPDATE OF created_at ON emoji_likes
    FOR EACH ROW WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION emoji_likes_moved();

-- like_count was kept by the api until now; recount it once so the trigger starts exact.
UPDATE emojis e SET like_count = sub.n
FROM (SELECT emoji_id, count(*) AS n FROM emoji_likes GROUP BY emoji_id) sub
WHERE sub.emoji_id = e.id AND e.like_count <> sub.n;

-- ---------------------------------------------------------------------------------------
-- Rankings of faces and animals: per product day and all time, kept by the result trigger.

CREATE TABLE face_usage_days (
    day         DATE NOT NULL,
    template    TEXT NOT NULL,
    expression  TEXT NOT NULL,
    faces       BIGINT NOT NULL CHECK (faces >= 0),
    PRIMARY KEY (day, template, expression)
);
CREATE TABLE face_usage_totals (
    template    TEXT NOT NULL,
    expression  TEXT NOT NULL,
    faces       BIGINT NOT NULL CHECK (faces >= 0),
    PRIMARY KEY (template, expression)
);
CREATE TABLE animal_days (
    day      DATE NOT NULL,
    animal   TEXT NOT NULL,
    results  BIGINT NOT NULL CHECK (results >= 0),
    PRIMARY KEY (day, animal)
);
CREATE TABLE animal_totals (
    animal   TEXT PRIMARY KEY,
    results  BIGINT NOT NULL CHECK (results >= 0)
);

INSERT INTO face_usage_days (day, template, expression, faces)
SELECT day, template, expression, count(*) FROM face_results
WHERE kind = 'emoji' AND template IS NOT NULL GROUP BY day, template, expression;
INSERT INTO face_usage_totals (template, expression, faces)
SELECT template, expression, sum(faces) FROM face_usage_days GROUP BY template, expression;
INSERT INTO animal_days (day, animal, results)
SELECT day, animal, count(*) FROM face_results
WHERE kind = 'zodiac' AND animal IS NOT NULL GROUP BY day, animal;
INSERT INTO animal_totals (animal, results)
SELECT animal, sum(results) FROM animal_days GROUP BY animal;

-- Statement-level, grouped: one upsert per (day, template, expression) a statement touches.
CREATE FUNCTION record_face_result_rankings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO face_usage_days AS x (day, template, expression, faces)
    SELECT day, template, expression, count(*) FROM inserted
    WHERE kind = 'emoji' AND template IS NOT NULL
    GROUP BY day, template, expression ORDER BY day, template, expression
    ON CONFLICT (day, template, expression) DO UPDATE SET faces = x.faces + EXCLUDED.faces;
    INSERT INTO face_usage_totals AS x (template, expression, faces)
    SELECT template, expression, count(*) FROM inserted
    WHERE kind = 'emoji' AND template IS NOT NULL
    GROUP BY template, expression ORDER BY template, expression
    ON CONFLICT (template, expression) DO UPDATE SET faces = x.faces + EXCLUDED.faces;
    INSERT INTO animal_days AS x (day, animal, results)
    SELECT day, animal, count(*) FROM inserted
    WHERE kind = 'zodiac' AND animal IS NOT NULL
    GROUP BY day, animal ORDER BY day, animal
    ON CONFLICT (day, animal) DO UPDATE SET results = x.results + EXCLUDED.results;
    INSERT INTO animal_totals AS x (animal, results)
    SELECT animal, count(*) FROM inserted
    WHERE kind = 'zodiac' AND animal IS NOT NULL
    GROUP BY animal ORDER BY animal
    ON CONFLICT (animal) DO UPDATE SET results = x.results + EXCLUDED.results;
    RETURN NULL;
END
$$;
CREATE TRIGGER face_results_rankings AFTER INSERT ON face_results
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION record_face_result_rankings();

-- ---------------------------------------------------------------------------------------
-- Indexes for keyset pages: every list is walked from its cursor along one of these.

-- Someone's emojis (all, or public only), newest first.
DROP INDEX emojis_user_idx;
CREATE INDEX emojis_user_new_idx ON emojis (user_id, created_at DESC, id DESC);
CREATE INDEX emojis_user_public_new_idx ON emojis (user_id, created_at DESC, id DESC)
    WHERE visibility = 'public';
-- Emojis I liked, newest like first (both keys descending for the keyset comparison).
DROP INDEX emoji_likes_user_created_idx;
CREATE INDEX emoji_likes_user_created_idx ON emoji_likes (user_id, created_at DESC, emoji_id DESC);
-- My results, of one kind or both.
DROP INDEX face_tasks_user_emoji_done_idx;
CREATE INDEX face_tasks_user_kind_done_idx ON face_tasks (user_id, kind, created_at DESC, id DESC)
    WHERE status = 'succeeded';
CREATE INDEX face_tasks_user_done_idx ON face_tasks (user_id, created_at DESC, id DESC)
    WHERE status = 'succeeded';
