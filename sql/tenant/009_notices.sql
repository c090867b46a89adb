-- What the salon's own actions tell customers (a booking it cancelled or moved): queued in the
-- transaction that makes the change, so a worker dying right after the commit loses no notice.
-- The bot sends it at once (bots/outbox.py) and its background round sends what was left;
-- `sending` is committed before the send, as for reminders. Sent and failed rows are deleted
-- after 30 days.

CREATE TABLE notices (
    id          bigserial PRIMARY KEY,
    chat_id     bigint NOT NULL CHECK (chat_id > 0),
    booking_id  integer REFERENCES bookings (id) ON DELETE SET NULL,
    text        text NOT NULL CHECK (length(text) <= 4096),
    state       text NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts    integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL,
    claimed_at  timestamptz,
    done_at     timestamptz
);

CREATE INDEX notices_pending ON notices (created_at) WHERE state = 'pending';
CREATE INDEX notices_sending ON notices (claimed_at) WHERE state = 'sending';
CREATE INDEX notices_booking ON notices (booking_id) WHERE state = 'pending';
CREATE INDEX notices_done ON notices (done_at) WHERE state IN ('sent', 'failed');
