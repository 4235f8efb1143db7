-- Issue 12, third part: comments on posts and replies to them (one level deep), their likes,
-- and the counters shown with them: a post's comments, a comment's replies and likes, and
-- each person's comments. Counters are kept by statement-level triggers in the same
-- transaction as their rows, as for post likes (migration 000009).
--
-- Lock order: parent rows before their children, the post before its comments, people's
-- counters last. Every writer takes row locks in this order, so no two wait on each other in
-- a cycle:
--   1. the post row (FOR NO KEY UPDATE). Writing or deleting a comment takes it first
--      (moji_db::comments::{create, delete}), so the writers of one post's comments queue
--      on it; deleting a post takes it by deleting it, before its cascade reaches comments.
--   2. comment rows: a reply's parent (KEY SHARE, then FOR NO KEY UPDATE for its
--      reply_count) when a reply is written; the deleted comments, then the parents whose
--      reply_count moves, when comments are deleted. Only likes reach comment rows without
--      holding the post, and a like locks exactly one comment row (then updates that same
--      row's like_count) and no other row a comment writer takes, so it can make writers
--      wait but never waits on one: the order among one post's comment rows cannot close a
--      cycle.
--   3. people's comment counters (user_comment_counts), in user id order, last.
-- Within each step the triggers lock rows in id order (SELECT … ORDER BY id FOR NO KEY
-- UPDATE) before updating them, so statements touching several rows cannot interleave.
-- Deleting a top-level comment deletes its replies in the same statement (not through the
-- cascade below, which then finds nothing left), so one trigger call sees them all and takes
-- the people's counters in one ordered pass (two passes could take them out of order).
-- Deleting an account is the one exception: its cascades delete the person's comments before
-- the posts they are on are locked; PostgreSQL's deadlock detector resolves the (rare)
-- collision with a concurrent comment writer by aborting one of the two transactions.

ALTER TABLE posts ADD COLUMN comment_count INT NOT NULL DEFAULT 0 CHECK (comment_count >= 0);

CREATE TABLE comments (
    id            UUID PRIMARY KEY,
    post_id       UUID NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- NULL for a top-level comment; a reply's parent is a top-level comment of the same post.
    parent_id     UUID,
    text          TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 1000),
    like_count    INT NOT NULL DEFAULT 0 CHECK (like_count >= 0),
    -- Replies to this comment (always 0 on a reply: replies have none).
    reply_count   INT NOT NULL DEFAULT 0 CHECK (reply_count >= 0),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Also the index the post's cascade finds all its comments by.
    CONSTRAINT comments_post_id_id_key UNIQUE (post_id, id),
    -- A reply's parent is on the same post (a top-level comment, see comments_one_level).
    CONSTRAINT comments_parent_fkey FOREIGN KEY (post_id, parent_id)
        REFERENCES comments (post_id, id) ON DELETE CASCADE
);
-- A post's conversation, oldest first (top-level comments, then each one's replies).
CREATE INDEX comments_top_idx ON comments (post_id, created_at, id) WHERE parent_id IS NULL;
CREATE INDEX comments_replies_idx ON comments (parent_id, created_at, id) WHERE parent_id IS NOT NULL;
-- Someone's comments, newest first (and the account's cascade).
CREATE INDEX comments_author_idx ON comments (author_id, created_at DESC, id DESC);

CREATE TABLE comment_likes (
    comment_id  UUID NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (comment_id, user_id)
);
-- Who liked a comment, newest like first.
CREATE INDEX comment_likes_latest_idx ON comment_likes (comment_id, created_at DESC, user_id DESC);
-- The account's cascade.
CREATE INDEX comment_likes_user_idx ON comment_likes (user_id);

-- Who liked a post, newest like first (post_likes_user_idx already serves "posts I liked").
CREATE INDEX post_likes_latest_idx ON post_likes (post_id, created_at DESC, user_id DESC);

CREATE TABLE user_comment_counts (
    user_id   UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    comments  BIGINT NOT NULL DEFAULT 0 CHECK (comments >= 0)
);

-- Adds to one person's comment count, creating the row on first use; skips a person being
-- deleted (see bump_user_emoji_counts for why the UPDATE comes first).
CREATE FUNCTION bump_user_comment_counts(who UUID, delta BIGINT)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_comment_counts SET comments = comments + delta
    WHERE user_id = who AND EXISTS (SELECT 1 FROM users WHERE id = who);
    IF NOT FOUND THEN
        INSERT INTO user_comment_counts AS c (user_id, comments)
        SELECT who, delta
        WHERE delta > 0 AND EXISTS (SELECT 1 FROM users WHERE id = who)
        ON CONFLICT (user_id) DO UPDATE SET comments = c.comments + EXCLUDED.comments;
    END IF;
END
$$;

-- Written or deleted comments move their posts' comment_count, their parents' reply_count
-- and their authors' counts, in the lock order above. Rows deleted by the same statement
-- (a post's cascade, a top-level comment deleted with its replies) are no longer visible
-- here and are skipped.
CREATE FUNCTION comments_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d INT := CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END;
BEGIN
    PERFORM 1 FROM posts WHERE id IN (SELECT post_id FROM changed) ORDER BY id FOR NO KEY UPDATE;
    UPDATE posts p SET comment_count = p.comment_count + d * n.n
    FROM (SELECT post_id, count(*) AS n FROM changed GROUP BY post_id) n
    WHERE p.id = n.post_id;

    PERFORM 1 FROM comments
    WHERE id IN (SELECT parent_id FROM changed WHERE parent_id IS NOT NULL)
    ORDER BY id FOR NO KEY UPDATE;
    UPDATE comments c SET reply_count = c.reply_count + d * n.n
    FROM (SELECT parent_id, count(*) AS n FROM changed WHERE parent_id IS NOT NULL
          GROUP BY parent_id) n
    WHERE c.id = n.parent_id;

    PERFORM bump_user_comment_counts(author_id, d * count(*))
    FROM changed GROUP BY author_id ORDER BY author_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER comments_counts_insert AFTER INSERT ON comments
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION comments_counts();
CREATE TRIGGER comments_counts_delete AFTER DELETE ON comments
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION comments_counts();

-- Replies go one level deep: a reply's parent is a top-level comment. A comment's parent_id
-- never changes (comments_stay), so what is top-level now stays so and this check cannot be
-- raced. (Not a foreign key over generated depth columns: with a BEFORE UPDATE trigger on
-- the table, PostgreSQL 15 counts generated key columns as changed by every UPDATE, so a
-- like_count update would need FOR UPDATE and wait on the KEY SHARE locks of foreign key
-- checks — a deadlock between a like and a reply.)
CREATE FUNCTION comments_one_level() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.parent_id IS NOT NULL
       AND EXISTS (SELECT 1 FROM comments WHERE id = NEW.parent_id AND parent_id IS NOT NULL) THEN
        RAISE EXCEPTION 'replies go one level deep: % is a reply', NEW.parent_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER comments_one_level BEFORE INSERT ON comments
    FOR EACH ROW WHEN (NEW.parent_id IS NOT NULL) EXECUTE FUNCTION comments_one_level();

-- The counters count a comment where it was written: it never moves to another post,
-- parent or author.
CREATE FUNCTION comments_stay() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a comment''s post, parent and author never change'
        USING ERRCODE = 'check_violation';
END
$$;
CREATE TRIGGER comments_stay BEFORE UPDATE OF post_id, parent_id, author_id ON comments
    FOR EACH ROW WHEN (NEW.post_id IS DISTINCT FROM OLD.post_id
                       OR NEW.parent_id IS DISTINCT FROM OLD.parent_id
                       OR NEW.author_id IS DISTINCT FROM OLD.author_id)
    EXECUTE FUNCTION comments_stay();

-- A like moves the comment's like_count in the same transaction; the comment's row lock
-- queues likes of one comment.
CREATE FUNCTION comment_likes_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d INT := CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END;
BEGIN
    PERFORM 1 FROM comments WHERE id IN (SELECT comment_id FROM changed) ORDER BY id FOR NO KEY UPDATE;
    UPDATE comments c SET like_count = c.like_count + d * n.n
    FROM (SELECT comment_id, count(*) AS n FROM changed GROUP BY comment_id) n
    WHERE c.id = n.comment_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER comment_likes_counts_insert AFTER INSERT ON comment_likes
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION comment_likes_counts();
CREATE TRIGGER comment_likes_counts_delete AFTER DELETE ON comment_likes
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION comment_likes_counts();
