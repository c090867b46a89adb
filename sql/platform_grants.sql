-- Every grant on schema `platform`, in one place. Applied after the numbered migrations by every
-- `migrate` run (it is idempotent: revoke everything, grant again), so this file is always the
-- whole truth; a new table gets its grants here.
--
-- The owner (the role that runs migrations: booking_user) owns everything and is used by nothing
-- else in a deployment. The services get only what their code runs. Tenant roles (client_NNN)
-- get nothing here: they own their schema and see nothing else (004_isolation.sql).

REVOKE ALL ON ALL TABLES IN SCHEMA platform FROM PUBLIC, booking_pool, booking_sales, booking_master;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA platform FROM PUBLIC, booking_pool, booking_sales, booking_master;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA platform FROM PUBLIC, booking_pool, booking_sales, booking_master;
REVOKE ALL ON SCHEMA platform FROM PUBLIC, booking_pool, booking_sales, booking_master;

DO $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO booking_pool, booking_sales, booking_master',
                   current_database());
END
$$;
GRANT USAGE ON SCHEMA platform TO booking_pool, booking_sales, booking_master;
GRANT SELECT ON platform.schema_migrations TO booking_pool, booking_sales, booking_master;

-- The pool (the code that runs tenant bots): slot bookkeeping and what activating and resuming
-- a tenant needs. Never orders, payments, subscriptions, tariffs, alerts or pool samples.
GRANT SELECT, INSERT, UPDATE ON platform.tenant_bots, platform.slot_assignments TO booking_pool;
GRANT SELECT, INSERT ON platform.tenants, platform.tenant_credentials TO booking_pool;
-- an activation refreshes a tenant's name and owner; never its suspension (the may-run rule)
GRANT UPDATE (company_name, admin_telegram_id, updated_at) ON platform.tenants TO booking_pool;
GRANT INSERT ON platform.activation_history TO booking_pool;
GRANT USAGE ON SEQUENCE platform.slot_assignments_id_seq, platform.activation_history_id_seq
    TO booking_pool;
GRANT EXECUTE ON FUNCTION platform.ensure_tenant_role(text, text) TO booking_pool;
-- the "may run" rule (005_may_run.sql): the pool may ask why a tenant may not run (a reason, not
-- the subscription); the trigger on slot_assignments needs no grant
GRANT EXECUTE ON FUNCTION platform.run_refusal(text) TO booking_pool, booking_sales, booking_master;
GRANT EXECUTE ON FUNCTION platform.refusal_of(timestamptz, text, timestamptz, timestamptz)
    TO booking_sales, booking_master;
GRANT SELECT ON platform.running_refusals TO booking_sales, booking_master;

-- Sales: tariffs, orders, payments, subscriptions, alerts; reads tenants and their bots; ends the
-- assignment of a dead slot (pool.store).
GRANT SELECT ON platform.tariffs, platform.tenants, platform.tenant_bots TO booking_sales;
GRANT SELECT, INSERT, UPDATE ON platform.orders, platform.subscriptions TO booking_sales;
GRANT SELECT, INSERT ON platform.payments, platform.alerts, platform.refunds TO booking_sales;
GRANT SELECT ON platform.operator_grants TO booking_sales;
GRANT SELECT, UPDATE ON platform.slot_assignments TO booking_sales;
GRANT INSERT ON platform.activation_history TO booking_sales;
GRANT USAGE ON SEQUENCE platform.client_number_seq, platform.alerts_id_seq,
    platform.activation_history_id_seq TO booking_sales;

-- Master: the operator sees everything but tenants' passwords; suspends and resumes tenants,
-- extends subscriptions, re-sends stuck orders, marks alerts delivered, samples the pool.
GRANT SELECT ON platform.tariffs, platform.tenants, platform.tenant_bots, platform.slot_assignments,
    platform.activation_history, platform.orders, platform.payments, platform.subscriptions,
    platform.alerts, platform.pool_samples, platform.refunds, platform.operator_grants
    TO booking_master;
GRANT UPDATE ON platform.tenants, platform.subscriptions, platform.orders, platform.alerts,
    platform.slot_assignments TO booking_master;
GRANT INSERT, DELETE ON platform.pool_samples TO booking_master;
GRANT INSERT ON platform.activation_history TO booking_master;
GRANT USAGE ON SEQUENCE platform.activation_history_id_seq TO booking_master;

-- Retention and delivery (007_retention.sql). Sales runs the retention pass: it deletes archived
-- tenants through platform.purge_tenant (which alone may drop a schema and a role), exports a
-- tenant's data for its buyer, prunes history, alerts and abandoned orders by age, and delivers
-- the notices the Master leaves for buyers. The Master queues its alerts in platform.alerts (kept
-- until delivered) and leaves buyers' notices.
GRANT EXECUTE ON FUNCTION platform.purge_tenant(text), platform.export_tenant(text) TO booking_sales;
GRANT SELECT, DELETE ON platform.activation_history TO booking_sales;
GRANT DELETE ON platform.alerts, platform.orders,
    platform.buyer_notices TO booking_sales;
GRANT SELECT, UPDATE ON platform.buyer_notices TO booking_sales;
GRANT INSERT ON platform.alerts, platform.buyer_notices TO booking_master;
GRANT USAGE ON SEQUENCE platform.alerts_id_seq, platform.buyer_notices_id_seq TO booking_master;
