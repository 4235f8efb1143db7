-- Issue 17: password reset and e-mail verification by mail. Tokens are single-use and stored
-- only as SHA-256 hashes; mails wait in an outbox the api's sender delivers over SMTP.

ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMPTZ;

CREATE TABLE account_tokens (
    id          UUID PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('password_reset', 'email_verify')),
    -- SHA-256 of the token the mail carried; the token itself is never stored.
    token_hash  BYTEA NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    -- The address the token was sent to (verification proves this one).
    email       TEXT NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX account_tokens_user_idx ON account_tokens (user_id, purpose) WHERE used_at IS NULL;

CREATE TABLE mail_outbox (
    id               BIGSERIAL PRIMARY KEY,
    to_address       TEXT NOT NULL CHECK (length(to_address) <= 254),
    subject          TEXT NOT NULL,
    body             TEXT NOT NULL,
    attempts         INT NOT NULL DEFAULT 0,
    -- Not before this time (a failed attempt pushes it back); a sender's claim moves it too.
    next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error       TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at);

-- Sign-in with an OpenID Connect provider: who the provider says someone is (issuer + subject)
-- and which account that is.
CREATE TABLE oidc_identities (
    issuer      TEXT NOT NULL,
    subject     TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The address the provider vouched for when the link was made.
    email       TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX oidc_identities_user_idx ON oidc_identities (user_id);
