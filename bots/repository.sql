-- Named queries of bots/repository.py, in the tenant's own schema: `{schema}` is replaced by the
-- validated, quoted `client_NNN` (core.db.tenant_queries). aiosql operators: see core/db.py.

-- users and customers -------------------------------------------------------------------------

-- name: touch-user!
INSERT INTO {schema}.bot_users (telegram_id, first_name, username, is_admin)
VALUES (:telegram_id, :first_name, :username, :is_admin)
ON CONFLICT (telegram_id) DO UPDATE
   SET first_name = EXCLUDED.first_name, username = EXCLUDED.username,
       is_admin = EXCLUDED.is_admin, last_seen = now(), unreachable_at = NULL;

-- name: customer^
SELECT telegram_id, full_name, phone, unreachable_at IS NOT NULL AS unreachable
  FROM {schema}.bot_users WHERE telegram_id = :telegram_id;

-- name: save-contact!
INSERT INTO {schema}.bot_users (telegram_id, full_name, phone)
VALUES (:telegram_id, :full_name, :phone)
ON CONFLICT (telegram_id) DO UPDATE SET full_name = :full_name, phone = :phone;

-- name: client-by-phone$
-- Whom the owner books by phone: the Telegram customer who shared this phone (seen last), else
-- the salon's walk-in entry for it (sql/tenant/007), made now or renamed to the name given.
WITH known AS (
    SELECT telegram_id FROM {schema}.bot_users
     WHERE phone = :phone AND telegram_id > 0
     ORDER BY last_seen DESC LIMIT 1
), walk_in AS (
    INSERT INTO {schema}.bot_users (telegram_id, full_name, phone)
    SELECT nextval('{schema}.walk_in_ids'), :full_name, :phone
     WHERE NOT EXISTS (SELECT 1 FROM known)
    ON CONFLICT (phone) WHERE telegram_id < 0 DO UPDATE SET full_name = EXCLUDED.full_name
    RETURNING telegram_id
)
SELECT telegram_id FROM known UNION ALL SELECT telegram_id FROM walk_in;

-- name: walk-in-of-phone$
SELECT telegram_id FROM {schema}.bot_users WHERE phone = :phone AND telegram_id < 0 FOR UPDATE;

-- name: hand-over-bookings!
UPDATE {schema}.bookings SET customer_id = :to_id, updated_at = now()
 WHERE customer_id = :from_id;

-- name: hand-over-note!
-- The walk-in's note joins the customer's own (if both have one, the customer's comes first).
INSERT INTO {schema}.client_notes (customer_id, note)
SELECT :to_id, note FROM {schema}.client_notes WHERE customer_id = :from_id
ON CONFLICT (customer_id) DO UPDATE
   SET note = left({schema}.client_notes.note || E'\n' || EXCLUDED.note, 1000),
       updated_at = now();

-- name: forget-walk-in!
WITH note AS (DELETE FROM {schema}.client_notes WHERE customer_id = :walk_in_id)
DELETE FROM {schema}.bot_users WHERE telegram_id = :walk_in_id AND telegram_id < 0;

-- name: mark-unreachable!
UPDATE {schema}.bot_users SET unreachable_at = coalesce(unreachable_at, now())
 WHERE telegram_id = :telegram_id;

-- name: user-exists$
SELECT EXISTS (SELECT 1 FROM {schema}.bot_users WHERE telegram_id = :telegram_id);

-- settings ------------------------------------------------------------------------------------

-- name: settings
SELECT key, value FROM {schema}.settings;

-- name: set-setting!
INSERT INTO {schema}.settings (key, value) VALUES (:key, :value::jsonb)
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now();

-- name: delete-setting!
DELETE FROM {schema}.settings WHERE key = :key;

-- name: set-setting-once!
INSERT INTO {schema}.settings (key, value) VALUES (:key, :value::jsonb)
ON CONFLICT (key) DO NOTHING;

-- services and staff --------------------------------------------------------------------------

-- name: services
SELECT id, name, duration_min, price FROM {schema}.services WHERE active ORDER BY name, id;

-- name: bookable-services
-- Active services that an active specialist does and has hours (weekly or a one-off day) for.
SELECT id, name, duration_min, price FROM {schema}.services sv
 WHERE sv.active
   AND EXISTS (SELECT 1 FROM {schema}.staff_services ss
                 JOIN {schema}.staff st ON st.id = ss.staff_id AND st.active
                WHERE ss.service_id = sv.id
                  AND (EXISTS (SELECT 1 FROM {schema}.working_hours w WHERE w.staff_id = st.id)
                       OR EXISTS (SELECT 1 FROM {schema}.hour_exceptions e
                                   WHERE e.staff_id = st.id AND e.starts IS NOT NULL)))
 ORDER BY name, id;

-- name: service^
SELECT id, name, duration_min, price FROM {schema}.services WHERE id = :service_id AND active;

-- name: add-service<!
INSERT INTO {schema}.services (name, duration_min, price)
VALUES (:name, :duration_min, :price) RETURNING id;

-- name: update-service!
UPDATE {schema}.services SET name = :name, duration_min = :duration_min, price = :price
 WHERE id = :service_id AND active;

-- name: lock-service$
-- Deleting a service: waits for bookings of it being made (they hold share-service).
SELECT id FROM {schema}.services WHERE id = :service_id AND active FOR UPDATE;

-- name: share-service$
-- A booking being made or moved: the service stays bookable until it commits.
SELECT id FROM {schema}.services WHERE id = :service_id AND active FOR KEY SHARE;

-- name: deactivate-service!
UPDATE {schema}.services SET active = false WHERE id = :service_id AND active;

-- name: staff
SELECT id, name FROM {schema}.staff WHERE active ORDER BY name, id;

-- name: staff-for-service
SELECT st.id, st.name FROM {schema}.staff st
  JOIN {schema}.staff_services ss ON ss.staff_id = st.id
 WHERE st.active AND ss.service_id = :service_id ORDER BY st.name, st.id;

-- name: staff-member^
SELECT id, name FROM {schema}.staff WHERE id = :staff_id AND active;

-- name: lock-staff-schedule$
-- A change of the specialist's hours or blocked time: waits for bookings of theirs being made
-- (they hold share-staff-schedule) and makes new ones wait until it commits.
SELECT id FROM {schema}.staff WHERE id = :staff_id AND active FOR UPDATE;

-- name: share-staff-schedule$
-- A booking being made or moved for the specialist: their hours and blocked time stay as they
-- are until it commits (see lock-staff-schedule); other bookings do not wait for it.
SELECT id FROM {schema}.staff WHERE id = :staff_id AND active FOR KEY SHARE;

-- name: add-staff<!
INSERT INTO {schema}.staff (name) VALUES (:name) RETURNING id;

-- name: deactivate-staff!
-- A deleted specialist loses access to the bot too (sql/tenant/008_staff_access.sql).
UPDATE {schema}.staff SET active = false, telegram_id = NULL, connected_at = NULL
 WHERE id = :staff_id AND active;

-- name: staff-service-ids
SELECT service_id FROM {schema}.staff_services WHERE staff_id = :staff_id;

-- name: remove-staff-service!
DELETE FROM {schema}.staff_services WHERE staff_id = :staff_id AND service_id = :service_id;

-- name: add-staff-service!
INSERT INTO {schema}.staff_services (staff_id, service_id) VALUES (:staff_id, :service_id);

-- hours ---------------------------------------------------------------------------------------

-- name: hours
SELECT staff_id, weekday, starts, ends FROM {schema}.working_hours
 WHERE staff_id = ANY(:staff_ids::int[]) ORDER BY staff_id, weekday, starts;

-- name: delete-hours!
DELETE FROM {schema}.working_hours WHERE staff_id = :staff_id;

-- name: insert-hours*!
INSERT INTO {schema}.working_hours (staff_id, weekday, starts, ends)
VALUES (:staff_id, :weekday, :starts, :ends);

-- name: exceptions
SELECT id, staff_id, day, starts, ends FROM {schema}.hour_exceptions
 WHERE staff_id = ANY(:staff_ids::int[]) AND day BETWEEN :first AND :last
 ORDER BY day, starts NULLS FIRST;

-- name: delete-exception-day!
DELETE FROM {schema}.hour_exceptions WHERE staff_id = :staff_id AND day = :day;

-- name: insert-exceptions*!
-- NULL starts and ends: a day off.
INSERT INTO {schema}.hour_exceptions (staff_id, day, starts, ends)
VALUES (:staff_id, :day, :starts, :ends);

-- bookings ------------------------------------------------------------------------------------

-- name: busy
-- Booked and blocked ranges; `ignore` = a booking being moved, which does not block itself.
SELECT staff_id, starts_at, blocked_until FROM {schema}.bookings
 WHERE staff_id = ANY(:staff_ids::int[]) AND status <> :cancelled
   AND starts_at < :end_at AND blocked_until > :start_at AND id <> :ignore
UNION ALL
SELECT staff_id, starts_at, ends_at FROM {schema}.time_blocks
 WHERE staff_id = ANY(:staff_ids::int[]) AND starts_at < :end_at AND ends_at > :start_at;

-- name: blocks
-- Blocked ranges of these specialists overlapping [start_at, end_at), in time order.
SELECT id, staff_id, starts_at, ends_at, note FROM {schema}.time_blocks
 WHERE staff_id = ANY(:staff_ids::int[]) AND starts_at < :end_at AND ends_at > :start_at
 ORDER BY starts_at;

-- name: insert-block$
INSERT INTO {schema}.time_blocks (staff_id, starts_at, ends_at, note)
VALUES (:staff_id, :starts_at, :ends_at, :note)
RETURNING id;

-- name: delete-block!
DELETE FROM {schema}.time_blocks WHERE id = :block_id AND staff_id = :staff_id;

-- name: insert-booking<!
-- NULL when a booking with this request key exists already (a double tap).
INSERT INTO {schema}.bookings
       (request_key, customer_id, customer_name, customer_phone, service_id, staff_id,
        price, starts_at, ends_at, blocked_until)
VALUES (:request_key, :customer_id, :customer_name, :customer_phone, :service_id, :staff_id,
        :price, :starts_at, :ends_at, :blocked_until)
ON CONFLICT (request_key) DO NOTHING
RETURNING id;

-- name: booking^
-- The columns of a BookingRow (bots/repository.py) come from the view booking_rows
-- (sql/tenant/004_booking_rows.sql), the same in each booking query below.
SELECT * FROM {schema}.booking_rows WHERE id = :booking_id;

-- name: lock-booking$
-- Lock a booking before reading it again (a view's row cannot be locked alone): the read after
-- it, a new statement, sees what a concurrent change committed while this one waited.
SELECT id FROM {schema}.bookings WHERE id = :booking_id FOR UPDATE;

-- name: booking-by-key^
SELECT * FROM {schema}.booking_rows WHERE request_key = :request_key;

-- name: customer-upcoming
SELECT * FROM {schema}.booking_rows
 WHERE customer_id = :customer_id AND status = ANY(:active::text[]) AND ends_at > :now
 ORDER BY starts_at
 LIMIT 20;

-- name: bookings-between
SELECT * FROM {schema}.booking_rows
 WHERE starts_at >= :start_at AND starts_at < :end_at
   AND (:include_cancelled OR status <> :cancelled)
 ORDER BY starts_at, staff_name;

-- name: set-status!
UPDATE {schema}.bookings SET status = :status, cancelled_by = :cancelled_by, updated_at = now()
 WHERE id = :booking_id;

-- name: move-booking!
UPDATE {schema}.bookings
   SET starts_at = :starts_at, ends_at = :ends_at, blocked_until = :blocked_until,
       status = :status, updated_at = now()
 WHERE id = :booking_id;

-- name: set-booking-staff!
-- Another specialist takes a booking at its very time; its reminders stay as they are. The
-- exclusion constraint refuses it (23P01) when that specialist is booked then.
UPDATE {schema}.bookings SET staff_id = :staff_id, updated_at = now() WHERE id = :booking_id;

-- reminders -----------------------------------------------------------------------------------

-- name: delete-reminders!
DELETE FROM {schema}.reminders WHERE booking_id = :booking_id AND state = :state;

-- name: upsert-reminders*!
INSERT INTO {schema}.reminders (booking_id, offset_min, due_at, state)
VALUES (:booking_id, :offset_min, :due_at, :state)
ON CONFLICT (booking_id, offset_min)
DO UPDATE SET due_at = EXCLUDED.due_at, state = EXCLUDED.state, claimed_at = NULL, sent_at = NULL;

-- name: move-reminders!
UPDATE {schema}.reminders SET state = :to_state WHERE booking_id = :booking_id AND state = :from_state;

-- name: claim-due-reminders
-- Mark due reminders `sending` and return them. `r.state = 'pending'` stays a literal, as in the
-- partial index reminders_due: a prepared statement's generic plan cannot use that index for a
-- parameter.
WITH due AS (
    SELECT r.id FROM {schema}.reminders r
      JOIN {schema}.bookings b ON b.id = r.booking_id
     WHERE r.state = 'pending' AND r.due_at <= :now
       AND b.status = ANY(:active::text[]) AND b.starts_at > :now
       AND b.customer_id > 0  -- a walk-in's wait: they may share their phone before the visit
     ORDER BY r.due_at LIMIT :limit
       FOR UPDATE OF r SKIP LOCKED
)
UPDATE {schema}.reminders r SET state = :sending, claimed_at = :now
  FROM due WHERE r.id = due.id
RETURNING r.id, r.offset_min, r.booking_id;

-- name: retry-reminders
-- `state = 'sending'` stays a literal, as in the partial index reminders_sending.
UPDATE {schema}.reminders
   SET attempts = attempts + 1, claimed_at = NULL,
       state = CASE WHEN attempts + 1 >= :max_attempts THEN :failed ELSE :pending END
 WHERE state = 'sending'
   AND (id = ANY(:ids::int[]) OR (:stuck_before::timestamptz IS NOT NULL AND claimed_at < :stuck_before))
RETURNING booking_id, state;

-- name: expire-reminders!
-- `r.state = 'pending'` stays a literal, as in the partial index reminders_due.
UPDATE {schema}.reminders r SET state = :skipped FROM {schema}.bookings b
 WHERE b.id = r.booking_id AND r.state = 'pending'
   AND (b.starts_at <= :now OR b.status <> ALL(:active::text[]));

-- name: finish-reminder!
UPDATE {schema}.reminders SET state = :state, sent_at = :sent_at WHERE id = :reminder_id;

-- clients (the owner's client card) ----------------------------------------------------------

-- name: clients
-- Everyone who booked, with the name and phone of their latest booking; recent first. (Matching
-- a typed piece of a name is done in Python: lower() of Cyrillic depends on the locale.)
SELECT customer_id, (array_agg(customer_name ORDER BY starts_at DESC))[1] AS name,
       (array_agg(customer_phone ORDER BY starts_at DESC))[1] AS phone
  FROM {schema}.bookings
 GROUP BY customer_id
 ORDER BY max(starts_at) DESC;

-- name: client-card^
-- One customer's history: visits that happened, bookings ahead, cancellations, no-shows.
SELECT b.customer_id, (array_agg(b.customer_name ORDER BY b.starts_at DESC))[1] AS name,
       (array_agg(b.customer_phone ORDER BY b.starts_at DESC))[1] AS phone,
       count(*) FILTER (WHERE b.status = ANY(:standing::text[]) AND b.ends_at <= :now) AS visits,
       count(*) FILTER (WHERE b.status = ANY(:standing::text[]) AND b.ends_at > :now) AS ahead,
       count(*) FILTER (WHERE b.status = :cancelled AND b.cancelled_by = :by_customer)
           AS cancelled_by_customer,
       count(*) FILTER (WHERE b.status = :cancelled AND b.cancelled_by = :by_owner)
           AS cancelled_by_salon,
       count(*) FILTER (WHERE b.status = :no_show) AS no_shows,
       max(b.starts_at) FILTER (WHERE b.status = ANY(:standing::text[]) AND b.ends_at <= :now)
           AS last_visit,
       coalesce(sum(b.price) FILTER (WHERE b.status = ANY(:standing::text[])
                                      AND b.ends_at <= :now), 0) AS spent,
       (SELECT n.note FROM {schema}.client_notes n WHERE n.customer_id = b.customer_id) AS note
  FROM {schema}.bookings b
 WHERE b.customer_id = :customer_id
 GROUP BY b.customer_id;

-- name: set-client-note!
INSERT INTO {schema}.client_notes (customer_id, note) VALUES (:customer_id, :note)
ON CONFLICT (customer_id) DO UPDATE SET note = excluded.note, updated_at = now();

-- specialists in the bot (invites, access) ---------------------------------------------------

-- name: staff-by-telegram^
SELECT id, name FROM {schema}.staff WHERE telegram_id = :telegram_id AND active;

-- name: staff-access^
SELECT id AS staff_id, telegram_id, connected_at FROM {schema}.staff
 WHERE id = :staff_id AND active;

-- name: drop-open-invites!
DELETE FROM {schema}.staff_invites WHERE staff_id = :staff_id AND used_at IS NULL;

-- name: insert-invite!
INSERT INTO {schema}.staff_invites (token_hash, staff_id, expires_at)
VALUES (:token_hash, :staff_id, :expires_at);

-- name: lock-invite^
-- Locked until the transaction ends: two presses of one link bind at most one person.
SELECT staff_id, expires_at, used_at FROM {schema}.staff_invites
 WHERE token_hash = :token_hash FOR UPDATE;

-- name: use-invite!
UPDATE {schema}.staff_invites SET used_at = :now, used_by = :telegram_id
 WHERE token_hash = :token_hash;

-- name: was-staff$
-- This Telegram user accepted an invite once (bound now or not).
SELECT EXISTS (SELECT 1 FROM {schema}.staff_invites WHERE used_by = :telegram_id);

-- name: bind-staff!
UPDATE {schema}.staff SET telegram_id = :telegram_id, connected_at = :now
 WHERE id = :staff_id AND active;

-- name: unbind-staff$
-- The Telegram user who had access (NULL: nobody had).
UPDATE {schema}.staff s SET telegram_id = NULL, connected_at = NULL
  FROM (SELECT id, telegram_id FROM {schema}.staff WHERE id = :staff_id FOR UPDATE) old
 WHERE s.id = old.id AND old.telegram_id IS NOT NULL
RETURNING old.telegram_id;

-- notices (sql/tenant/009_notices.sql) ----------------------------------------------------

-- name: enqueue-notice!
INSERT INTO {schema}.notices (chat_id, booking_id, text, created_at)
VALUES (:chat_id, :booking_id, :text, :now);

-- name: claim-notices
-- Mark pending notices `sending` and return them: those of one booking (sent right after the
-- change), or those queued before :before (left by a worker that died). `state = 'pending'`
-- stays a literal, as in the partial index notices_pending.
WITH due AS (
    SELECT id FROM {schema}.notices
     WHERE state = 'pending' AND created_at <= :before
       AND (:booking_id::int IS NULL OR booking_id = :booking_id)
     ORDER BY id LIMIT :limit
       FOR UPDATE SKIP LOCKED
)
UPDATE {schema}.notices n SET state = :sending, claimed_at = :now, attempts = attempts + 1
  FROM due WHERE n.id = due.id
RETURNING n.id, n.chat_id, n.booking_id, n.text;

-- name: finish-notice!
UPDATE {schema}.notices SET state = :state, done_at = :now WHERE id = :notice_id;

-- name: retry-notices
-- Back to pending (a transient error, or left `sending` by a worker that died), or `failed`
-- after :max_attempts. `state = 'sending'` stays a literal, as in the partial index.
UPDATE {schema}.notices
   SET claimed_at = NULL,
       state = CASE WHEN attempts >= :max_attempts THEN :failed ELSE :pending END,
       done_at = CASE WHEN attempts >= :max_attempts THEN :now::timestamptz END
 WHERE state = 'sending'
   AND (id = ANY(:ids::bigint[]) OR (:stuck_before::timestamptz IS NOT NULL AND claimed_at < :stuck_before))
RETURNING id, state;

-- name: purge-notices!
-- `state IN ('sent', 'failed')` stays literal, as in the partial index notices_done.
DELETE FROM {schema}.notices WHERE state IN ('sent', 'failed') AND done_at < :before;
