-- Issue 12: posts (text and tags; images arrive with the upload pipeline), their likes, tags
-- and per-person post counts. Counters are kept by triggers as for emojis (migration 000006).

CREATE TABLE posts (
    id          UUID PRIMARY KEY,
    author_id   UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    body        TEXT NOT NULL CHECK (length(body) <= 2000),
    tags        TEXT[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 10),
    -- pending until its images are processed; published; failed (with a reason).
    status      TEXT NOT NULL DEFAULT 'published' CHECK (status IN ('pending', 'published', 'failed')),
    like_count  INT NOT NULL DEFAULT 0 CHECK (like_count >= 0),
    view_count  BIGINT NOT NULL DEFAULT 0 CHECK (view_count >= 0),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX posts_latest_idx ON posts (created_at DESC, id DESC) WHERE status = 'published';
CREATE INDEX posts_author_idx ON posts (author_id, created_at DESC, id DESC) WHERE status = 'published';

-- One row per (tag, post): `GET /posts?tag=` walks (tag, created_at, post) like any list.
CREATE TABLE post_tags (
    tag         TEXT NOT NULL,
    post_id     UUID NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tag, post_id)
);
CREATE INDEX post_tags_latest_idx ON post_tags (tag, created_at DESC, post_id DESC);
CREATE INDEX post_tags_post_idx ON post_tags (post_id);

CREATE TABLE post_likes (
    post_id     UUID NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (post_id, user_id)
);
CREATE INDEX post_likes_user_idx ON post_likes (user_id, created_at DESC, post_id DESC);

CREATE TABLE user_post_counts (
    user_id  UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    posts    BIGINT NOT NULL DEFAULT 0 CHECK (posts >= 0)
);

-- Published posts per author (a post counts once it is published, until it is deleted).
CREATE FUNCTION posts_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r RECORD;
BEGIN
    FOR r IN
        SELECT author_id, sum(d)::bigint AS d FROM (
            SELECT NEW.author_id AS author_id, 1 AS d
            WHERE TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'published'
            UNION ALL
            SELECT OLD.author_id, -1
            WHERE TG_OP IN ('DELETE', 'UPDATE') AND OLD.status = 'published'
        ) x GROUP BY author_id HAVING sum(d) <> 0
    LOOP
        UPDATE user_post_counts SET posts = posts + r.d
        WHERE user_id = r.author_id AND EXISTS (SELECT 1 FROM users WHERE id = r.author_id);
        IF NOT FOUND AND r.d > 0 THEN
            INSERT INTO user_post_counts AS c (user_id, posts) VALUES (r.author_id, r.d)
            ON CONFLICT (user_id) DO UPDATE SET posts = c.posts + EXCLUDED.posts;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
CREATE TRIGGER posts_counts AFTER INSERT OR DELETE OR UPDATE OF status ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_counts();

-- A like moves the post's like_count in the same transaction. The post's row lock (taken by
-- this UPDATE) queues likes of one post.
CREATE FUNCTION post_likes_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d INT := CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END;
BEGIN
    UPDATE posts p SET like_count = p.like_count + d * n.n
    FROM (SELECT post_id, count(*) AS n FROM changed GROUP BY post_id ORDER BY post_id) n
    WHERE p.id = n.post_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER post_likes_counts_insert AFTER INSERT ON post_likes
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION post_likes_counts();
CREATE TRIGGER post_likes_counts_delete AFTER DELETE ON post_likes
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION post_likes_counts();
