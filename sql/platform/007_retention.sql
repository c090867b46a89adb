-- Retention and delivery (issue 10, items 5 and 7).
--
-- A released tenant's data lives until `subscriptions.archive_until`; then its schema, its role,
-- its bot token and its database password are deleted (`purge_tenant`), while the billing records
-- (tenants, orders without the token, payments, subscriptions) stay. The buyer is reminded before
-- (`purge_reminded_at`) and may export the data until then (`export_tenant`).
-- Alerts are kept until delivered, with a bound on attempts; notices owed to buyers by the Master
-- (suspended, resumed) wait in `buyer_notices` until the Sales Bot delivers them.

ALTER TABLE subscriptions
    ADD COLUMN purge_reminded_at timestamptz,
    ADD COLUMN purged_at timestamptz;
CREATE INDEX subscriptions_archive_idx ON subscriptions (archive_until)
    WHERE status = 'released' AND purged_at IS NULL;

ALTER TABLE alerts
    ADD COLUMN attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN last_error text,
    ADD COLUMN given_up_at timestamptz;
DROP INDEX alerts_undelivered_idx;
CREATE INDEX alerts_undelivered_idx ON alerts (id) WHERE delivered_at IS NULL AND given_up_at IS NULL;
CREATE INDEX alerts_created_idx ON alerts (created_at);

-- abandoned orders (never paid) are pruned by age
CREATE INDEX orders_unpaid_created_idx ON orders (created_at) WHERE paid_at IS NULL;

CREATE TABLE buyer_notices (
    id           bigserial PRIMARY KEY,
    telegram_id  bigint NOT NULL,
    client_id    text NOT NULL CHECK (client_id ~ '^client_[0-9]{3,}$'),
    kind         text NOT NULL CHECK (kind IN ('suspended', 'resumed')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text,
    sent_at      timestamptz,
    given_up_at  timestamptz
);
CREATE INDEX buyer_notices_unsent_idx ON buyer_notices (id) WHERE sent_at IS NULL AND given_up_at IS NULL;
CREATE INDEX buyer_notices_created_idx ON buyer_notices (created_at);

-- Deletes what a tenant's archive holds, once its archive date has passed: the schema
-- `client_NNN` with everything in it, the role `client_NNN`, the stored bot token and database
-- password, and the encrypted token kept on its orders. Returns false (and does nothing) for a
-- tenant that is not a released subscription past `archive_until`, or still has an open slot
-- assignment. SECURITY DEFINER: it runs as the owner, who may drop roles, so Sales needs no such
-- power; it can only purge what the retention rule allows.
CREATE FUNCTION purge_tenant(p_client_id text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF p_client_id IS NULL OR p_client_id !~ '^client_[0-9]{3,}$' THEN
        RAISE EXCEPTION 'bad client id: expected client_NNN' USING ERRCODE = '22023';
    END IF;
    PERFORM 1 FROM platform.subscriptions
      WHERE client_id = p_client_id AND status = 'released' AND purged_at IS NULL
        AND archive_until IS NOT NULL AND archive_until <= now()
      FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    IF EXISTS (SELECT 1 FROM platform.slot_assignments
                WHERE client_id = p_client_id AND released_at IS NULL) THEN
        RETURN false;
    END IF;
    EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', p_client_id);
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_client_id) THEN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_client_id
                      AND (rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls)) THEN
            RAISE EXCEPTION 'role % has powers a tenant must not have; not dropped', p_client_id
                USING ERRCODE = '42501';
        END IF;
        -- the owner is a member (it applied the tenant's migrations as it): it may drop what the
        -- role still owns or was granted here, then the role itself
        EXECUTE format('DROP OWNED BY %I', p_client_id);
        EXECUTE format('DROP ROLE %I', p_client_id);
    END IF;
    DELETE FROM platform.tenant_credentials WHERE client_id = p_client_id;
    DELETE FROM platform.tenant_bots WHERE client_id = p_client_id;
    UPDATE platform.orders SET token_encrypted = NULL, updated_at = now()
     WHERE client_id = p_client_id AND token_encrypted IS NOT NULL;
    UPDATE platform.subscriptions SET purged_at = now(), updated_at = now()
     WHERE client_id = p_client_id;
    RETURN true;
END
$fn$;
REVOKE ALL ON FUNCTION purge_tenant(text) FROM PUBLIC;

-- The tenant's data as one JSON document ({"table": [rows...]}), for the buyer to keep before
-- the archive is deleted. Only for a tenant with a subscription whose data still exists.
CREATE FUNCTION export_tenant(p_client_id text) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    tbl record;
    rows jsonb;
    result jsonb := '{}'::jsonb;
BEGIN
    IF p_client_id IS NULL OR p_client_id !~ '^client_[0-9]{3,}$' THEN
        RAISE EXCEPTION 'bad client id: expected client_NNN' USING ERRCODE = '22023';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM platform.subscriptions
                    WHERE client_id = p_client_id AND purged_at IS NULL) THEN
        RETURN NULL;
    END IF;
    FOR tbl IN
        SELECT c.relname FROM pg_class c
         WHERE c.relnamespace = to_regnamespace(p_client_id) AND c.relkind IN ('r', 'p')
           AND c.relname <> 'schema_migrations'
         ORDER BY c.relname
    LOOP
        EXECUTE format('SELECT coalesce(jsonb_agg(to_jsonb(t)), ''[]''::jsonb) FROM %I.%I t',
                       p_client_id, tbl.relname) INTO rows;
        result := result || jsonb_build_object(tbl.relname, rows);
    END LOOP;
    RETURN result;
END
$fn$;
REVOKE ALL ON FUNCTION export_tenant(text) FROM PUBLIC;

-- /metrics counts recent payments through an index, never the whole table
CREATE INDEX payments_recorded_idx ON payments (recorded_at);
