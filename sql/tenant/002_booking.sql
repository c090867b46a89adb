-- The booking bot: services, staff and their hours, customers' bookings and their reminders.
-- All times are UTC (timestamptz); the salon's time zone is the `timezone` setting.

ALTER TABLE bot_users
    ADD COLUMN full_name       text,
    ADD COLUMN phone           text,
    ADD COLUMN unreachable_at  timestamptz;

CREATE TABLE services (
    id            serial PRIMARY KEY,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    duration_min  integer NOT NULL CHECK (duration_min BETWEEN 5 AND 720),
    price         integer NOT NULL CHECK (price >= 0),
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE staff (
    id          serial PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE staff_services (
    staff_id    integer NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    service_id  integer NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    PRIMARY KEY (staff_id, service_id)
);

-- Weekly hours: several intervals a day make breaks. weekday 0 = Monday. Local wall-clock times.
CREATE TABLE working_hours (
    id        serial PRIMARY KEY,
    staff_id  integer NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    weekday   smallint NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    starts    time NOT NULL,
    ends      time NOT NULL CHECK (ends > starts)
);
CREATE INDEX working_hours_staff ON working_hours (staff_id, weekday);

-- A dated exception replaces the weekly hours of that day: no rows with times = a day off.
CREATE TABLE hour_exceptions (
    id        serial PRIMARY KEY,
    staff_id  integer NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    day       date NOT NULL,
    starts    time,
    ends      time,
    CHECK ((starts IS NULL AND ends IS NULL) OR (starts IS NOT NULL AND ends > starts))
);
CREATE INDEX hour_exceptions_staff ON hour_exceptions (staff_id, day);

CREATE TABLE bookings (
    id              serial PRIMARY KEY,
    request_key     text NOT NULL UNIQUE,          -- one confirmation = one booking (double tap)
    customer_id     bigint NOT NULL REFERENCES bot_users (telegram_id),
    customer_name   text NOT NULL,
    customer_phone  text NOT NULL,
    service_id      integer NOT NULL REFERENCES services (id),
    staff_id        integer NOT NULL REFERENCES staff (id),
    price           integer NOT NULL,
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL,
    blocked_until   timestamptz NOT NULL,          -- ends_at + the buffer in force when booked
    status          text NOT NULL DEFAULT 'booked'
                    CHECK (status IN ('booked', 'confirmed', 'cancelled', 'no_show')),
    cancelled_by    text CHECK (cancelled_by IN ('customer', 'owner')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    during          tstzrange GENERATED ALWAYS AS (tstzrange(starts_at, blocked_until, '[)')) STORED,
    CHECK (ends_at > starts_at AND blocked_until >= ends_at),
    EXCLUDE USING gist (staff_id WITH =, during WITH &&) WHERE (status <> 'cancelled')
);
CREATE INDEX bookings_customer ON bookings (customer_id, starts_at);
CREATE INDEX bookings_starts ON bookings (starts_at);

-- Reminders to send: one row per booking and offset; `sent_at`/`state` make them go out once.
CREATE TABLE reminders (
    id          serial PRIMARY KEY,
    booking_id  integer NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    offset_min  integer NOT NULL,
    due_at      timestamptz NOT NULL,
    state       text NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sending', 'sent', 'skipped', 'failed')),
    claimed_at  timestamptz,
    sent_at     timestamptz,
    UNIQUE (booking_id, offset_min)
);
CREATE INDEX reminders_due ON reminders (due_at) WHERE state = 'pending';
