"""The one "may run" rule, enforced by PostgreSQL where a slot assignment opens: whatever code
path opens it (the pool's role included), a suspended tenant, one whose subscription ended, or
one with neither subscription nor operator grant does not get a slot."""

from __future__ import annotations

import asyncpg
import pytest

from core import platform_repo as repo
from core.migrations import migrate_platform
from tests.integration.test_tenant_isolation import as_role, owner

SLOT = "booking-bot-pool-1"


async def tenant(conn, client_id: str) -> None:
    await conn.execute(
        "INSERT INTO platform.tenants (client_id, company_name, admin_telegram_id)"
        " VALUES ($1, 'Салон', 1)",
        client_id,
    )


async def subscription(conn, client_id: str, status: str, ends: str | None) -> None:
    await conn.execute(
        "INSERT INTO platform.subscriptions (client_id, buyer_telegram_id, status, ends_at)"
        " VALUES ($1, 7, $2, now() + $3::text::interval)"
        " ON CONFLICT (client_id) DO UPDATE SET status = EXCLUDED.status,"
        " ends_at = EXCLUDED.ends_at",
        client_id,
        status,
        ends,
    )


async def refused(conn, client_id: str, slot: str = SLOT) -> str:
    with pytest.raises(repo.TenantMayNotRun) as caught:
        await repo.open_assignment(conn, slot, client_id, None)
    return caught.value.reason


@pytest.fixture
async def db(pg_dsn):
    async with owner(pg_dsn) as conn:
        await migrate_platform(conn)
    return pg_dsn


async def test_the_pool_role_opens_assignments_only_for_tenants_that_may_run(pg_server, db):
    async with owner(db) as conn:
        for n in range(1, 6):
            await tenant(conn, f"client_00{n}")
        await subscription(conn, "client_001", "pending", None)  # paid, not started yet
        await subscription(conn, "client_002", "active", "30 days")
        await subscription(conn, "client_003", "active", "30 days")
        await conn.execute(
            "UPDATE platform.tenants SET suspended_at = now() WHERE client_id = $1", "client_003"
        )
        await subscription(conn, "client_004", "released", "-5 days")
        # client_005: no subscription and no operator grant
    async with as_role(pg_server, db, "booking_pool") as conn:
        for table in ("subscriptions", "operator_grants", "refunds", "orders"):  # stays so
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.fetch(f"SELECT * FROM platform.{table}")
        assert await repo.open_assignment(conn, "booking-bot-pool-1", "client_001", None)
        assert await repo.open_assignment(conn, "booking-bot-pool-2", "client_002", None)
        assert await refused(conn, "client_003", "booking-bot-pool-3") == "suspended"
        assert await refused(conn, "client_004", "booking-bot-pool-4") == "subscription_ended"
        assert await refused(conn, "client_005", "booking-bot-pool-5") == "no_subscription"
        assert await conn.fetchval("SELECT platform.run_refusal('client_003')") == "suspended"
        # reopening a closed assignment by hand is an opening too
        await repo.close_assignment(conn, "booking-bot-pool-2", "test")
    async with owner(db) as conn:
        await conn.execute(
            "UPDATE platform.tenants SET suspended_at = now() WHERE client_id = $1", "client_002"
        )
    async with as_role(pg_server, db, "booking_pool") as conn:
        with pytest.raises(asyncpg.PostgresError) as caught:
            await conn.execute(
                "UPDATE platform.slot_assignments SET released_at = NULL WHERE client_id = $1",
                "client_002",
            )
        assert caught.value.sqlstate == "BP001"
        rows = await conn.fetch(
            "SELECT client_id FROM platform.slot_assignments WHERE released_at IS NULL"
        )
    assert [r["client_id"] for r in rows] == ["client_001"]


async def test_an_operator_grant_lets_a_client_without_subscription_run_until_it_ends(db):
    async with owner(db) as conn:
        await tenant(conn, "client_007")
        await conn.execute(
            "INSERT INTO platform.operator_grants (client_id, granted_until)"
            " VALUES ('client_007', now() - interval '1 minute')"
        )
        assert await refused(conn, "client_007") == "subscription_ended"
        await conn.execute(
            "UPDATE platform.operator_grants SET granted_until = now() + interval '30 days'"
        )
        assert await repo.open_assignment(conn, SLOT, "client_007", None)
        await repo.close_assignment(conn, SLOT, "test")
        await conn.execute("UPDATE platform.tenants SET suspended_at = now()")
        assert await refused(conn, "client_007") == "suspended"  # suspension wins over a grant


async def test_sales_reads_the_verdict_of_every_running_tenant_and_the_pool_does_not(pg_server, db):
    async with owner(db) as conn:
        for n in (1, 2):
            await tenant(conn, f"client_00{n}")
            await subscription(conn, f"client_00{n}", "active", "30 days")
            await repo.open_assignment(conn, f"booking-bot-pool-{n}", f"client_00{n}", None)
        await subscription(conn, "client_002", "released", "-1 day")
    async with as_role(pg_server, db, "booking_sales") as conn:
        rows = await conn.fetch(
            "SELECT slot, client_id, reason FROM platform.running_refusals ORDER BY slot"
        )
    assert [tuple(r) for r in rows] == [
        ("booking-bot-pool-1", "client_001", None),
        ("booking-bot-pool-2", "client_002", "subscription_ended"),
    ]
    async with as_role(pg_server, db, "booking_pool") as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.fetch("SELECT * FROM platform.running_refusals")


async def test_tenants_running_without_a_subscription_before_the_rule_keep_a_grant(pg_dsn):
    from core.migrations import _apply, load_migrations

    migrations = load_migrations("platform")
    before = [m for m in migrations if m.version < "005"]
    async with owner(pg_dsn) as conn:
        await _apply(conn, "platform", "platform", before)
        await tenant(conn, "client_001")  # activated by the CLI: no subscription
        await tenant(conn, "client_002")  # released long ago: nothing to keep
        await conn.execute(
            "INSERT INTO platform.slot_assignments (slot, client_id) VALUES ($1, 'client_001')",
            SLOT,
        )
        await migrate_platform(conn)
        grants = await conn.fetch(
            "SELECT client_id, granted_until - now() AS left FROM platform.operator_grants"
        )
        assert [g["client_id"] for g in grants] == ["client_001"]
        assert grants[0]["left"].days == 29
        assert await conn.fetchval("SELECT platform.run_refusal('client_001')") is None
        assert await conn.fetchval("SELECT count(*) FROM platform.running_refusals") == 1
