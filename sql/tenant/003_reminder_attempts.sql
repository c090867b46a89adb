-- A reminder is tried a bounded number of times: a transient send error or a worker that died
-- while it was `sending` puts it back to `pending` until MAX attempts (bots/services.py), then it
-- is `failed` and the owner is told.
ALTER TABLE reminders ADD COLUMN attempts integer NOT NULL DEFAULT 0;
CREATE INDEX reminders_sending ON reminders (claimed_at) WHERE state = 'sending';
