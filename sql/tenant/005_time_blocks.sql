-- Time a specialist is not bookable although working (a break, a meeting): the slot search
-- treats it like a booking, the calendar shows it. Created by the owner (or, later, the
-- specialist) in /admin.

CREATE TABLE time_blocks (
    id          bigserial PRIMARY KEY,
    staff_id    integer NOT NULL REFERENCES staff (id),
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    note        text NOT NULL DEFAULT '' CHECK (length(note) <= 100),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);

CREATE INDEX time_blocks_staff_time ON time_blocks (staff_id, starts_at);
