-- Specialists in the bot: the owner invites a specialist by a one-time deep link; accepting it
-- binds the specialist to a Telegram user, who then sees their own day and week, blocks their
-- own time and gets notices of their bookings. Revoking (or deleting the specialist) unbinds.

ALTER TABLE staff
    ADD COLUMN telegram_id bigint UNIQUE,  -- NULL: not connected to the bot
    ADD COLUMN connected_at timestamptz;

-- Only the SHA-256 of an invite's token is kept: the link itself is never stored.
CREATE TABLE staff_invites (
    token_hash  text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    staff_id    integer NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    used_by     bigint
);

-- One open (unused) invite per specialist: a new one replaces it.
CREATE UNIQUE INDEX staff_invites_open ON staff_invites (staff_id) WHERE used_at IS NULL;
