-- Named queries of sales/repository.py (schema `platform`). aiosql operators: see core/db.py.
-- Queries that return an Order or a Subscription select `*`: core.db.row_to takes the
-- dataclass's fields by name and leaves the other columns (lease_until, updated_at).

-- tariffs -------------------------------------------------------------------------------------

-- name: list-tariffs
SELECT id, code, title, days, price, currency FROM platform.tariffs
 WHERE active ORDER BY sort, days;

-- name: get-tariff^
SELECT id, code, title, days, price, currency FROM platform.tariffs
 WHERE id = :tariff_id AND active;

-- orders --------------------------------------------------------------------------------------

-- name: insert-order^
INSERT INTO platform.orders
       (kind, buyer_telegram_id, status, tariff_id, days, amount, currency, client_id,
        company_name, admin_telegram_id, bot_id, bot_username, token_encrypted,
        token_fingerprint, paid_at)
VALUES (:kind, :buyer_telegram_id, :status, :tariff_id, :days, :amount, :currency, :client_id,
        :company_name, :admin_telegram_id, :bot_id, :bot_username, :token_encrypted,
        :token_fingerprint, :paid_at)
RETURNING *;

-- name: get-order^
SELECT * FROM platform.orders WHERE id = :order_id;

-- name: get-order-for-update^
SELECT * FROM platform.orders WHERE id = :order_id FOR UPDATE;

-- name: order-by-payment^
SELECT * FROM platform.orders WHERE payment_id = :payment_id;

-- name: order-by-payment-for-update^
SELECT * FROM platform.orders WHERE payment_id = :payment_id FOR UPDATE;

-- name: update-order^
-- Sets the columns named in `given` (each to its parameter, NULL included); the others stay.
UPDATE platform.orders
   SET status = CASE WHEN 'status' = ANY(:given::text[]) THEN :status ELSE status END,
       days = CASE WHEN 'days' = ANY(:given::text[]) THEN :days ELSE days END,
       payment_id = CASE WHEN 'payment_id' = ANY(:given::text[])
                         THEN :payment_id ELSE payment_id END,
       confirmation_url = CASE WHEN 'confirmation_url' = ANY(:given::text[])
                               THEN :confirmation_url ELSE confirmation_url END,
       client_id = CASE WHEN 'client_id' = ANY(:given::text[]) THEN :client_id ELSE client_id END,
       slot = CASE WHEN 'slot' = ANY(:given::text[]) THEN :slot ELSE slot END,
       attempts = CASE WHEN 'attempts' = ANY(:given::text[]) THEN :attempts ELSE attempts END,
       lease_until = CASE WHEN 'lease_until' = ANY(:given::text[])
                          THEN :lease_until ELSE lease_until END,
       last_error = CASE WHEN 'last_error' = ANY(:given::text[])
                         THEN :last_error ELSE last_error END,
       queued_at = CASE WHEN 'queued_at' = ANY(:given::text[]) THEN :queued_at ELSE queued_at END,
       paid_at = CASE WHEN 'paid_at' = ANY(:given::text[]) THEN :paid_at ELSE paid_at END,
       activated_at = CASE WHEN 'activated_at' = ANY(:given::text[])
                           THEN :activated_at ELSE activated_at END,
       token_encrypted = CASE WHEN 'token_encrypted' = ANY(:given::text[])
                              THEN :token_encrypted ELSE token_encrypted END,
       token_fingerprint = CASE WHEN 'token_fingerprint' = ANY(:given::text[])
                                THEN :token_fingerprint ELSE token_fingerprint END,
       bot_id = CASE WHEN 'bot_id' = ANY(:given::text[]) THEN :bot_id ELSE bot_id END,
       bot_username = CASE WHEN 'bot_username' = ANY(:given::text[])
                           THEN :bot_username ELSE bot_username END,
       updated_at = now()
 WHERE id = :order_id
RETURNING *;

-- name: set-payment-created$
-- Remember the payment of an order still waiting for one; NULL if it moved on.
UPDATE platform.orders SET status = :pending, payment_id = :payment_id,
       confirmation_url = :confirmation_url, updated_at = now()
 WHERE id = :order_id AND status = ANY(:unpaid::text[])
RETURNING true;

-- name: set-new-token$
-- A replacement token for an order whose activation failed; it goes back to `paid`.
UPDATE platform.orders
   SET token_encrypted = :token_encrypted, token_fingerprint = :fingerprint, bot_id = :bot_id,
       bot_username = :username, status = :paid, attempts = 0, last_error = NULL,
       updated_at = now()
 WHERE id = :order_id AND status = :needs_token
RETURNING true;

-- name: claim-order^
-- Take a paid/queued order (or one whose activation lease ran out) for activation: the
-- UPDATE's row lock and status check let only one caller win.
UPDATE platform.orders
   SET status = :activating, lease_until = now() + make_interval(secs => :lease_seconds),
       updated_at = now()
 WHERE id = :order_id
   AND (status = ANY(:to_activate::text[]) OR (status = :activating AND lease_until < now()))
RETURNING *;

-- name: orders-to-fulfil
SELECT id, status FROM platform.orders
 WHERE status = ANY(:to_activate::text[])
    OR (status = :activating AND lease_until < now())
 ORDER BY paid_at NULLS LAST, created_at
 LIMIT :limit;

-- name: pending-payments
-- `status IN ('new', 'pending')`: UNPAID_ORDERS as literals, as in the partial index
-- orders_unpaid_idx (a prepared statement's generic plan cannot use it for a parameter).
SELECT * FROM platform.orders
 WHERE status IN ('new', 'pending')
   AND created_at > now() - make_interval(hours => :max_age_hours)
 ORDER BY created_at;

-- name: record-payment$
-- true if recorded now, NULL if this payment was already recorded.
INSERT INTO platform.payments (payment_id, order_id, amount, currency, status, received_via)
VALUES (:payment_id, :order_id, :amount, :currency, :status, :via)
ON CONFLICT (payment_id) DO NOTHING
RETURNING true;

-- tokens in use -------------------------------------------------------------------------------

-- name: token-in-use$
-- Is this token run (or about to be run) by a tenant whose subscription is alive?
SELECT EXISTS (
    SELECT 1 FROM platform.tenant_bots b
      LEFT JOIN platform.subscriptions s USING (client_id)
     WHERE b.token_fingerprint = :fingerprint
       AND b.client_id IS DISTINCT FROM :except_client
       AND (s.status = ANY(:live::text[])
            OR EXISTS (SELECT 1 FROM platform.slot_assignments a
                        WHERE a.client_id = b.client_id AND a.released_at IS NULL))
) OR EXISTS (
    SELECT 1 FROM platform.orders o
     WHERE o.token_fingerprint = :fingerprint
       AND o.client_id IS DISTINCT FROM :except_client
       AND o.status = ANY(:unfinished::text[])
);

-- name: token-taken-first$
-- At activation: does a live tenant, or an order paid before this one, hold this token?
SELECT EXISTS (
    SELECT 1 FROM platform.tenant_bots b
      LEFT JOIN platform.subscriptions s USING (client_id)
     WHERE b.token_fingerprint = :fingerprint AND b.client_id <> :client_id
       AND (s.status = ANY(:running::text[])
            OR EXISTS (SELECT 1 FROM platform.slot_assignments a
                        WHERE a.client_id = b.client_id AND a.released_at IS NULL))
) OR EXISTS (
    SELECT 1 FROM platform.orders o
     WHERE o.token_fingerprint = :fingerprint AND o.client_id <> :client_id
       AND o.status = ANY(:unfinished::text[])
       AND o.paid_at < :paid_at
);

-- clients and subscriptions -------------------------------------------------------------------

-- name: next-client-number$
SELECT nextval('platform.client_number_seq');

-- name: client-id-taken$
SELECT EXISTS (SELECT 1 FROM platform.tenants WHERE client_id = :client_id)
    OR EXISTS (SELECT 1 FROM platform.subscriptions WHERE client_id = :client_id);

-- name: insert-subscription!
INSERT INTO platform.subscriptions (client_id, buyer_telegram_id, status)
VALUES (:client_id, :buyer, :status);

-- name: get-subscription^
SELECT * FROM platform.subscriptions WHERE client_id = :client_id;

-- name: get-subscription-for-update^
SELECT * FROM platform.subscriptions WHERE client_id = :client_id FOR UPDATE;

-- name: start-subscription^
-- First activation: the paid days count from now. Later activations keep the dates.
UPDATE platform.subscriptions
   SET status = :active,
       starts_at = coalesce(starts_at, now()),
       ends_at = coalesce(ends_at, now() + make_interval(days => :days)),
       released_at = NULL, archive_until = NULL, updated_at = now()
 WHERE client_id = :client_id
RETURNING *;

-- name: extend-subscription^
-- Renewal: add days to the end (or to now, if it has passed); clear reminders.
UPDATE platform.subscriptions
   SET ends_at = greatest(coalesce(ends_at, now()), now()) + make_interval(days => :days),
       starts_at = coalesce(starts_at, now()),
       status = CASE WHEN :reactivate OR status = :released THEN :active ELSE status END,
       reminded_3d_at = NULL, reminded_1d_at = NULL, grace_at = NULL,
       updated_at = now()
 WHERE client_id = :client_id
RETURNING *;

-- name: set-subscription!
-- Sets the columns named in `given` (each to its parameter, NULL included); the others stay.
UPDATE platform.subscriptions
   SET status = CASE WHEN 'status' = ANY(:given::text[]) THEN :status ELSE status END,
       reminded_3d_at = CASE WHEN 'reminded_3d_at' = ANY(:given::text[])
                             THEN :reminded_3d_at ELSE reminded_3d_at END,
       reminded_1d_at = CASE WHEN 'reminded_1d_at' = ANY(:given::text[])
                             THEN :reminded_1d_at ELSE reminded_1d_at END,
       grace_at = CASE WHEN 'grace_at' = ANY(:given::text[]) THEN :grace_at ELSE grace_at END,
       released_at = CASE WHEN 'released_at' = ANY(:given::text[])
                          THEN :released_at ELSE released_at END,
       archive_until = CASE WHEN 'archive_until' = ANY(:given::text[])
                            THEN :archive_until ELSE archive_until END,
       updated_at = now()
 WHERE client_id = :client_id;

-- name: subscriptions-in
SELECT * FROM platform.subscriptions WHERE status = ANY(:statuses::text[])
 ORDER BY ends_at NULLS LAST;

-- name: buyer-bots
-- A bot that never ran yet (its first order queued) has no tenant rows: its order names it.
SELECT s.client_id, s.status, s.ends_at,
       COALESCE(b.bot_username, o.bot_username) AS bot_username,
       COALESCE(t.company_name, o.company_name) AS company_name, a.slot,
       s.released_at, s.archive_until, t.suspended_at, s.purged_at, o.status AS waiting
  FROM platform.subscriptions s
  LEFT JOIN LATERAL (SELECT status, bot_username, company_name FROM platform.orders
                      WHERE client_id = s.client_id AND status = ANY(:unfinished::text[])
                      ORDER BY paid_at DESC NULLS LAST LIMIT 1) o ON true
  LEFT JOIN platform.tenant_bots b USING (client_id)
  LEFT JOIN platform.tenants t USING (client_id)
  LEFT JOIN platform.slot_assignments a
         ON a.client_id = s.client_id AND a.released_at IS NULL
 WHERE s.buyer_telegram_id = :buyer
 ORDER BY s.client_id;

-- name: stored-bot^
SELECT t.client_id, t.company_name, t.admin_telegram_id, b.bot_username, b.token_encrypted
  FROM platform.tenants t JOIN platform.tenant_bots b USING (client_id)
 WHERE t.client_id = :client_id;

-- name: open-slot$
SELECT slot FROM platform.slot_assignments WHERE client_id = :client_id AND released_at IS NULL;

-- name: run-refusal$
-- Why the tenant may not run, or NULL (005_may_run.sql).
SELECT platform.run_refusal(:client_id);

-- name: unpaid-orders$
SELECT count(*) FROM platform.orders
 WHERE buyer_telegram_id = :buyer AND status = ANY(:unpaid::text[])
   AND created_at > now() - make_interval(hours => :max_age_hours);

-- name: lock-buyer$
-- Serialise one buyer's new orders until the transaction ends (the unpaid-orders cap).
SELECT pg_advisory_xact_lock(hashtext('orders'), hashtext(:buyer::text));

-- reconciliation ------------------------------------------------------------------------------

-- name: running-violations
SELECT slot, client_id, reason FROM platform.running_refusals
 WHERE reason IS NOT NULL ORDER BY slot;

-- name: expire-dead-end-orders
-- Renewal and replace-token orders waiting for a tenant whose subscription has ended.
UPDATE platform.orders SET status = :expired, lease_until = NULL,
       last_error = 'subscription ended before it could run', updated_at = now()
 WHERE status = ANY(:waiting::text[])
   AND kind = ANY(:kinds::text[])
   AND platform.run_refusal(client_id) = ANY(:refusals::text[])
RETURNING *;

-- name: release-held-orders
-- Orders held while their tenant was suspended go back to `paid` once it is resumed.
UPDATE platform.orders SET status = :paid, attempts = 0, last_error = NULL,
       updated_at = now()
 WHERE status = :held AND platform.run_refusal(client_id) IS DISTINCT FROM :suspended
RETURNING *;

-- name: stale-unpaid-orders
-- UNPAID_ORDERS as literals, as in the partial index orders_unpaid_idx (see pending-payments).
SELECT * FROM platform.orders
 WHERE status IN ('new', 'pending')
   AND created_at <= now() - make_interval(hours => :max_age_hours)
 ORDER BY created_at
 LIMIT :limit;

-- name: expire-unpaid$
UPDATE platform.orders SET status = :expired, last_error = 'not paid in time',
       updated_at = now()
 WHERE id = :order_id AND status = ANY(:unpaid::text[])
RETURNING true;

-- refunds -------------------------------------------------------------------------------------

-- name: payment-order^
SELECT amount, order_id FROM platform.payments WHERE payment_id = :payment_id;

-- name: record-refund$
-- true if recorded now, NULL for a replay.
INSERT INTO platform.refunds (refund_id, payment_id, order_id, amount, currency, days_removed)
VALUES (:refund_id, :payment_id, :order_id, :amount, :currency, :days_removed)
ON CONFLICT (refund_id) DO NOTHING
RETURNING true;

-- name: refunded-total$
SELECT coalesce(sum(amount), 0) FROM platform.refunds WHERE payment_id = :payment_id;

-- name: shorten-subscription^
-- Take `days` (fractional) off a started subscription's end.
UPDATE platform.subscriptions
   SET ends_at = ends_at - make_interval(secs => :days * 86400), updated_at = now()
 WHERE client_id = :client_id AND ends_at IS NOT NULL
RETURNING *;

-- alerts --------------------------------------------------------------------------------------

-- name: insert-alert!
INSERT INTO platform.alerts (kind, detail, order_id) VALUES (:kind, :detail, :order_id);
