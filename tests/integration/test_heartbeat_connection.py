"""Fencing (issue 10, item 3): a worker's heartbeats survive a half-open Redis connection.

A TCP proxy in front of the real redis-server stops forwarding on the connections it has (no
reset, no close: what a dead NAT entry or a stalled peer looks like) while new connections
still work. The heartbeat, on its own connection with a bounded timeout, must reconnect and go
on beating, so the manager never releases a healthy slot as dead.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import asyncpg

from core import keys
from core.crypto import TokenCipher
from core.migrations import migrate_platform
from core.settings import Settings
from pool.worker import run_slot
from sandbox.harness import wait_until

SLOT = "booking-bot-pool-1"


class FreezingProxy:
    def __init__(self, port: int) -> None:
        self.target = port
        self.pumps: list[asyncio.Task] = []
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _accept(self, reader, writer) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        self.writers += [writer, up_writer]
        self.pumps += [
            asyncio.create_task(self._pump(reader, up_writer)),
            asyncio.create_task(self._pump(up_reader, writer)),
        ]

    @staticmethod
    async def _pump(reader, writer) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()

    def freeze_existing(self) -> None:
        """Existing connections go silent both ways; their sockets stay open."""
        for pump in self.pumps:
            pump.cancel()
        self.pumps = []

    async def close(self) -> None:
        self.freeze_existing()
        for writer in self.writers:
            writer.close()
        self.server.close()


async def test_heartbeats_go_on_when_the_redis_connection_goes_half_open(
    pg_dsn, redis_server, redis_client
):
    conn = await asyncpg.connect(pg_dsn)
    try:
        await migrate_platform(conn)
    finally:
        await conn.close()
    proxy = FreezingProxy(redis_server.port)
    await proxy.start()
    settings = Settings(
        _env_file=None,
        database_url=pg_dsn,
        redis_host="127.0.0.1",
        redis_port=proxy.port,
        redis_password=redis_server.password,
        token_encryption_key=TokenCipher.generate_key(),
        bot_pool_id=1,
        heartbeat_interval=0.3,
        heartbeat_timeout=1.0,
        config_check_interval=1.0,
    )
    stop = asyncio.Event()
    slot = asyncio.create_task(run_slot(settings, stop))

    async def beat_after(moment: float):
        score = await redis_client.zscore(keys.pool_heartbeats(), SLOT)
        return score is not None and score > moment

    try:
        await wait_until(lambda: beat_after(0), timeout=30, what="the first heartbeat")
        frozen_at = time.time()
        proxy.freeze_existing()
        # beats again within the heartbeat timeout plus a beat or two, on a new connection
        await wait_until(
            lambda: beat_after(frozen_at + 0.5), timeout=5, what="a heartbeat after the freeze"
        )
        assert not slot.done()
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(slot, timeout=20)
        await proxy.close()
