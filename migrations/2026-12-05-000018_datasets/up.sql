-- The dataset maker (issue 16): a set of images made from one upload. The row is the task's
-- durable record and, once ready, the set itself (its zip, preview and what it holds).
-- The generate message goes through the outbox in the transaction that inserts the row, so
-- a set is either accepted and queued, or not accepted at all.

CREATE TABLE datasets (
    id               UUID PRIMARY KEY,
    user_id          UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title            TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    description      TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    category         TEXT NOT NULL,
    tags             TEXT[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 10),
    method           TEXT NOT NULL CHECK (method IN ('augment', 'gan')),
    size             INT NOT NULL CHECK (size IN (64, 128, 256)),
    quantity         INT NOT NULL CHECK (quantity BETWEEN 1 AND 2000),
    seed             BIGINT NOT NULL,
    -- The uploaded image (kept: the set can be made again from it and the seed).
    source_key       TEXT NOT NULL,
    -- Product day whose image quota the set took (given back if it fails or is cancelled).
    day              DATE NOT NULL,
    status           TEXT NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'running', 'ready', 'failed', 'cancelled')),
    zip_key          TEXT,
    zip_bytes        BIGINT,
    preview_key      TEXT,
    -- What the worker reported (images, seconds).
    result           JSONB,
    -- Listed for sale at this price in KRW when set (ready sets only).
    price_krw        BIGINT CHECK (price_krw BETWEEN 100 AND 10000000),
    downloads        BIGINT NOT NULL DEFAULT 0,
    error_code       TEXT,
    error_detail     TEXT,
    idempotency_key  TEXT CHECK (length(idempotency_key) <= 200),
    search           tsvector NOT NULL DEFAULT ''::tsvector,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at      TIMESTAMPTZ
);
CREATE UNIQUE INDEX datasets_idempotency_key ON datasets (user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- My datasets, newest first.
CREATE INDEX datasets_user_created ON datasets (user_id, created_at DESC, id DESC);
-- Search walks ready sets along the chosen order.
CREATE INDEX datasets_ready_new ON datasets (created_at DESC, id DESC) WHERE status = 'ready';
CREATE INDEX datasets_ready_popular ON datasets (downloads DESC, created_at DESC, id DESC)
    WHERE status = 'ready';
CREATE INDEX datasets_ready_price ON datasets (price_krw, id)
    WHERE status = 'ready' AND price_krw IS NOT NULL;
CREATE INDEX datasets_search ON datasets USING GIN (search);
CREATE INDEX datasets_tags ON datasets USING GIN (tags);

CREATE FUNCTION datasets_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := setweight(search_grams(NEW.title), 'A')
        || setweight(search_grams(array_to_string(NEW.tags, ' ')), 'B')
        || setweight(search_grams(NEW.description), 'D');
    RETURN NEW;
END
$$;
CREATE TRIGGER datasets_search BEFORE INSERT OR UPDATE OF title, description, tags ON datasets
    FOR EACH ROW EXECUTE FUNCTION datasets_search();

-- Images asked for per person and product day; taken and given back in the set's
-- transactions, so the count is exact under concurrent requests.
CREATE TABLE dataset_quota (
    user_id  UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day      DATE NOT NULL,
    images   INT NOT NULL CHECK (images >= 0),
    PRIMARY KEY (user_id, day)
);

-- The market: an order is prepared by the server with the amount it computed (the set's
-- price), paid at a payment provider, and granted only after the server asked the provider
-- what was really paid and the amounts match. A paid order is the buyer's right to download.
CREATE TABLE dataset_orders (
    id           UUID PRIMARY KEY,
    dataset_id   UUID NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    buyer_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    amount_krw   BIGINT NOT NULL CHECK (amount_krw > 0),
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'failed')),
    provider     TEXT NOT NULL,
    -- The provider's id of the payment that settled the order.
    payment_id   TEXT UNIQUE,
    failure      TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    paid_at      TIMESTAMPTZ
);
CREATE INDEX dataset_orders_buyer ON dataset_orders (buyer_id, created_at DESC);
-- One paid order per buyer and set.
CREATE UNIQUE INDEX dataset_orders_paid ON dataset_orders (dataset_id, buyer_id) WHERE status = 'paid';

-- The development payment provider's own ledger (what a real PG keeps on its side): what was
-- paid, for which order. Only the `local` provider uses it.
CREATE TABLE local_payments (
    id          TEXT PRIMARY KEY,
    order_id    UUID NOT NULL,
    amount_krw  BIGINT NOT NULL CHECK (amount_krw >= 0),
    status      TEXT NOT NULL CHECK (status IN ('paid', 'cancelled')),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
