"""Shared fixtures: a real PostgreSQL and a real Redis on 127.0.0.1, started by the suite itself.

Session-scoped (started on first use, stopped when the session ends):

- `pg_server` — a started `LocalPostgres`: app role `booking_user`, database `booking_saas`
  with `btree_gist`; `pg_server.admin_dsn` is the superuser over the unix socket.
- `redis_server` — a started `LocalRedis` with a password (`redis_server.url`).

Per test:

- `pg_dsn` — the DSN (app role `booking_user`) of a FRESH, empty database `test_<n>` with
  `btree_gist` (a copy of the session's `test_template`), dropped after the test (connections
  still open to it are closed).
- `redis_client` — a `redis.asyncio.Redis` (decode_responses=True) on the session server,
  after FLUSHALL; closed after the test.
- `env_for_servers` — `DATABASE_URL` (the test's fresh database), `REDIS_HOST`, `REDIS_PORT`,
  `REDIS_PASSWORD` for a child process, Redis flushed; merge into `os.environ` yourself:
  `subprocess.Popen(cmd, env={**os.environ, **env_for_servers})`.

Unit tests that request none of these start no server.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
import redis.asyncio as aioredis

from sandbox.localservers import LocalPostgres, LocalRedis, server_env

_database_numbers = itertools.count(1)


_TEMPLATE = "test_template"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[LocalPostgres]:
    # Not under pytest's tmp_path: as root, PostgreSQL runs as `postgres`, which cannot enter
    # /tmp/pytest-of-root (mode 0700). LocalPostgres makes its own directory in /tmp.
    server = LocalPostgres().start()
    try:
        # what every test's database starts as (empty, btree_gist), copied per test: nothing
        # connects to it, so the copy is a plain CREATE DATABASE … TEMPLATE
        server.create_database(_TEMPLATE)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[LocalRedis]:
    server = LocalRedis().start()
    try:
        yield server
    finally:
        server.stop()


@pytest_asyncio.fixture
async def pg_dsn(pg_server: LocalPostgres) -> AsyncIterator[str]:
    name = f"test_{next(_database_numbers)}"
    dsn = await asyncio.to_thread(pg_server.create_database, name, template=_TEMPLATE)
    try:
        yield dsn
    finally:
        await asyncio.to_thread(pg_server.drop_database, name)


@pytest_asyncio.fixture
async def redis_client(redis_server: LocalRedis) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis(
        host=redis_server.host,
        port=redis_server.port,
        password=redis_server.password,
        decode_responses=True,
        socket_timeout=None,  # blocking waits of the manager run longer than redis-py's 5 s
    )
    try:
        await client.flushall()
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def env_for_servers(
    pg_dsn: str, redis_server: LocalRedis, redis_client: aioredis.Redis
) -> dict[str, str]:
    # redis_client is requested for its FLUSHALL: the child starts with an empty Redis
    return server_env(pg_dsn, redis_server)
