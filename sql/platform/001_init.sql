-- The platform's source of truth: tenants, their bots, slot assignments, activation history.

CREATE TABLE tenants (
    client_id          text PRIMARY KEY CHECK (client_id ~ '^client_[0-9]{3,}$'),
    company_name       text NOT NULL CHECK (length(company_name) BETWEEN 1 AND 200),
    admin_telegram_id  bigint NOT NULL CHECK (admin_telegram_id > 0),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- One bot per tenant. The token is encrypted (Fernet); the fingerprint is a keyed hash used to
-- find a token without decrypting every row.
CREATE TABLE tenant_bots (
    client_id          text PRIMARY KEY REFERENCES tenants (client_id) ON DELETE CASCADE,
    bot_id             bigint NOT NULL,
    bot_username       text,
    token_encrypted    text NOT NULL,
    token_fingerprint  text NOT NULL,
    verified_at        timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenant_bots_fingerprint_idx ON tenant_bots (token_fingerprint);

-- Which slot runs which tenant. An open assignment (released_at IS NULL) is what a restarted
-- worker comes back from; at most one open assignment per slot and per tenant.
CREATE TABLE slot_assignments (
    id              bigserial PRIMARY KEY,
    slot            text NOT NULL CHECK (slot ~ '^booking-bot-pool-[1-9][0-9]*$'),
    client_id       text NOT NULL REFERENCES tenants (client_id),
    activation_id   text,
    assigned_at     timestamptz NOT NULL DEFAULT now(),
    released_at     timestamptz,
    release_reason  text
);
CREATE UNIQUE INDEX slot_assignments_open_slot ON slot_assignments (slot) WHERE released_at IS NULL;
CREATE UNIQUE INDEX slot_assignments_open_client ON slot_assignments (client_id) WHERE released_at IS NULL;
CREATE INDEX slot_assignments_client_idx ON slot_assignments (client_id, assigned_at DESC);

-- Everything that happened to a slot: activated, resumed, rejected, failed, released.
CREATE TABLE activation_history (
    id             bigserial PRIMARY KEY,
    slot           text NOT NULL,
    client_id      text,
    activation_id  text,
    event          text NOT NULL CHECK (event IN ('activated', 'resumed', 'rejected', 'failed', 'released')),
    detail         text,
    duration_ms    integer,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activation_history_created_idx ON activation_history (created_at DESC);
CREATE INDEX activation_history_client_idx ON activation_history (client_id, created_at DESC);
