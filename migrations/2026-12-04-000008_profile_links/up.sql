-- Issue 12: up to two outside links on a profile (http/https only, checked by the api too).
ALTER TABLE users ADD COLUMN links TEXT[] NOT NULL DEFAULT '{}'
    CHECK (cardinality(links) <= 2 AND array_position(links, NULL) IS NULL);
