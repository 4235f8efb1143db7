-- Accounts and login sessions.
-- A "session family" is one login: every refresh token minted by rotating that login's
-- tokens belongs to it, so reuse of a rotated-out token can revoke the whole family.

CREATE TABLE users (
    id             UUID PRIMARY KEY,
    -- Stored lower-case; the pattern is enforced here as well as in the API.
    username       TEXT NOT NULL CHECK (username ~ '^[a-z0-9_]{3,30}$'),
    -- Stored lower-case so uniqueness is case-insensitive.
    email          TEXT NOT NULL CHECK (email = lower(email) AND length(email) <= 254),
    display_name   TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 50),
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    bio            TEXT NOT NULL DEFAULT '' CHECK (length(bio) <= 500),
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_key ON users (username);
CREATE UNIQUE INDEX users_email_key ON users (email);

CREATE TABLE session_families (
    id              UUID PRIMARY KEY,
    user_id         UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at      TIMESTAMPTZ,
    -- logout | reuse | password_change | account_deleted
    revoked_reason  TEXT
);
CREATE INDEX session_families_user_idx ON session_families (user_id) WHERE revoked_at IS NULL;

CREATE TABLE refresh_tokens (
    -- The token's `jti`; the token itself is never stored.
    id           UUID PRIMARY KEY,
    family_id    UUID NOT NULL REFERENCES session_families (id) ON DELETE CASCADE,
    issued_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ NOT NULL,
    -- Set when the token is rotated; presenting it again afterwards is reuse.
    used_at      TIMESTAMPTZ
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
