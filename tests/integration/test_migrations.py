"""Migrations on a real PostgreSQL: idempotent, concurrent-safe, tenant schemas isolated."""

import asyncio

import asyncpg
import pytest

from core.migrations import load_migrations, migrate_all, migrate_platform, migrate_tenant


async def test_platform_migrations_twice_are_a_no_op(pg_dsn):
    conn = await asyncpg.connect(pg_dsn)
    try:
        first = await migrate_platform(conn)
        assert first == [m.name for m in load_migrations("platform")]
        assert await migrate_platform(conn) == []
        tables = {
            r["table_name"]
            for r in await conn.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'platform'"
            )
        }
        assert {
            "tenants",
            "tenant_bots",
            "slot_assignments",
            "activation_history",
            "schema_migrations",
        } <= tables
        versions = await conn.fetchval("SELECT count(*) FROM platform.schema_migrations")
        assert versions == len(first)
    finally:
        await conn.close()


async def test_concurrent_runners_apply_each_migration_once(pg_dsn):
    conns = [await asyncpg.connect(pg_dsn) for _ in range(3)]
    try:
        results = await asyncio.gather(*(migrate_platform(c) for c in conns))
        applied = [name for r in results for name in r]
        assert sorted(applied) == sorted(m.name for m in load_migrations("platform"))
    finally:
        for c in conns:
            await c.close()


async def test_tenant_schema_created_and_separate(pg_dsn):
    conn = await asyncpg.connect(pg_dsn)
    try:
        await migrate_platform(conn)
        assert await migrate_tenant(conn, "client_001") == [
            m.name for m in load_migrations("tenant")
        ]
        assert await migrate_tenant(conn, "client_001") == []
        await migrate_tenant(conn, "client_002")
        await conn.execute("INSERT INTO client_001.bot_users (telegram_id) VALUES (1)")
        assert await conn.fetchval("SELECT count(*) FROM client_002.bot_users") == 0
        schemas = {r["nspname"] for r in await conn.fetch("SELECT nspname FROM pg_namespace")}
        assert {"platform", "client_001", "client_002"} <= schemas
    finally:
        await conn.close()


async def test_migrate_all_reaches_every_known_tenant(pg_dsn):
    conn = await asyncpg.connect(pg_dsn)
    try:
        await migrate_platform(conn)
        await conn.execute(
            "INSERT INTO platform.tenants (client_id, company_name, admin_telegram_id)"
            " VALUES ('client_007', 'A', 1)"
        )
        result = await migrate_all(conn)
        assert result["platform"] == []
        assert result["client_007"]
        assert await migrate_all(conn) == {"platform": [], "client_007": []}
    finally:
        await conn.close()


@pytest.mark.parametrize("bad", ["client_1", 'client_001"; DROP SCHEMA platform; --', "public"])
async def test_tenant_names_are_validated(pg_dsn, bad):
    conn = await asyncpg.connect(pg_dsn)
    try:
        with pytest.raises(ValueError, match="client_NNN"):
            await migrate_tenant(conn, bad)
    finally:
        await conn.close()
