"""PostgreSQL isolation on a real server: a tenant's role reaches only its own schema; the
services' roles only what sql/platform_grants.sql gives them."""

from __future__ import annotations

from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import asyncpg
import pytest

from core.crypto import TokenCipher
from core.migrations import migrate_platform, migrate_tenant
from core.platform_repo import Tenant, upsert_tenant
from core.tenant_access import ensure_tenant_role, scram_verifier, tenant_db_password, tenant_dsn

DENIED = asyncpg.InsufficientPrivilegeError
CIPHER = TokenCipher(TokenCipher.generate_key())


async def add_tenant(conn: asyncpg.Connection, client_id: str) -> str:
    await conn.execute(
        "INSERT INTO platform.tenants (client_id, company_name, admin_telegram_id)"
        " VALUES ($1, 'Салон', 1)",
        client_id,
    )
    password = await tenant_db_password(conn, CIPHER, client_id)
    await ensure_tenant_role(conn, client_id, password)
    return password


@asynccontextmanager
async def owner(pg_dsn):
    conn = await asyncpg.connect(pg_dsn)
    try:
        yield conn
    finally:
        await conn.close()


@asynccontextmanager
async def as_role(pg_server, pg_dsn, role: str):
    """A superuser connection to the test's database acting as `role` (service roles are
    NOLOGIN on a developer machine)."""
    conn = await asyncpg.connect(pg_server.admin_dsn_for(urlsplit(pg_dsn).path.lstrip("/")))
    try:
        await conn.execute(f'SET ROLE "{role}"')
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def two_tenants(pg_dsn):
    """client_001 and client_002 with their roles, schemas (migrated as themselves) and a
    customer each; returns the tenants' DSNs."""
    dsns = {}
    async with owner(pg_dsn) as conn:
        await migrate_platform(conn)
        for client_id in ("client_001", "client_002"):
            dsns[client_id] = tenant_dsn(pg_dsn, client_id, await add_tenant(conn, client_id))
    for client_id, dsn in dsns.items():
        tenant = await asyncpg.connect(dsn)
        try:
            await migrate_tenant(tenant, client_id)
            await tenant.execute(
                "INSERT INTO bot_users (telegram_id, full_name, phone) VALUES (1, $1, '+7900')",
                f"Клиент {client_id}",
            )
        finally:
            await tenant.close()
    return dsns


async def test_a_tenant_role_reaches_only_its_own_schema(two_tenants):
    conn = await asyncpg.connect(two_tenants["client_001"])
    try:
        assert await conn.fetchval("SELECT current_user") == "client_001"
        # its own tables work, unqualified too (search_path is pinned to its schema)
        assert await conn.fetchval("SELECT full_name FROM bot_users") == "Клиент client_001"
        assert await conn.fetchval("SELECT count(*) FROM client_001.services") == 0
        for sql in (
            "SELECT * FROM client_002.bot_users",
            "SELECT * FROM platform.tenant_bots",
            "SELECT * FROM platform.tenants",
            "SELECT * FROM platform.tenant_credentials",
            "SELECT * FROM platform.orders",
            "CREATE TABLE public.stolen (x int)",
            "CREATE TABLE client_002.planted (x int)",
            "DROP SCHEMA client_002 CASCADE",
            "CREATE TEMP TABLE scratch (x int)",
            "CREATE SCHEMA client_999",
            "SET ROLE booking_user",
            "SET ROLE client_002",
            f"SELECT platform.ensure_tenant_role('client_001', '{scram_verifier('x')}')",
        ):
            with pytest.raises(DENIED):
                await conn.execute(sql)
        # the other tenant's data is untouched
        other = await asyncpg.connect(two_tenants["client_002"])
        try:
            assert await other.fetchval("SELECT full_name FROM bot_users") == "Клиент client_002"
        finally:
            await other.close()
    finally:
        await conn.close()


async def test_the_exclusion_constraint_works_under_the_tenant_role(two_tenants):
    """btree_gist lives in `public`, which tenants cannot use: the bookings constraint must
    still hold (two overlapping bookings of one specialist)."""
    conn = await asyncpg.connect(two_tenants["client_001"])
    try:
        await conn.execute(
            "INSERT INTO services (name, duration_min, price) VALUES ('Стрижка', 60, 1000);"
            "INSERT INTO staff (name) VALUES ('Анна');"
        )
        insert = (
            "INSERT INTO bookings (request_key, customer_id, customer_name, customer_phone,"
            " service_id, staff_id, price, starts_at, ends_at, blocked_until)"
            " VALUES ($1, 1, 'К', '+7900', 1, 1, 1000, $2::text::timestamptz,"
            " $2::text::timestamptz + interval '1 hour', $2::text::timestamptz + interval '1 hour')"
        )
        await conn.execute(insert, "a", "2030-01-01 10:00+00")
        with pytest.raises(asyncpg.ExclusionViolationError):
            await conn.execute(insert, "b", "2030-01-01 10:30+00")
    finally:
        await conn.close()


async def test_a_schema_from_before_tenant_roles_is_handed_over_with_its_data(pg_dsn):
    async with owner(pg_dsn) as conn:
        await migrate_platform(conn)
        await conn.execute(
            "INSERT INTO platform.tenants (client_id, company_name, admin_telegram_id)"
            " VALUES ('client_007', 'Старый салон', 1)"
        )
        await migrate_tenant(conn, "client_007")  # as the owner: today's layout
        await conn.execute(
            "INSERT INTO client_007.services (name, duration_min, price) VALUES ('Маникюр', 90, 1500)"
        )
        password = await tenant_db_password(conn, CIPHER, "client_007")
        await ensure_tenant_role(conn, "client_007", password)
        await ensure_tenant_role(conn, "client_007", password)  # twice is fine
        owners = await conn.fetch(
            "SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class"
            " WHERE relnamespace = 'client_007'::regnamespace"
        )
        assert [r["owner"] for r in owners] == ["client_007"]
        # the owner's later migrations run as the tenant
        assert await migrate_tenant(conn, "client_007") == []
    tenant = await asyncpg.connect(tenant_dsn(pg_dsn, "client_007", password))
    try:
        assert await tenant.fetchval("SELECT name FROM services") == "Маникюр"
        await tenant.execute("INSERT INTO services (name, duration_min, price) VALUES ('Б', 30, 1)")
        assert await tenant.fetchval("SELECT max(id) FROM services") == 2  # its sequence too
    finally:
        await tenant.close()


async def test_a_wrong_password_is_refused_and_a_stored_one_survives_a_second_call(pg_dsn):
    async with owner(pg_dsn) as conn:
        await migrate_platform(conn)
        password = await add_tenant(conn, "client_003")
        assert await tenant_db_password(conn, CIPHER, "client_003") == password
        stored = await conn.fetchval(
            "SELECT db_password_encrypted FROM platform.tenant_credentials"
            " WHERE client_id = 'client_003'"
        )
        assert password not in stored
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(tenant_dsn(pg_dsn, "client_003", "not-the-password"))


async def test_ensure_tenant_role_refuses_unknown_tenants_and_plain_passwords(pg_dsn):
    async with owner(pg_dsn) as conn:
        await migrate_platform(conn)
        with pytest.raises(asyncpg.InvalidParameterValueError, match="unknown tenant"):
            await ensure_tenant_role(conn, "client_404", "secret")
        await conn.execute(
            "INSERT INTO platform.tenants (client_id, company_name, admin_telegram_id)"
            " VALUES ('client_004', 'С', 1)"
        )
        with pytest.raises(asyncpg.InvalidParameterValueError, match="SCRAM"):
            await conn.execute("SELECT platform.ensure_tenant_role('client_004', 'plain')")
        with pytest.raises(asyncpg.InvalidParameterValueError, match="bad client id"):
            await conn.execute(
                "SELECT platform.ensure_tenant_role($1, $2)", "booking_user", scram_verifier("x")
            )


@pytest.mark.parametrize(
    ("role", "allowed", "denied"),
    [
        (
            "booking_pool",
            ["tenants", "tenant_bots", "slot_assignments", "tenant_credentials"],
            ["orders", "payments", "subscriptions", "tariffs", "alerts", "activation_history"],
        ),
        (
            "booking_sales",
            ["orders", "payments", "subscriptions", "tariffs", "tenant_bots"],
            ["pool_samples", "tenant_credentials"],
        ),
        (
            "booking_master",
            ["orders", "payments", "subscriptions", "tenants", "activation_history"],
            ["tenant_credentials"],
        ),
    ],
)
async def test_service_roles_read_only_what_they_need(
    pg_server, pg_dsn, two_tenants, role, allowed, denied
):
    async with as_role(pg_server, pg_dsn, role) as conn:
        for table in allowed:
            await conn.fetch(f"SELECT * FROM platform.{table} LIMIT 1")
        for table in denied:
            with pytest.raises(DENIED):
                await conn.fetch(f"SELECT * FROM platform.{table} LIMIT 1")
        with pytest.raises(DENIED):
            await conn.fetch("SELECT * FROM client_001.bot_users")
        with pytest.raises(DENIED):
            await conn.execute("DROP SCHEMA client_002 CASCADE")


async def test_the_pool_role_cannot_lift_a_suspension_or_rewrite_a_password(
    pg_server, pg_dsn, two_tenants
):
    async with as_role(pg_server, pg_dsn, "booking_pool") as conn:
        # what an activation does: refresh the tenant's name and owner
        await upsert_tenant(conn, Tenant("client_001", "Новое имя", 2))
        for sql in (
            "UPDATE platform.tenants SET suspended_at = NULL",
            "UPDATE platform.tenant_credentials SET db_password_encrypted = 'x'",
        ):
            with pytest.raises(DENIED):
                await conn.execute(sql)


async def test_the_pool_role_may_create_a_tenant_role_only_through_the_function(
    pg_server, pg_dsn, two_tenants
):
    async with owner(pg_dsn) as conn:
        await conn.execute(
            "INSERT INTO platform.tenants (client_id, company_name, admin_telegram_id)"
            " VALUES ('client_010', 'Новый', 1)"
        )
    async with as_role(pg_server, pg_dsn, "booking_pool") as conn:
        with pytest.raises(DENIED):
            await conn.execute("CREATE ROLE client_011")
        await conn.execute(
            "SELECT platform.ensure_tenant_role('client_010', $1)", scram_verifier("pw")
        )
        assert (
            await conn.fetchval(
                "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'client_010'"
            )
            == "client_010"
        )
