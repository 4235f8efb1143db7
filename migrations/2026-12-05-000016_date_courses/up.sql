-- Date courses: the task of every accepted request (with the product day whose quota unit it
-- took), the per-person daily quota, and the saved courses (the history; one per succeeded task).

CREATE TABLE course_tasks (
    id               UUID PRIMARY KEY,
    user_id          UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    request          JSONB NOT NULL,
    -- Product day whose quota unit this task took (given back if it fails or is cancelled).
    day              DATE NOT NULL,
    status           TEXT NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    error_code       TEXT,
    error_detail     TEXT,
    idempotency_key  TEXT CHECK (length(idempotency_key) <= 200),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at      TIMESTAMPTZ
);
CREATE UNIQUE INDEX course_tasks_idempotency_key ON course_tasks (user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- Units used per person and product day; taken and given back in the task's transactions.
CREATE TABLE course_quota (
    user_id  UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day      DATE NOT NULL,
    used     INT NOT NULL CHECK (used >= 0),
    PRIMARY KEY (user_id, day)
);

CREATE TABLE date_courses (
    id          UUID PRIMARY KEY REFERENCES course_tasks (id) ON DELETE CASCADE,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    rating      SMALLINT CHECK (rating BETWEEN 1 AND 5),
    provider    TEXT NOT NULL,
    document    JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX date_courses_user_created ON date_courses (user_id, created_at DESC, id DESC);
