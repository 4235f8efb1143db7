-- Issue 12: products of the market (name, KRW price, outside link, description, images).
-- Like posts, a product with images is pending until they are processed.

CREATE TABLE products (
    id           UUID PRIMARY KEY,
    seller_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    price        BIGINT NOT NULL CHECK (price BETWEEN 0 AND 1000000000000),
    link         TEXT CHECK (link IS NULL OR (length(link) <= 2000 AND link ~ '^https?://')),
    description  TEXT NOT NULL CHECK (length(description) <= 2000),
    status       TEXT NOT NULL DEFAULT 'published' CHECK (status IN ('pending', 'published', 'failed')),
    failure      TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Newest first, a seller's newest, by price either way; all over published products only.
CREATE INDEX products_latest_idx ON products (created_at DESC, id DESC) WHERE status = 'published';
CREATE INDEX products_seller_idx ON products (seller_id, created_at DESC, id DESC) WHERE status = 'published';
CREATE INDEX products_price_idx ON products (price, id) WHERE status = 'published';
CREATE INDEX products_seller_all_idx ON products (seller_id, created_at DESC, id DESC);

CREATE TABLE product_images (
    product_id  UUID NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position    SMALLINT NOT NULL CHECK (position BETWEEN 0 AND 9),
    media_id    UUID NOT NULL UNIQUE REFERENCES media (id) ON DELETE CASCADE,
    PRIMARY KEY (product_id, position)
);
-- An image belongs to one post or one product.
CREATE TRIGGER product_images_attach AFTER INSERT ON product_images
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION media_refs();
CREATE TRIGGER product_images_release AFTER DELETE ON product_images
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION media_refs();

CREATE TABLE user_product_counts (
    user_id   UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    products  BIGINT NOT NULL DEFAULT 0 CHECK (products >= 0)
);

-- Published products per seller, kept like user_post_counts.
CREATE FUNCTION products_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d BIGINT := 0;
    who UUID;
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'published' THEN d := d + 1; who := NEW.seller_id; END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.status = 'published' THEN d := d - 1; who := OLD.seller_id; END IF;
    IF d = 0 THEN RETURN NULL; END IF;
    UPDATE user_product_counts SET products = products + d
    WHERE user_id = who AND EXISTS (SELECT 1 FROM users WHERE id = who);
    IF NOT FOUND AND d > 0 THEN
        INSERT INTO user_product_counts AS c (user_id, products) VALUES (who, d)
        ON CONFLICT (user_id) DO UPDATE SET products = c.products + EXCLUDED.products;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER products_counts AFTER INSERT OR DELETE OR UPDATE OF status ON products
    FOR EACH ROW EXECUTE FUNCTION products_counts();
