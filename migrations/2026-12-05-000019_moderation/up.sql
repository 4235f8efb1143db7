-- Issue 17: reports handled by admins, the audit log of what they did, account suspensions
-- and bans, and content hidden until reviewed.

-- A suspension ends at `suspended_until`; a ban has no end. Tokens of either stop working at
-- once (the api also marks the account in Redis, see moji-auth).
ALTER TABLE users
    ADD COLUMN suspended_until TIMESTAMPTZ,
    ADD COLUMN banned_at       TIMESTAMPTZ;

-- Hidden posts and products leave every feed, list and search (they all read `published`
-- rows only) until an admin reviews them; their author still sees them.
ALTER TABLE posts DROP CONSTRAINT posts_status_check;
ALTER TABLE posts ADD CONSTRAINT posts_status_check
    CHECK (status IN ('pending', 'published', 'failed', 'hidden'));
ALTER TABLE products DROP CONSTRAINT products_status_check;
ALTER TABLE products ADD CONSTRAINT products_status_check
    CHECK (status IN ('pending', 'published', 'failed', 'hidden'));

CREATE TABLE reports (
    id            UUID PRIMARY KEY,
    reporter_id   UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    target_type   TEXT NOT NULL CHECK (target_type IN
                    ('user', 'post', 'comment', 'reply', 'product', 'emoji', 'dataset', 'chat_message')),
    target_id     UUID NOT NULL,
    -- Whose content it is (the reported person for `user`); kept after the content is deleted.
    target_owner  UUID REFERENCES users (id) ON DELETE SET NULL,
    reason        TEXT NOT NULL CHECK (reason IN ('spam', 'abuse', 'sexual', 'illegal', 'copyright', 'other')),
    text          TEXT NOT NULL DEFAULT '' CHECK (length(text) <= 1000),
    status        TEXT NOT NULL DEFAULT 'received'
                    CHECK (status IN ('received', 'in_review', 'resolved', 'dismissed')),
    handled_by    UUID REFERENCES users (id) ON DELETE SET NULL,
    handled_at    TIMESTAMPTZ,
    -- What the admin decided (dismiss, hide, delete, warn, suspend, ban) and why.
    resolution    TEXT,
    note          TEXT CHECK (length(note) <= 1000),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((status IN ('received', 'in_review')) = (handled_at IS NULL))
);
-- One open report per reporter and target.
CREATE UNIQUE INDEX reports_open_once ON reports (reporter_id, target_type, target_id)
    WHERE status IN ('received', 'in_review');
-- The admin queue groups open reports by target; the auto-hide counts them.
CREATE INDEX reports_target_idx ON reports (target_type, target_id, status);
CREATE INDEX reports_created_idx ON reports (created_at DESC, id DESC);
-- "My reports", newest first, and the daily limit.
CREATE INDEX reports_reporter_idx ON reports (reporter_id, created_at DESC, id DESC);

-- Every moderation action: who (NULL for the automatic hide), what, to what, why, when.
CREATE TABLE moderation_actions (
    id            UUID PRIMARY KEY,
    actor_id      UUID REFERENCES users (id) ON DELETE SET NULL,
    action        TEXT NOT NULL CHECK (action IN
                    ('review', 'dismiss', 'hide', 'unhide', 'delete', 'warn', 'suspend', 'ban', 'reinstate', 'auto_hide')),
    target_type   TEXT NOT NULL,
    target_id     UUID NOT NULL,
    -- The person the action is about (the content's owner), for "my warnings".
    subject_id    UUID REFERENCES users (id) ON DELETE SET NULL,
    reason        TEXT NOT NULL DEFAULT '' CHECK (length(reason) <= 1000),
    until         TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX moderation_actions_latest_idx ON moderation_actions (created_at DESC, id DESC);
CREATE INDEX moderation_actions_subject_idx ON moderation_actions (subject_id, created_at DESC)
    WHERE action = 'warn';
