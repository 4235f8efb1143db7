-- Issue 12, first part: who follows whom, with exact follower/following counts.

CREATE TABLE follows (
    follower_id  UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    followee_id  UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (follower_id, followee_id),
    CHECK (follower_id <> followee_id)
);
-- Someone's followers and whom someone follows, newest first (keyset pages).
CREATE INDEX follows_followers_idx ON follows (followee_id, created_at DESC, follower_id DESC);
CREATE INDEX follows_following_idx ON follows (follower_id, created_at DESC, followee_id DESC);

CREATE TABLE user_follow_counts (
    user_id    UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    followers  BIGINT NOT NULL DEFAULT 0 CHECK (followers >= 0),
    following  BIGINT NOT NULL DEFAULT 0 CHECK (following >= 0)
);

-- Adds to one person's counts, creating the row on first use; skips a person being deleted
-- (see bump_user_emoji_counts for why the UPDATE comes first).
CREATE FUNCTION bump_user_follow_counts(who UUID, d_followers BIGINT, d_following BIGINT)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_follow_counts
    SET followers = followers + d_followers, following = following + d_following
    WHERE user_id = who AND EXISTS (SELECT 1 FROM users WHERE id = who);
    IF NOT FOUND THEN
        INSERT INTO user_follow_counts AS c (user_id, followers, following)
        SELECT who, d_followers, d_following
        WHERE EXISTS (SELECT 1 FROM users WHERE id = who)
        ON CONFLICT (user_id) DO UPDATE
            SET followers = c.followers + EXCLUDED.followers,
                following = c.following + EXCLUDED.following;
    END IF;
END
$$;

-- Both people's rows change, always in user id order, so A following B while B follows A
-- cannot deadlock. Statement-level: bulk writes touch each row once.
CREATE FUNCTION follows_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d INT := CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END;
BEGIN
    PERFORM bump_user_follow_counts(user_id, d * sum(followers)::bigint, d * sum(following)::bigint)
    FROM (
        SELECT followee_id AS user_id, count(*) AS followers, 0 AS following
        FROM changed GROUP BY followee_id
        UNION ALL
        SELECT follower_id, 0, count(*) FROM changed GROUP BY follower_id
    ) deltas
    GROUP BY user_id ORDER BY user_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER follows_counts_insert AFTER INSERT ON follows
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION follows_counts();
CREATE TRIGGER follows_counts_delete AFTER DELETE ON follows
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION follows_counts();
