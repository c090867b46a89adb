-- Named queries of sales/retention_repo.py (schema `platform`). aiosql operators: see core/db.py.

-- name: archives-to-remind
-- `s.status = 'released'` stays a literal, as in the partial index subscriptions_archive_idx
-- (a prepared statement's generic plan cannot use it for a parameter).
SELECT s.client_id, s.buyer_telegram_id, s.archive_until, b.bot_username
  FROM platform.subscriptions s
  LEFT JOIN platform.tenant_bots b USING (client_id)
 WHERE s.status = 'released' AND s.purged_at IS NULL AND s.purge_reminded_at IS NULL
   AND s.archive_until <= :before
 ORDER BY s.archive_until LIMIT :limit;

-- name: mark-purge-reminded$
-- The deletion date for the one caller that marks the reminder sent, NULL for the others.
UPDATE platform.subscriptions
   SET purge_reminded_at = now(), archive_until = greatest(archive_until, :not_before),
       updated_at = now()
 WHERE client_id = :client_id AND purge_reminded_at IS NULL
RETURNING archive_until;

-- name: archives-due
-- The status as a literal: see archives-to-remind.
SELECT s.client_id, s.buyer_telegram_id, s.archive_until, b.bot_username
  FROM platform.subscriptions s
  LEFT JOIN platform.tenant_bots b USING (client_id)
 WHERE s.status = 'released' AND s.purged_at IS NULL AND s.archive_until <= now()
   AND s.purge_reminded_at IS NOT NULL
 ORDER BY s.archive_until LIMIT :limit;

-- name: purge-tenant$
SELECT platform.purge_tenant(:client_id);

-- name: export-tenant$
SELECT platform.export_tenant(:client_id)::text;

-- name: prune-activation-history!
DELETE FROM platform.activation_history
 WHERE created_at < now() - make_interval(secs => :seconds);

-- name: prune-alerts!
DELETE FROM platform.alerts
 WHERE created_at < now() - make_interval(secs => :seconds)
   AND (delivered_at IS NOT NULL OR given_up_at IS NOT NULL);

-- name: prune-orders!
-- Orders never paid (and with no payment recorded) in one of the abandoned statuses.
DELETE FROM platform.orders o
 WHERE o.paid_at IS NULL AND o.created_at < now() - make_interval(secs => :seconds)
   AND o.status = ANY(:abandoned::text[])
   AND NOT EXISTS (SELECT 1 FROM platform.payments p WHERE p.order_id = o.id);

-- name: prune-buyer-notices!
DELETE FROM platform.buyer_notices
 WHERE created_at < now() - make_interval(secs => :seconds)
   AND (sent_at IS NOT NULL OR given_up_at IS NOT NULL);

-- name: unsent-notices
SELECT n.id, n.telegram_id, n.client_id, n.kind, n.attempts, b.bot_username
  FROM platform.buyer_notices n
  LEFT JOIN platform.tenant_bots b USING (client_id)
 WHERE n.sent_at IS NULL AND n.given_up_at IS NULL
 ORDER BY n.id LIMIT :limit;

-- name: notice-sent!
UPDATE platform.buyer_notices SET sent_at = now(), attempts = attempts + 1
 WHERE id = :notice_id;

-- name: notice-failed!
UPDATE platform.buyer_notices
   SET attempts = attempts + 1, last_error = :error,
       given_up_at = CASE WHEN :give_up THEN now() END
 WHERE id = :notice_id;

-- name: is-purged$
SELECT purged_at IS NOT NULL FROM platform.subscriptions WHERE client_id = :client_id;
