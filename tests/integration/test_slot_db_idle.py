"""SLOT_DB_IDLE: a slot closes PostgreSQL connections left idle that long, the last one too, so
a waiting slot, and a quiet tenant bot, hold no server connection (issue 11, item 6)."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

from core import keys
from core.crypto import TokenCipher
from core.migrations import migrate_platform
from core.platform_repo import Tenant, upsert_tenant
from core.settings import Settings
from pool.status import SlotStatus, parse
from pool.store import SlotStore
from pool.worker import run_slot
from sandbox.harness import wait_until

SLOT = "booking-bot-pool-1"
IDLE = 0.5


async def server_connections(conn: asyncpg.Connection, role: str | None = None) -> int:
    """Connections to this database but `conn` itself (of `role` only, when given)."""
    return await conn.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid() AND ($1::text IS NULL OR usename = $1)",
        role,
    )


async def test_a_waiting_slot_holds_no_connection_after_slot_db_idle(
    pg_dsn, redis_server, redis_client
):
    conn = await asyncpg.connect(pg_dsn)
    await migrate_platform(conn)
    settings = Settings(
        _env_file=None,
        database_url=pg_dsn,
        redis_host=redis_server.host,
        redis_port=redis_server.port,
        redis_password=redis_server.password,
        token_encryption_key=TokenCipher.generate_key(),
        bot_pool_id=1,
        slot_db_idle=IDLE,
        heartbeat_interval=IDLE / 5,  # the waiting slot's periodic work, counted below
        config_check_interval=IDLE / 5,
    )
    stop = asyncio.Event()
    slot = asyncio.create_task(run_slot(settings, stop))

    async def waiting():
        doc = parse(await redis_client.get(keys.bot_status(SLOT)))
        return doc is not None and doc.get("status") == SlotStatus.WAITING

    async def no_connection():
        return await server_connections(conn) == 0

    try:
        await wait_until(waiting, timeout=30, what="the slot waiting")
        await wait_until(no_connection, timeout=IDLE + 5, what="no connection of the slot")
        # and it stays so while the slot waits: its periodic rounds (seen by its heartbeat)
        # open none; a connection opened by one would live IDLE, longer than three beats
        beat = await redis_client.zscore(keys.pool_heartbeats(), SLOT)
        for _ in range(3):
            beat = await wait_until(
                lambda last=beat: _beat_after(redis_client, last), what="the next heartbeat"
            )
            assert await server_connections(conn) == 0
        assert not slot.done()
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(slot, timeout=20)
        await conn.close()


async def test_a_quiet_tenant_pool_holds_no_connection_after_idle(pg_dsn):
    cipher = TokenCipher(TokenCipher.generate_key())
    conn = await asyncpg.connect(pg_dsn)
    db = await asyncpg.create_pool(pg_dsn, min_size=0, max_size=1)
    tenant_db = None
    try:
        await migrate_platform(conn)
        await upsert_tenant(conn, Tenant("client_001", "Салон", 1))
        tenant_db = await SlotStore(db, cipher).open_tenant_db("client_001", pg_dsn, idle=IDLE)
        assert await tenant_db.fetchval("SELECT current_user") == "client_001"

        async def no_connection():
            return await server_connections(conn, "client_001") == 0

        await wait_until(no_connection, timeout=IDLE + 5, what="no connection of the tenant")
        assert await tenant_db.fetchval("SELECT 1") == 1  # and it reconnects when needed
    finally:
        if tenant_db is not None:
            await tenant_db.close()
        await db.close()
        await conn.close()


async def _beat_after(redis_client, last: float) -> float | None:
    """The slot's heartbeat time, once it is later than `last`."""
    beat = await redis_client.zscore(keys.pool_heartbeats(), SLOT)
    return beat if beat is not None and beat > last else None
