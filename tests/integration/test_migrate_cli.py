"""The upgrade path through `booking-pool migrate`: a tenant from before tenant roles (schema owned
by the platform's role, an open assignment) gets its PostgreSQL role and its Redis user, and
keeps its data; `booking-pool redis-users` sets the services' users."""

from __future__ import annotations

import asyncio
import subprocess

import asyncpg

from core.crypto import TokenCipher
from core.migrations import migrate_platform, migrate_tenant
from core.tenant_access import tenant_dsn, tenant_redis_password
from tests.e2e.test_supervisor_cli_e2e import cli


async def booking_pool(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return await asyncio.to_thread(cli, env, *args)


async def test_migrate_gives_an_old_tenant_its_role_and_redis_user(
    pg_dsn, env_for_servers, redis_client
):
    key = TokenCipher.generate_key()
    conn = await asyncpg.connect(pg_dsn)
    try:
        await migrate_platform(conn)
        await conn.execute(
            "INSERT INTO platform.tenants (client_id, company_name, admin_telegram_id)"
            " VALUES ('client_042', 'Старый салон', 1);"
            "INSERT INTO platform.operator_grants (client_id, granted_until)"
            " VALUES ('client_042', now() + interval '30 days');"
            "INSERT INTO platform.slot_assignments (slot, client_id)"
            " VALUES ('booking-bot-pool-1', 'client_042')"
        )
        await migrate_tenant(conn, "client_042")  # today's layout: owned by the platform's role
        await conn.execute("INSERT INTO client_042.bot_users (telegram_id) VALUES (5)")
    finally:
        await conn.close()

    env = {**env_for_servers, "TOKEN_ENCRYPTION_KEY": key, "REDIS_POOL_PASSWORD": "pool-pw"}
    done = await booking_pool(env, "migrate")
    assert done.returncode == 0, done.stderr
    assert "client_042: up to date" in done.stdout
    assert "tenant roles: 1 tenant(s) run as their own role" in done.stdout
    assert "redis tenant users: 1 running, 1 created" in done.stdout

    conn = await asyncpg.connect(pg_dsn)
    try:
        owners = await conn.fetch(
            "SELECT DISTINCT pg_get_userbyid(relowner) AS o FROM pg_class"
            " WHERE relnamespace = 'client_042'::regnamespace"
        )
        assert [r["o"] for r in owners] == ["client_042"]
        assert await conn.fetchval("SELECT count(*) FROM client_042.bot_users") == 1
        stored = await conn.fetchval(
            "SELECT db_password_encrypted FROM platform.tenant_credentials"
            " WHERE client_id = 'client_042'"
        )
    finally:
        await conn.close()
    password = TokenCipher(key).decrypt(stored)
    tenant = await asyncpg.connect(tenant_dsn(pg_dsn, "client_042", password))
    try:
        assert await tenant.fetchval("SELECT telegram_id FROM bot_users") == 5
    finally:
        await tenant.close()
    assert password not in done.stdout + done.stderr

    users = await redis_client.execute_command("ACL", "USERS")
    assert "client_042" in users
    assert await redis_client.execute_command(
        "AUTH", "client_042", tenant_redis_password(TokenCipher(key), "client_042")
    )

    # a second run changes nothing; redis-users sets the services' users it has passwords for
    again = await booking_pool(env, "migrate")
    assert "redis tenant users: 1 running, 0 created" in again.stdout
    users_run = await booking_pool(env, "redis-users")
    assert users_run.returncode == 0, users_run.stderr
    assert "booking_pool: set" in users_run.stdout
    assert "booking_sales: skipped (REDIS_SALES_PASSWORD is not set)" in users_run.stdout
    refused = await booking_pool(env, "redis-users", "--disable-default")
    assert refused.returncode == 1 and "connected as `default`" in refused.stderr
