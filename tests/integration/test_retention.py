"""Retention on real PostgreSQL and Redis, run with the Sales service's own PostgreSQL role and
Redis user: an archived tenant's schema, role, token, Redis keys and user are gone after
`archive_until` while its billing rows remain; its buyer was reminded before and could export the
data; history, alerts, abandoned orders and notices are pruned by age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import asyncpg
import pytest
import redis.asyncio as aioredis
from loguru import logger

from core import redis_acl
from core.crypto import TokenCipher
from core.migrations import migrate_platform, migrate_tenant
from core.tenant_access import (
    ensure_tenant_role,
    tenant_db_password,
    tenant_dsn,
    tenant_redis_password,
)
from sales.retention import RetentionService
from tests.fakes import RecordingNotifier

CIPHER = TokenCipher(TokenCipher.generate_key())
BUYER = 555000111


async def add_released_tenant(
    conn, client_id: str, archive_until: datetime, reminded_at: datetime | None = None
) -> None:
    await conn.execute(
        "INSERT INTO platform.tenants (client_id, company_name, admin_telegram_id)"
        " VALUES ($1, 'Салон', 42)",
        client_id,
    )
    await conn.execute(
        "INSERT INTO platform.tenant_bots (client_id, bot_id, bot_username, token_encrypted,"
        " token_fingerprint) VALUES ($1, 7000000001, $2, $3, 'fp')",
        client_id,
        f"{client_id}_bot",
        CIPHER.encrypt("7000000001:" + "A" * 35),
    )
    order_id = await conn.fetchval(
        "INSERT INTO platform.orders (kind, buyer_telegram_id, days, amount, currency, client_id,"
        " company_name, admin_telegram_id, token_encrypted, token_fingerprint, status, payment_id,"
        " paid_at) VALUES ('new', $1, 30, 990, 'RUB', $2, 'Салон', 42, $3, 'fp', 'active', $4,"
        " now() - interval '200 days') RETURNING id",
        BUYER,
        client_id,
        CIPHER.encrypt("7000000001:" + "A" * 35),
        f"pay-{client_id}",
    )
    await conn.execute(
        "INSERT INTO platform.payments (payment_id, order_id, amount, currency, status,"
        " received_via) VALUES ($1, $2, 990, 'RUB', 'succeeded', 'webhook')",
        f"pay-{client_id}",
        order_id,
    )
    await conn.execute(
        "INSERT INTO platform.subscriptions (client_id, buyer_telegram_id, status, starts_at,"
        " ends_at, released_at, archive_until, purge_reminded_at) VALUES ($1, $2, 'released',"
        " now() - interval '200 days', now() - interval '170 days', now() - interval '90 days', $3,"
        " $4)",
        client_id,
        BUYER,
        archive_until,
        reminded_at,
    )
    password = await tenant_db_password(conn, CIPHER, client_id)
    await ensure_tenant_role(conn, client_id, password)
    dsn = tenant_dsn(conn_dsn(conn), client_id, password)
    tenant = await asyncpg.connect(dsn)
    try:
        await migrate_tenant(tenant, client_id)
        await tenant.execute(
            "INSERT INTO bot_users (telegram_id, full_name, phone) VALUES (1, 'Анна', '+79001234567')"
        )
    finally:
        await tenant.close()


_DSNS: dict[int, str] = {}


def conn_dsn(conn) -> str:
    return _DSNS[id(conn)]


@pytest.fixture
async def platform(pg_server, pg_dsn, redis_server, redis_client):
    """A migrated platform, client_700 (archive ended, buyer reminded a week ago) and client_701
    (archive ends in 3 days, not reminded yet),
    each with role, schema, a customer, a paid order, Redis user and keys. Yields the Sales
    service's database pool (SET ROLE booking_sales) and Redis client (user booking_sales)."""
    owner = await asyncpg.connect(pg_dsn)
    _DSNS[id(owner)] = pg_dsn
    try:
        await migrate_platform(owner)
        now = datetime.now(UTC)
        await add_released_tenant(
            owner, "client_700", now - timedelta(minutes=1), now - timedelta(days=7)
        )
        await add_released_tenant(owner, "client_701", datetime.now(UTC) + timedelta(days=3))
    finally:
        await owner.close()
    for client_id in ("client_700", "client_701"):
        await redis_acl.ensure_tenant_user(
            redis_client, client_id, tenant_redis_password(CIPHER, client_id)
        )
        await redis_client.set(f"{client_id}:fsm:1:5:5:data", '{"phone": "+7900"}')
        await redis_client.set(f"{client_id}:ratelimit:5", 1)
    await redis_client.set("client_7000:fsm:1:5:5:data", "another tenant")
    await redis_client.set("sales:fsm:1:5:5:data", "sales")
    await redis_acl.set_user(
        redis_client, "booking_sales", redis_acl.service_rules("booking_sales", "sales-pw")
    )
    database = urlsplit(pg_dsn).path.lstrip("/")

    async def as_sales(conn):
        await conn.execute("SET ROLE booking_sales")

    db = await asyncpg.create_pool(
        pg_server.admin_dsn_for(database), min_size=1, max_size=3, init=as_sales
    )
    sales_redis = aioredis.Redis(
        host=redis_server.host,
        port=redis_server.port,
        username="booking_sales",
        password="sales-pw",
        decode_responses=True,
    )
    try:
        yield db, sales_redis
    finally:
        await sales_redis.aclose()
        await db.close()
        await redis_client.execute_command("ACL", "DELUSER", "booking_sales", "client_701")


async def test_an_archived_tenants_data_is_deleted_and_its_billing_rows_remain(
    platform, pg_dsn, redis_client
):
    db, sales_redis = platform
    notifier = RecordingNotifier()
    retention = RetentionService(
        db=db, redis=sales_redis, notifier=notifier, log=logger, notice_days=7
    )
    # the buyer could export the data before the deletion
    exported = await retention.export("client_700")
    assert exported["bot_users"][0]["phone"] == "+79001234567"

    done = await retention.tick()
    assert done["purged"] == 1

    owner = await asyncpg.connect(pg_dsn)
    try:
        for client_id, present in (("client_700", False), ("client_701", True)):
            schema = await owner.fetchval(
                "SELECT count(*) FROM pg_namespace WHERE nspname = $1", client_id
            )
            role = await owner.fetchval(
                "SELECT count(*) FROM pg_roles WHERE rolname = $1", client_id
            )
            token = await owner.fetchval(
                "SELECT count(*) FROM platform.tenant_bots WHERE client_id = $1", client_id
            )
            password = await owner.fetchval(
                "SELECT count(*) FROM platform.tenant_credentials WHERE client_id = $1", client_id
            )
            assert (schema, role, token, password) == ((1, 1, 1, 1) if present else (0, 0, 0, 0))
        # billing records stay: tenant, order (without the token), payment, subscription
        order = await owner.fetchrow(
            "SELECT token_encrypted, amount FROM platform.orders WHERE client_id = 'client_700'"
        )
        assert order["token_encrypted"] is None and order["amount"] == 990
        assert (
            await owner.fetchval(
                "SELECT count(*) FROM platform.payments WHERE payment_id = 'pay-client_700'"
            )
            == 1
        )
        assert (
            await owner.fetchval(
                "SELECT company_name FROM platform.tenants WHERE client_id = 'client_700'"
            )
            == "Салон"
        )
        assert await owner.fetchval(
            "SELECT purged_at IS NOT NULL FROM platform.subscriptions WHERE client_id = 'client_700'"
        )
    finally:
        await owner.close()
    # Redis: the archived tenant's user and keys are gone, nobody else's
    users = set(await redis_client.execute_command("ACL", "USERS"))
    assert "client_700" not in users and "client_701" in users
    assert await redis_client.keys("client_700:*") == []
    assert len(await redis_client.keys("client_701:*")) == 2
    assert await redis_client.get("client_7000:fsm:1:5:5:data") == "another tenant"
    assert await redis_client.get("sales:fsm:1:5:5:data") == "sales"
    # both buyers were told: client_700's data is deleted, client_701's will be (once)
    kinds = sorted((name, args[0]) for name, *args in notifier.sent)
    assert kinds == [("archive_deleted", BUYER), ("archive_soon", BUYER)]
    assert await retention.export("client_700") is None
    again = await retention.tick()
    assert again["purged"] == 0 and again["reminded"] == 0
    assert len(notifier.sent) == 2


async def test_history_alerts_and_abandoned_orders_are_pruned_by_age(platform, pg_dsn):
    db, sales_redis = platform
    owner = await asyncpg.connect(pg_dsn)
    try:
        await owner.execute(
            """
            INSERT INTO platform.activation_history (slot, event, created_at) VALUES
                ('booking-bot-pool-1', 'activated', now() - interval '400 days'),
                ('booking-bot-pool-1', 'activated', now() - interval '1 day');
            INSERT INTO platform.alerts (kind, detail, created_at, delivered_at) VALUES
                ('old_delivered', 'x', now() - interval '100 days', now() - interval '100 days'),
                ('old_undelivered', 'x', now() - interval '100 days', NULL),
                ('recent', 'x', now(), now());
            INSERT INTO platform.orders (kind, buyer_telegram_id, status, created_at) VALUES
                ('new', 1, 'new', now() - interval '40 days'),
                ('new', 1, 'cancelled', now() - interval '40 days'),
                ('new', 1, 'pending', now() - interval '1 day');
            """
        )
        retention = RetentionService(
            db=db, redis=sales_redis, notifier=RecordingNotifier(), log=logger
        )
        done = await retention.tick()
        assert (done["activation_history"], done["alerts"], done["orders"]) == (1, 1, 2)
        assert await owner.fetchval("SELECT count(*) FROM platform.activation_history") == 1
        assert sorted(r["kind"] for r in await owner.fetch("SELECT kind FROM platform.alerts")) == [
            "old_undelivered",
            "recent",
        ]
        # paid orders (billing) and a recent unpaid one stay
        assert (
            await owner.fetchval("SELECT count(*) FROM platform.orders WHERE paid_at IS NOT NULL")
            == 2
        )
        assert (
            await owner.fetchval("SELECT count(*) FROM platform.orders WHERE status = 'pending'")
            == 1
        )
    finally:
        await owner.close()


async def test_an_archive_is_never_deleted_before_its_buyer_was_reminded(platform, pg_dsn):
    db, sales_redis = platform
    owner = await asyncpg.connect(pg_dsn)
    try:
        await owner.execute(
            "UPDATE platform.subscriptions SET purge_reminded_at = NULL"
            " WHERE client_id = 'client_700'"
        )
        notifier = RecordingNotifier()
        retention = RetentionService(
            db=db, redis=sales_redis, notifier=notifier, log=logger, notice_days=7
        )
        done = await retention.tick()
        assert done["purged"] == 0 and done["reminded"] == 2
        until = await owner.fetchval(
            "SELECT archive_until FROM platform.subscriptions WHERE client_id = 'client_700'"
        )
        assert until > datetime.now(UTC) + timedelta(days=6, hours=23)
        assert await owner.fetchval("SELECT count(*) FROM pg_roles WHERE rolname = 'client_700'")
    finally:
        await owner.close()


async def test_the_buyer_is_told_when_the_operator_suspends_and_resumes(platform, pg_dsn):
    from master import repository as master_repo

    db, sales_redis = platform
    owner = await asyncpg.connect(pg_dsn)
    try:
        await master_repo.set_suspended(owner, "client_701", "suspended by operator")
        await master_repo.queue_buyer_notice(owner, "client_701", "suspended")
    finally:
        await owner.close()

    class Buyer(RecordingNotifier):
        blocked = True

        async def operator_notice(self, buyer, username, kind):
            if self.blocked:
                return "TelegramNetworkError: timeout"
            self.sent.append(("operator_notice", buyer, username, kind))
            return None

    buyer = Buyer()
    retention = RetentionService(db=db, redis=sales_redis, notifier=buyer, log=logger)
    assert await retention.deliver_notices() == 0  # kept for the next round
    buyer.blocked = False
    assert await retention.deliver_notices() == 1
    assert await retention.deliver_notices() == 0
    assert buyer.sent == [("operator_notice", BUYER, "client_701_bot", "suspended")]
