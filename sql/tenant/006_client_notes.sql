-- The owner's note on a customer (the client card in /admin): one per customer.

CREATE TABLE client_notes (
    customer_id  bigint PRIMARY KEY REFERENCES bot_users (telegram_id),
    note         text NOT NULL CHECK (length(note) <= 1000),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
