-- The recommendation service's tables (docs/recommend.md): the embedding of every visible post,
-- product, public emoji and profile (the system of record its in-memory index is built from),
-- and how long people looked at things.

CREATE TABLE item_embeddings (
    id uuid PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('post', 'product', 'emoji', 'profile')),
    owner_id uuid NOT NULL,
    -- 384 floats, unit length (all-MiniLM-L6-v2, mean pooled).
    embedding real[] NOT NULL CHECK (cardinality(embedding) = 384),
    -- Which model wrote it: a new model re-embeds everything.
    model text NOT NULL,
    -- The content's updated_at this embedding is of; an older event never overwrites a newer one.
    source_updated_at timestamptz NOT NULL,
    embedded_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX item_embeddings_kind ON item_embeddings (kind);

-- One row per person and item: total dwell, number of views, last view. Bounded by what a
-- person can open; a deleted account takes its rows with it.
CREATE TABLE item_views (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    item_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('post', 'product', 'emoji', 'profile')),
    dwell_ms bigint NOT NULL CHECK (dwell_ms >= 0),
    views integer NOT NULL CHECK (views > 0),
    last_viewed_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, item_id)
);

CREATE INDEX item_views_recent ON item_views (user_id, last_viewed_at DESC);
CREATE INDEX item_views_item ON item_views (item_id);
