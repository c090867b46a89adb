-- A tenant's own schema (client_NNN). The booking tables arrive with the booking bot; this first
-- migration holds the bot's settings and everyone who has talked to it.

CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;

CREATE TABLE settings (
    key         text PRIMARY KEY,
    value       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE bot_users (
    telegram_id  bigint PRIMARY KEY,
    first_name   text,
    username     text,
    is_admin     boolean NOT NULL DEFAULT false,
    first_seen   timestamptz NOT NULL DEFAULT now(),
    last_seen    timestamptz NOT NULL DEFAULT now()
);
