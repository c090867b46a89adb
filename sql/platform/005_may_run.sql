-- One "may run" rule, decided here where an assignment opens, so that no code path can bypass it:
-- a tenant runs only while it is not suspended and its subscription is live (pending = paid and
-- not started yet, active, grace) or an operator granted it a period (`booking-pool activate` for
-- a client without a subscription). Refunds, and orders that ended without running.

-- A period the operator gave a client outside the shop (the seed's manual activation).
CREATE TABLE operator_grants (
    client_id      text PRIMARY KEY CHECK (client_id ~ '^client_[0-9]{3,}$'),
    granted_until  timestamptz NOT NULL,
    granted_at     timestamptz NOT NULL DEFAULT now(),
    granted_by     text NOT NULL DEFAULT current_user,
    note           text
);

-- Tenants that run today without a subscription (activated by the CLI before this rule) keep
-- running for 30 days as an operator grant, instead of being released by the first pass.
INSERT INTO operator_grants (client_id, granted_until, note)
SELECT a.client_id, now() + interval '30 days', 'running without a subscription at migration 005'
  FROM slot_assignments a
 WHERE a.released_at IS NULL
   AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.client_id = a.client_id)
ON CONFLICT (client_id) DO NOTHING;

-- held: paid while the tenant is suspended (activated when the operator resumes it);
-- expired: unpaid for too long, or its subscription ended before it could run;
-- refunded: paid, then refunded in full before it ran.
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('new', 'pending', 'paid',
    'activating', 'queued', 'needs_token', 'active', 'cancelled', 'held', 'expired', 'refunded'));
CREATE INDEX orders_unpaid_idx ON orders (created_at) WHERE status IN ('new', 'pending');

-- Each succeeded refund, recorded once (the primary key makes replays harmless), with the
-- subscription time it took away.
CREATE TABLE refunds (
    refund_id     text PRIMARY KEY,
    payment_id    text NOT NULL REFERENCES payments (payment_id),
    order_id      uuid NOT NULL REFERENCES orders (id),
    amount        numeric(12, 2) NOT NULL CHECK (amount > 0),
    currency      text NOT NULL,
    days_removed  numeric(10, 4) NOT NULL DEFAULT 0,
    recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_payment_idx ON refunds (payment_id);

-- THE RULE, written once: why a tenant may not run now, or NULL when it may:
-- suspended | subscription_ended | no_subscription. A plain expression over its arguments, so
-- PostgreSQL inlines it into the queries below (one pass over 1,000 tenants is one join).
CREATE FUNCTION refusal_of(suspended_at timestamptz, sub_status text, sub_ends_at timestamptz,
                           granted_until timestamptz) RETURNS text
LANGUAGE sql STABLE AS $fn$
    SELECT CASE
        WHEN suspended_at IS NOT NULL THEN 'suspended'
        WHEN sub_status IN ('active', 'grace') THEN NULL
        WHEN sub_status = 'pending' AND (sub_ends_at IS NULL OR sub_ends_at > now()) THEN NULL
        WHEN granted_until > now() THEN NULL
        WHEN sub_status IS NULL AND granted_until IS NULL THEN 'no_subscription'
        ELSE 'subscription_ended'
    END
$fn$;

-- The rule for one client. SECURITY DEFINER: the pool may ask without reading subscriptions.
CREATE FUNCTION run_refusal(p_client_id text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
    SELECT platform.refusal_of(t.suspended_at, s.status, s.ends_at, g.granted_until)
      FROM (SELECT p_client_id AS client_id) c
      LEFT JOIN platform.tenants t ON t.client_id = c.client_id
      LEFT JOIN platform.subscriptions s ON s.client_id = c.client_id
      LEFT JOIN platform.operator_grants g ON g.client_id = c.client_id
$fn$;
REVOKE ALL ON FUNCTION run_refusal(text) FROM PUBLIC;

-- Every open assignment with the rule's verdict: what the reconciliation pass reads.
CREATE VIEW running_refusals AS
SELECT a.slot, a.client_id, a.id AS assignment_id,
       platform.refusal_of(t.suspended_at, s.status, s.ends_at, g.granted_until) AS reason
  FROM platform.slot_assignments a
  JOIN platform.tenants t ON t.client_id = a.client_id
  LEFT JOIN platform.subscriptions s ON s.client_id = a.client_id
  LEFT JOIN platform.operator_grants g ON g.client_id = a.client_id
 WHERE a.released_at IS NULL;

-- The authority: an assignment opens (or reopens) only for a tenant that may run. The rows that
-- decide are locked (FOR SHARE) first, so a suspension or release committed at the same moment
-- waits for this insert or is seen by it. SQLSTATE BP001, the reason in DETAIL.
CREATE FUNCTION check_may_run() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    reason text;
BEGIN
    IF NEW.released_at IS NOT NULL
       OR (TG_OP = 'UPDATE' AND OLD.released_at IS NULL AND OLD.client_id = NEW.client_id) THEN
        RETURN NEW;
    END IF;
    PERFORM 1 FROM platform.tenants WHERE client_id = NEW.client_id FOR SHARE;
    PERFORM 1 FROM platform.subscriptions WHERE client_id = NEW.client_id FOR SHARE;
    PERFORM 1 FROM platform.operator_grants WHERE client_id = NEW.client_id FOR SHARE;
    reason := platform.run_refusal(NEW.client_id);
    IF reason IS NOT NULL THEN
        RAISE EXCEPTION 'tenant % may not run: %', NEW.client_id, reason
            USING ERRCODE = 'BP001', DETAIL = reason;
    END IF;
    RETURN NEW;
END
$fn$;
REVOKE ALL ON FUNCTION check_may_run() FROM PUBLIC;

CREATE TRIGGER slot_assignments_may_run
    BEFORE INSERT OR UPDATE OF released_at, client_id ON slot_assignments
    FOR EACH ROW EXECUTE FUNCTION check_may_run();
