-- Sales: tariffs, orders and their payments, subscriptions, operator alerts.

-- Prices are data: the operator edits rows, not code.
CREATE TABLE tariffs (
    id        serial PRIMARY KEY,
    code      text NOT NULL UNIQUE,
    title     text NOT NULL,
    days      integer NOT NULL CHECK (days > 0),
    price     numeric(12, 2) NOT NULL CHECK (price > 0),
    currency  text NOT NULL DEFAULT 'RUB' CHECK (currency ~ '^[A-Z]{3}$'),
    active    boolean NOT NULL DEFAULT true,
    sort      integer NOT NULL DEFAULT 0
);
INSERT INTO tariffs (code, title, days, price, sort) VALUES
    ('month', '1 месяц', 30, 990.00, 1),
    ('quarter', '3 месяца', 90, 2490.00, 2),
    ('year', '1 год', 365, 8990.00, 3);

-- client_NNN numbers; allocation skips numbers already taken by tenants made elsewhere.
CREATE SEQUENCE client_number_seq START 1;

-- One subscription per tenant. pending (paid, never activated yet) -> active -> grace (ended,
-- bot still running) -> released (slot freed, data archived until archive_until) -> active again
-- on renewal.
CREATE TABLE subscriptions (
    client_id          text PRIMARY KEY CHECK (client_id ~ '^client_[0-9]{3,}$'),
    buyer_telegram_id  bigint NOT NULL,
    status             text NOT NULL CHECK (status IN ('pending', 'active', 'grace', 'released')),
    starts_at          timestamptz,
    ends_at            timestamptz,
    reminded_3d_at     timestamptz,
    reminded_1d_at     timestamptz,
    grace_at           timestamptz,
    released_at        timestamptz,
    archive_until      timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_buyer_idx ON subscriptions (buyer_telegram_id);
CREATE INDEX subscriptions_status_idx ON subscriptions (status, ends_at);

-- An order is one purchase, renewal or token replacement. Its id is the YooKassa
-- Idempotence-Key and metadata.order_id. States:
--   new -> pending (payment created) -> paid -> activating -> active
--                                        paid/activating -> queued (no free slot) -> activating
--                                        activating -> needs_token (token rejected) -> paid
--   new/pending -> cancelled (payment cancelled)
-- A renewal of a running bot goes pending -> active directly.
CREATE TABLE orders (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind                text NOT NULL CHECK (kind IN ('new', 'renewal', 'replace_token')),
    buyer_telegram_id   bigint NOT NULL,
    tariff_id           integer REFERENCES tariffs (id),
    days                integer NOT NULL DEFAULT 0 CHECK (days >= 0),
    amount              numeric(12, 2),
    currency            text,
    client_id           text CHECK (client_id ~ '^client_[0-9]{3,}$'),
    company_name        text CHECK (length(company_name) BETWEEN 1 AND 200),
    admin_telegram_id   bigint CHECK (admin_telegram_id > 0),
    bot_id              bigint,
    bot_username        text,
    token_encrypted     text,
    token_fingerprint   text,
    status              text NOT NULL CHECK (status IN ('new', 'pending', 'paid', 'activating',
                            'queued', 'needs_token', 'active', 'cancelled')),
    payment_id          text UNIQUE,
    confirmation_url    text,
    slot                text,
    attempts            integer NOT NULL DEFAULT 0,
    lease_until         timestamptz,
    last_error          text,
    queued_at           timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    paid_at             timestamptz,
    activated_at        timestamptz,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_status_idx ON orders (status, paid_at);
CREATE INDEX orders_buyer_idx ON orders (buyer_telegram_id, created_at DESC);
CREATE INDEX orders_fingerprint_idx ON orders (token_fingerprint);

-- Each succeeded payment, recorded once (the primary key is what makes replays harmless).
CREATE TABLE payments (
    payment_id    text PRIMARY KEY,
    order_id      uuid NOT NULL REFERENCES orders (id),
    amount        numeric(12, 2) NOT NULL,
    currency      text NOT NULL,
    status        text NOT NULL,
    received_via  text NOT NULL CHECK (received_via IN ('webhook', 'poller', 'check')),
    recorded_at   timestamptz NOT NULL DEFAULT now()
);

-- Things the operator must see (the Master Bot delivers them; until then, the log and this table).
CREATE TABLE alerts (
    id            bigserial PRIMARY KEY,
    kind          text NOT NULL,
    detail        text NOT NULL,
    order_id      uuid,
    created_at    timestamptz NOT NULL DEFAULT now(),
    delivered_at  timestamptz
);
CREATE INDEX alerts_undelivered_idx ON alerts (created_at) WHERE delivered_at IS NULL;
