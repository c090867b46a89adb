-- Named queries of master/repository.py (schema `platform`). aiosql operators: see core/db.py.

-- clients -------------------------------------------------------------------------------------
-- A client is anyone with a tenant row, a subscription or a paid order (a paid order that waits
-- for a slot has no tenant row yet); names come from the tenant, else from the latest order.
-- count-clients and clients share `ids`.

-- name: count-clients$
WITH ids AS (
    SELECT client_id FROM platform.tenants
    UNION SELECT client_id FROM platform.subscriptions
    UNION SELECT client_id FROM platform.orders WHERE client_id IS NOT NULL AND paid_at IS NOT NULL
)
SELECT count(*) FROM ids;

-- name: clients
-- All clients a page at a time, or one (`client_id` given).
WITH ids AS (
    SELECT client_id FROM platform.tenants
    UNION SELECT client_id FROM platform.subscriptions
    UNION SELECT client_id FROM platform.orders WHERE client_id IS NOT NULL AND paid_at IS NOT NULL
)
SELECT i.client_id,
       COALESCE(t.company_name, o.company_name, '—') AS company_name,
       COALESCE(t.admin_telegram_id, o.admin_telegram_id) AS admin_telegram_id,
       t.suspended_at IS NOT NULL AS suspended,
       COALESCE(b.bot_username, o.bot_username) AS bot_username,
       a.slot, s.status AS subscription_status, s.ends_at,
       COALESCE(s.buyer_telegram_id, o.buyer_telegram_id) AS buyer_telegram_id
  FROM ids i
  LEFT JOIN platform.tenants t ON t.client_id = i.client_id
  LEFT JOIN platform.tenant_bots b ON b.client_id = i.client_id
  LEFT JOIN platform.slot_assignments a ON a.client_id = i.client_id AND a.released_at IS NULL
  LEFT JOIN platform.subscriptions s ON s.client_id = i.client_id
  LEFT JOIN LATERAL (
      SELECT company_name, admin_telegram_id, bot_username, buyer_telegram_id
        FROM platform.orders WHERE client_id = i.client_id
       ORDER BY created_at DESC LIMIT 1
  ) o ON true
 WHERE :client_id::text IS NULL OR i.client_id = :client_id
 ORDER BY i.client_id OFFSET :offset LIMIT :limit;

-- name: client-payments
SELECT p.payment_id, p.amount, p.currency, p.recorded_at, o.kind
  FROM platform.payments p JOIN platform.orders o ON o.id = p.order_id
 WHERE o.client_id = :client_id ORDER BY p.recorded_at DESC LIMIT 10;

-- name: client-open-orders
SELECT id, kind, status, paid_at, last_error FROM platform.orders
 WHERE client_id = :client_id AND status = ANY(:unfinished::text[]) ORDER BY created_at;

-- name: stored-tenant^
-- What starting a tenant's stored bot needs.
SELECT t.company_name, t.admin_telegram_id, b.token_encrypted
  FROM platform.tenants t JOIN platform.tenant_bots b USING (client_id)
 WHERE t.client_id = :client_id;

-- name: extend-subscription^
-- Move the end by `days` (from now if it already passed); an ended subscription is active again.
UPDATE platform.subscriptions s
   SET ends_at = GREATEST(s.ends_at, now()) + make_interval(days => :days),
       starts_at = COALESCE(s.starts_at, now()),
       status = CASE WHEN s.status = :pending THEN :pending ELSE :active END,
       grace_at = NULL,
       reminded_3d_at = NULL,
       reminded_1d_at = NULL,
       updated_at = now()
  FROM (SELECT status FROM platform.subscriptions WHERE client_id = :client_id FOR UPDATE) old
 WHERE s.client_id = :client_id
RETURNING s.ends_at, old.status;

-- name: suspend!
UPDATE platform.tenants SET suspended_at = now(), suspended_reason = :reason, updated_at = now()
 WHERE client_id = :client_id AND suspended_at IS NULL;

-- name: resume!
UPDATE platform.tenants SET suspended_at = NULL, suspended_reason = NULL, updated_at = now()
 WHERE client_id = :client_id AND suspended_at IS NOT NULL;

-- name: queue-buyer-notice!
-- Tenants without a subscription (made by the operator's CLI) have no buyer: no row.
INSERT INTO platform.buyer_notices (telegram_id, client_id, kind)
SELECT buyer_telegram_id, client_id, :kind FROM platform.subscriptions
 WHERE client_id = :client_id;

-- name: resend-order$
-- Hand an unfinished paid order back to the Sales sweeper; its client id ('' if none yet).
UPDATE platform.orders
   SET status = CASE WHEN status = :queued THEN :queued ELSE :paid END,
       lease_until = NULL, attempts = 0, last_error = NULL,
       updated_at = now()
 WHERE id = :order_id AND status = ANY(:unfinished::text[]) AND paid_at IS NOT NULL
RETURNING COALESCE(client_id, '');

-- name: waiting-orders$
SELECT count(*) FROM platform.orders
 WHERE status = :queued
    OR (status = ANY(:started::text[]) AND paid_at < now() - interval '30 seconds');

-- name: revenue^
SELECT coalesce(sum(amount) FILTER (WHERE recorded_at > now() - interval '1 day'), 0) AS day,
       coalesce(sum(amount) FILTER (WHERE recorded_at > now() - interval '7 days'), 0) AS week,
       coalesce(sum(amount), 0) AS month,
       coalesce(max(currency), 'RUB') AS currency
  FROM platform.payments WHERE recorded_at > now() - interval '30 days';

-- alerts --------------------------------------------------------------------------------------

-- name: queue-alert$
INSERT INTO platform.alerts (kind, detail) VALUES (:kind, :detail) RETURNING id;

-- name: undelivered-alerts
SELECT id, kind, detail, attempts FROM platform.alerts
 WHERE delivered_at IS NULL AND given_up_at IS NULL ORDER BY id LIMIT :limit;

-- name: alert-delivered$
SELECT delivered_at IS NOT NULL FROM platform.alerts WHERE id = :alert_id;

-- name: alert-failed!
UPDATE platform.alerts SET attempts = attempts + 1, last_error = :error,
       given_up_at = CASE WHEN :give_up THEN now() END
 WHERE id = :alert_id;

-- name: alert-given-up!
UPDATE platform.alerts SET given_up_at = now(), last_error = :reason
 WHERE id = :alert_id AND delivered_at IS NULL;

-- name: mark-delivered!
UPDATE platform.alerts SET delivered_at = now() WHERE id = :alert_id;

-- name: last-activation-event$
SELECT coalesce(max(id), 0) FROM platform.activation_history;

-- name: failed-activations-after
SELECT id, slot, client_id, detail FROM platform.activation_history
 WHERE id > :after AND event = ANY(:failed::text[]) ORDER BY id LIMIT 50;

-- pool samples and statistics -----------------------------------------------------------------

-- name: add-pool-sample!
INSERT INTO platform.pool_samples (total, busy, stale) VALUES (:total, :busy, :stale)
ON CONFLICT (sampled_at) DO NOTHING;

-- name: prune-pool-samples!
DELETE FROM platform.pool_samples WHERE sampled_at < now() - make_interval(secs => :seconds);

-- name: utilization-by-hour
SELECT date_trunc('hour', sampled_at AT TIME ZONE :timezone) AS t,
       round(100 * avg(busy::numeric / nullif(total, 0))) AS percent
  FROM platform.pool_samples
 WHERE sampled_at > now() - make_interval(hours => :hours)
 GROUP BY 1 ORDER BY 1;

-- name: activation-totals^
SELECT count(*) FILTER (WHERE event = :activated
                          AND created_at > now() - interval '1 day') AS day,
       count(*) FILTER (WHERE event = ANY(:failed::text[])
                          AND created_at > now() - interval '1 day') AS day_failed,
       count(*) FILTER (WHERE event = :activated) AS week,
       avg(duration_ms) FILTER (WHERE event = :activated) AS avg_ms
  FROM platform.activation_history
 WHERE created_at > now() - interval '7 days';

-- name: activations-by-hour
SELECT date_trunc('hour', created_at AT TIME ZONE :timezone) AS t, count(*) AS n
  FROM platform.activation_history
 WHERE event = :activated AND created_at > now() - interval '12 hours'
 GROUP BY 1 ORDER BY 1;

-- name: activations-by-day
SELECT date_trunc('day', created_at AT TIME ZONE :timezone) AS t, count(*) AS n
  FROM platform.activation_history
 WHERE event = :activated AND created_at > now() - interval '7 days'
 GROUP BY 1 ORDER BY 1;

-- metrics counters (master/metrics.py) --------------------------------------------------------

-- name: db-now$
SELECT now();

-- name: activation-counts-until
SELECT event, duration_ms, count(*) AS n FROM platform.activation_history
 WHERE created_at <= :until GROUP BY 1, 2;

-- name: activation-events-since
SELECT id, event, duration_ms, created_at FROM platform.activation_history
 WHERE created_at > :since;

-- name: payment-counts-until^
SELECT (SELECT count(*) FROM platform.payments WHERE recorded_at <= :until) AS succeeded,
       (SELECT count(*) FROM platform.alerts WHERE created_at <= :until
           AND kind = ANY(:rejections::text[])) AS rejected;

-- name: payment-outcomes-since
SELECT 'succeeded' AS outcome, payment_id AS id, recorded_at AS at
  FROM platform.payments WHERE recorded_at > :since
UNION ALL
SELECT 'rejected', id::text, created_at FROM platform.alerts
 WHERE created_at > :since AND kind = ANY(:rejections::text[]);
