-- Issue 12: search that works for Korean and English. PostgreSQL has no Korean parser, and
-- pg_trgm needs three characters where a Korean word is often two syllables, so each text is
-- indexed as a tsvector of grams (GIN): every Hangul syllable and every pair of adjacent
-- syllables, and every Latin/digit word whole (queried as a prefix). A query of one syllable
-- looks up that syllable; of more, the AND of its adjacent pairs; English words by prefix.

CREATE FUNCTION search_grams(t TEXT) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_to_tsvector(array_agg(DISTINCT g)), ''::tsvector)
    FROM regexp_matches(lower(coalesce(t, '')), '[가-힣]+|[a-z0-9]+', 'g') AS m(run)
    CROSS JOIN LATERAL (
        SELECT left(m.run[1], 64) AS g WHERE m.run[1] !~ '^[가-힣]'
        UNION ALL
        SELECT substr(m.run[1], i, 1) FROM generate_series(1, length(m.run[1])) AS i
        WHERE m.run[1] ~ '^[가-힣]'
        UNION ALL
        SELECT substr(m.run[1], i, 2) FROM generate_series(1, length(m.run[1]) - 1) AS i
        WHERE m.run[1] ~ '^[가-힣]'
    ) grams
$$;

ALTER TABLE posts ADD COLUMN search tsvector NOT NULL DEFAULT ''::tsvector;
ALTER TABLE products ADD COLUMN search tsvector NOT NULL DEFAULT ''::tsvector;
ALTER TABLE users ADD COLUMN search tsvector NOT NULL DEFAULT ''::tsvector;

-- Titles weigh more than bodies (A over D) in the ranking.
CREATE FUNCTION posts_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := setweight(search_grams(NEW.title), 'A')
        || setweight(search_grams(array_to_string(NEW.tags, ' ')), 'B')
        || setweight(search_grams(NEW.body), 'D');
    RETURN NEW;
END
$$;
CREATE TRIGGER posts_search BEFORE INSERT OR UPDATE OF title, body, tags ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_search();

CREATE FUNCTION products_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := setweight(search_grams(NEW.name), 'A')
        || setweight(search_grams(NEW.description), 'D');
    RETURN NEW;
END
$$;
CREATE TRIGGER products_search BEFORE INSERT OR UPDATE OF name, description ON products
    FOR EACH ROW EXECUTE FUNCTION products_search();

CREATE FUNCTION users_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := setweight(search_grams(NEW.username), 'A')
        || setweight(search_grams(NEW.display_name), 'A')
        || setweight(search_grams(NEW.bio), 'D');
    RETURN NEW;
END
$$;
CREATE TRIGGER users_search BEFORE INSERT OR UPDATE OF username, display_name, bio ON users
    FOR EACH ROW EXECUTE FUNCTION users_search();

UPDATE posts SET title = title;
UPDATE products SET name = name;
UPDATE users SET username = username;

CREATE INDEX posts_search_idx ON posts USING gin (search) WHERE status = 'published';
CREATE INDEX products_search_idx ON products USING gin (search) WHERE status = 'published';
CREATE INDEX users_search_idx ON users USING gin (search);
