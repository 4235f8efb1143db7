-- Issue 12: image uploads (presigned PUT, then processing by the inference worker), images of
-- posts, avatars, and a transactional outbox for messages that must leave with a commit.

-- One uploaded image. `issued` when its upload URL is handed out; `processing` once a post,
-- product or avatar refers to it; then `ready` (display and thumbnail stored) or `failed`.
CREATE TABLE media (
    id               UUID PRIMARY KEY,
    owner_id         UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    source_key       TEXT NOT NULL UNIQUE,
    content_type     TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
    bytes            BIGINT NOT NULL CHECK (bytes > 0),
    status           TEXT NOT NULL DEFAULT 'issued'
                     CHECK (status IN ('issued', 'processing', 'ready', 'failed')),
    -- Set while something refers to the image; NULL for uploads nothing uses (yet, or any more).
    attached_at      TIMESTAMPTZ,
    -- Set when the last reference went: such images are deleted at the next sweep.
    released_at      TIMESTAMPTZ,
    display_key      TEXT,
    thumbnail_key    TEXT,
    width            INT,
    height           INT,
    failure          TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    processed_at     TIMESTAMPTZ,
    CHECK (status <> 'ready' OR (display_key IS NOT NULL AND thumbnail_key IS NOT NULL
                                 AND width > 0 AND height > 0))
);
-- The sweep walks unattached images by age; the upload quota counts a person's.
CREATE INDEX media_unattached_idx ON media (created_at) WHERE attached_at IS NULL;
CREATE INDEX media_owner_unattached_idx ON media (owner_id) WHERE attached_at IS NULL;
CREATE INDEX media_processing_idx ON media (attached_at) WHERE status = 'processing';

ALTER TABLE posts ADD COLUMN failure TEXT;
-- "My posts" shows pending and failed posts too.
CREATE INDEX posts_author_all_idx ON posts (author_id, created_at DESC, id DESC);

CREATE TABLE post_images (
    post_id   UUID NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    position  SMALLINT NOT NULL CHECK (position BETWEEN 0 AND 9),
    media_id  UUID NOT NULL UNIQUE REFERENCES media (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, position)
);

ALTER TABLE users ADD COLUMN avatar_media_id UUID UNIQUE REFERENCES media (id) ON DELETE SET NULL;

-- A reference to an image attaches it; losing it releases the image for the sweep. Shared by
-- every table that refers to media (post_images now, product_images later).
CREATE FUNCTION media_refs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE media m SET attached_at = now(), released_at = NULL
        FROM (SELECT media_id FROM added ORDER BY media_id) a WHERE m.id = a.media_id;
    ELSE
        UPDATE media m SET attached_at = NULL, released_at = now()
        FROM (SELECT media_id FROM removed ORDER BY media_id) r WHERE m.id = r.media_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER post_images_attach AFTER INSERT ON post_images
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION media_refs();
CREATE TRIGGER post_images_release AFTER DELETE ON post_images
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION media_refs();

-- Avatars: the old image is released, the new one attached.
CREATE FUNCTION avatar_refs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.avatar_media_id IS NOT NULL THEN
        UPDATE media SET attached_at = NULL, released_at = now() WHERE id = OLD.avatar_media_id;
    END IF;
    IF NEW.avatar_media_id IS NOT NULL THEN
        UPDATE media SET attached_at = now(), released_at = NULL WHERE id = NEW.avatar_media_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER users_avatar_refs AFTER UPDATE OF avatar_media_id ON users
    FOR EACH ROW WHEN (OLD.avatar_media_id IS DISTINCT FROM NEW.avatar_media_id)
    EXECUTE FUNCTION avatar_refs();

-- Messages written in the same transaction as the change they announce, published by a relay
-- in the api after commit, deleted once the broker confirmed them. A claim (claimed_until)
-- lets several api replicas relay without sending a row twice while it is leased.
CREATE TABLE outbox (
    id             BIGSERIAL PRIMARY KEY,
    exchange       TEXT NOT NULL CHECK (exchange IN ('tasks', 'events')),
    routing_key    TEXT NOT NULL,
    envelope       JSONB NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    claimed_until  TIMESTAMPTZ
);
