-- Named queries of core/platform_repo.py (schema `platform`). aiosql operators: see core/db.py.

-- name: upsert-tenant!
INSERT INTO platform.tenants (client_id, company_name, admin_telegram_id)
VALUES (:client_id, :company_name, :admin_telegram_id)
ON CONFLICT (client_id) DO UPDATE
   SET company_name = EXCLUDED.company_name,
       admin_telegram_id = EXCLUDED.admin_telegram_id,
       updated_at = now();

-- name: upsert-bot!
INSERT INTO platform.tenant_bots
       (client_id, bot_id, bot_username, token_encrypted, token_fingerprint, verified_at)
VALUES (:client_id, :bot_id, :bot_username, :token_encrypted, :token_fingerprint, now())
ON CONFLICT (client_id) DO UPDATE
   SET bot_id = EXCLUDED.bot_id, bot_username = EXCLUDED.bot_username,
       token_encrypted = EXCLUDED.token_encrypted,
       token_fingerprint = EXCLUDED.token_fingerprint,
       verified_at = now(), updated_at = now();

-- name: open-slot-of-client$
SELECT slot FROM platform.slot_assignments WHERE client_id = :client_id AND released_at IS NULL;

-- name: open-assignment$
INSERT INTO platform.slot_assignments (slot, client_id, activation_id)
VALUES (:slot, :client_id, :activation_id) RETURNING id;

-- name: run-refusal$
-- Why the tenant may not run now, or NULL (005_may_run.sql).
SELECT platform.run_refusal(:client_id);

-- name: assigned-tenant^
SELECT a.id AS assignment_id, a.slot, a.client_id, a.assigned_at, t.company_name,
       t.admin_telegram_id, b.bot_id, b.bot_username, b.token_encrypted
  FROM platform.slot_assignments a
  JOIN platform.tenants t USING (client_id)
  JOIN platform.tenant_bots b USING (client_id)
 WHERE a.slot = :slot AND a.released_at IS NULL;

-- name: assignment-is-open$
-- Fencing: is this assignment still open (not released by anyone)?
SELECT EXISTS (SELECT 1 FROM platform.slot_assignments
                WHERE id = :assignment_id AND released_at IS NULL);

-- name: close-assignment$
-- The client id of the assignment ended now, NULL if the slot had none open.
UPDATE platform.slot_assignments SET released_at = now(), release_reason = :reason
 WHERE slot = :slot AND released_at IS NULL
RETURNING client_id;

-- name: record-event!
INSERT INTO platform.activation_history
       (slot, client_id, activation_id, event, detail, duration_ms)
VALUES (:slot, :client_id, :activation_id, :event, :detail, :duration_ms);

-- name: open-client-ids
SELECT client_id FROM platform.slot_assignments WHERE released_at IS NULL ORDER BY 1;

-- name: grant-operator-period$
-- The grant's end, NULL when the client has a subscription (which decides then).
INSERT INTO platform.operator_grants (client_id, granted_until, note)
SELECT :client_id, now() + make_interval(days => :days), :note
 WHERE NOT EXISTS (SELECT 1 FROM platform.subscriptions WHERE client_id = :client_id)
ON CONFLICT (client_id) DO UPDATE
   SET granted_until = greatest(platform.operator_grants.granted_until,
                                EXCLUDED.granted_until),
       granted_at = now(), granted_by = current_user, note = EXCLUDED.note
RETURNING granted_until;

-- tenant identities (core/tenant_access.py) ---------------------------------------------------

-- name: store-tenant-password!
-- The first stored password wins (a concurrent caller's insert does nothing).
INSERT INTO platform.tenant_credentials (client_id, db_password_encrypted)
VALUES (:client_id, :password_encrypted) ON CONFLICT DO NOTHING;

-- name: tenant-password$
SELECT db_password_encrypted FROM platform.tenant_credentials WHERE client_id = :client_id;

-- name: ensure-tenant-role$
-- Create or repair role `client_NNN` and hand it its schema (004_isolation.sql).
SELECT platform.ensure_tenant_role(:client_id, :verifier);
