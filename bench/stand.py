"""What the pool benchmarks share: PostgreSQL, Redis and the Telegram sandbox on loopback, the
environment a slot runs with, the pool manager, and one measured activation.

`async with pool_stand(workdir, HEARTBEAT_INTERVAL="1") as stand:` starts the servers, migrates
the platform schema and gives `stand.env` (for slot processes), `stand.db` (the owner's pool),
`stand.manager`; everything is stopped on the way out, however the block ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import redis.asyncio as aioredis

from core.crypto import TokenCipher
from core.db import create_pool
from core.migrations import migrate_all
from core.platform_repo import grant_operator_period
from core.redis_client import make_redis
from core.settings import Settings
from pool.manager import ActivationResult, BotPoolManager
from sandbox.harness import SandboxTelegramProcess
from sandbox.localservers import LocalPostgres, LocalRedis, server_env
from sandbox.telegram.client import SandboxTelegram


@dataclass
class PoolStand:
    pg: LocalPostgres
    redis_server: LocalRedis
    telegram: SandboxTelegramProcess
    env: dict[str, str]
    settings: Settings
    db: asyncpg.Pool
    redis: aioredis.Redis
    manager: BotPoolManager

    async def grant(self, client_ids: list[str], days: int = 1) -> None:
        """No Sales here: the operator's grant lets these tenants run."""
        async with self.db.acquire() as conn:
            for client_id in client_ids:
                await grant_operator_period(conn, client_id, days, "bench")


@contextlib.asynccontextmanager
async def pool_stand(
    workdir: Path, *, stale_after: float = 10, **env: str
) -> AsyncIterator[PoolStand]:
    """Servers and the manager for a pool benchmark; `env`: more settings for the slots (and
    for this process: they are put into `os.environ` too)."""
    pg = LocalPostgres().start()
    redis_server = telegram = db = redis = None
    try:
        redis_server = LocalRedis().start()
        telegram = SandboxTelegramProcess(workdir / "telegram.log").start()
        key = TokenCipher.generate_key()
        slot_env = {
            **server_env(pg.dsn, redis_server),
            "TELEGRAM_API_BASE": telegram.url,
            "TOKEN_ENCRYPTION_KEY": key,
            "LOG_LEVEL": "WARNING",
            **env,
        }
        os.environ.update(slot_env)
        settings = Settings(_env_file=None)
        db = await create_pool(settings.dsn)
        async with db.acquire() as conn:
            await migrate_all(conn)
        redis = make_redis(settings)
        manager = BotPoolManager(redis, TokenCipher(key), stale_after=stale_after)
        yield PoolStand(pg, redis_server, telegram, slot_env, settings, db, redis, manager)
    finally:
        if redis is not None:
            await redis.aclose()
        if db is not None:
            await db.close()
        if telegram is not None:
            telegram.stop()
        if redis_server is not None:
            redis_server.stop()
        pg.stop()


async def activate_and_greet(
    manager: BotPoolManager,
    tg: SandboxTelegram,
    slot: str,
    *,
    token: str,
    username: str,
    admin_id: int,
    client_id: str,
    company: str,
    customer: int,
    timeout: float = 30,
) -> tuple[float, ActivationResult]:
    """Activate `slot` for a registered sandbox bot and time it: from `activate_bot()` to the
    tenant bot's answer to a customer's first `/start` (sent right after `activate_bot`
    returns, so it waits in Telegram's queue until the bot polls). Returns milliseconds and the
    worker's acknowledgement; raises SystemExit when the activation fails."""
    started = time.perf_counter()
    activation = await manager.activate_bot(slot, token, admin_id, client_id, company)
    sent = await tg.send_message(username, customer, "/start")
    result, reply = await asyncio.gather(
        manager.wait_for_activation(slot, activation, timeout),
        tg.wait_for_reply(username, customer, after=sent["message_id"], timeout=timeout),
    )
    answered = time.perf_counter()
    if not result.ok or company not in reply.get("text", ""):
        raise SystemExit(f"{slot} ({client_id}): activation failed: {result.error or reply}")
    return (answered - started) * 1000, result
