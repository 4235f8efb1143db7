-- The face pipeline: tasks (durable record of every upload), per-face results (feed rankings
-- and statistics), saved/shared emojis with likes, and awarded challenges.

CREATE TABLE face_tasks (
    id               UUID PRIMARY KEY,
    user_id          UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL CHECK (kind IN ('emoji', 'zodiac')),
    -- Emoji template id; NULL for zodiac tasks.
    template         TEXT,
    image_key        TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    result           JSONB,
    error_code       TEXT,
    error_detail     TEXT,
    -- Client's Idempotency-Key: the same key from the same user names the same task.
    idempotency_key  TEXT CHECK (length(idempotency_key) <= 200),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at      TIMESTAMPTZ
);
CREATE UNIQUE INDEX face_tasks_idempotency_key ON face_tasks (user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX face_tasks_user_created_idx ON face_tasks (user_id, created_at DESC);

-- One row per face of a succeeded task, written with the result in one transaction.
CREATE TABLE face_results (
    task_id     UUID NOT NULL REFERENCES face_tasks (id) ON DELETE CASCADE,
    face_index  INT NOT NULL CHECK (face_index >= 0),
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('emoji', 'zodiac')),
    template    TEXT,
    expression  TEXT NOT NULL,
    confidence  REAL NOT NULL,
    -- Zodiac animal id; NULL for emoji tasks.
    animal      TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (task_id, face_index)
);
CREATE INDEX face_results_created_idx ON face_results (created_at);
CREATE INDEX face_results_user_created_idx ON face_results (user_id, created_at);

-- A result a user saved (privately) or shared to the public gallery.
CREATE TABLE emojis (
    id             UUID PRIMARY KEY,
    task_id        UUID NOT NULL UNIQUE REFERENCES face_tasks (id) ON DELETE CASCADE,
    user_id        UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    caption        TEXT NOT NULL DEFAULT '' CHECK (length(caption) <= 200),
    visibility     TEXT NOT NULL CHECK (visibility IN ('public', 'private')),
    template       TEXT NOT NULL,
    -- Expression of the most confident face: what the gallery shows as the emoji's mood.
    expression     TEXT NOT NULL,
    image_key      TEXT NOT NULL,
    thumbnail_key  TEXT NOT NULL,
    like_count     INT NOT NULL DEFAULT 0 CHECK (like_count >= 0),
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX emojis_public_new_idx ON emojis (created_at DESC, id DESC) WHERE visibility = 'public';
CREATE INDEX emojis_public_popular_idx ON emojis (like_count DESC, created_at DESC, id DESC)
    WHERE visibility = 'public';
CREATE INDEX emojis_user_idx ON emojis (user_id, created_at DESC);

CREATE TABLE emoji_likes (
    emoji_id    UUID NOT NULL REFERENCES emojis (id) ON DELETE CASCADE,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (emoji_id, user_id)
);

CREATE TABLE user_challenges (
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    challenge   TEXT NOT NULL,
    awarded_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, challenge)
);
