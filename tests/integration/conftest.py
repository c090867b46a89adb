"""Fixtures shared by the integration tests (the servers themselves: `tests/conftest.py`).

- `db` — an asyncpg pool on the test's fresh database with the platform schema migrated; a
  module that needs another `db` (a tenant schema, a DSN) defines its own, which wins there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from core.migrations import migrate_platform


@pytest.fixture
async def db(pg_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=12)
    async with pool.acquire() as conn:
        await migrate_platform(conn)
    try:
        yield pool
    finally:
        await pool.close()
