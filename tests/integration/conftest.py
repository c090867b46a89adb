"""Fixtures shared by the integration tests (the servers themselves: `tests/conftest.py`).

- `salon` — a running tenant bot on the in-process Telegram (`booking_stand.running_salon`).
- `db` — an asyncpg pool on the test's fresh database with the platform schema migrated; a
  module that needs another `db` (a tenant schema, a DSN) defines its own, which wins there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import asyncpg
import pytest
import redis.asyncio as aioredis

from core.migrations import migrate_platform

if TYPE_CHECKING:
    from tests.integration.booking_stand import Salon


@pytest.fixture
async def salon(pg_dsn: str, redis_client: aioredis.Redis) -> AsyncIterator[Salon]:
    from tests.integration.booking_stand import running_salon  # aiogram only where used

    async with running_salon(pg_dsn, redis_client) as s:
        yield s


@pytest.fixture
async def db(pg_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=12)
    async with pool.acquire() as conn:
        await migrate_platform(conn)
    try:
        yield pool
    finally:
        await pool.close()
