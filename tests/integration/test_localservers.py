"""The throw-away PostgreSQL and Redis servers that the integration and e2e tests stand on."""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest
import redis
import redis.asyncio as aioredis
import redis.exceptions
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from sandbox.localservers import LocalPostgres, LocalRedis, LocalServerError

TRICKY_PASSWORD = "pa'ss\"w:rd@/ x%\\"


def port_is_free(port: int) -> bool:
    """Could a new server listen on the port? (SO_REUSEADDR, as servers do, so that
    connections of the stopped server still in TIME_WAIT do not count.)"""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def assert_stopped_and_gone(server: LocalPostgres | LocalRedis, root: Path, port: int) -> None:
    """After `stop()`: the directory removed, the port free; a second stop is harmless."""
    assert not root.exists()
    assert port_is_free(port)
    server.stop()
    assert not server.running


@pytest.fixture
def shared_base_dir() -> Iterator[Path]:
    """A base directory the `postgres` OS user can enter (pytest's tmp_path is root-only)."""
    with tempfile.TemporaryDirectory(prefix="botpool-test-") as name:
        os.chmod(name, 0o755)
        yield Path(name)


# --------------------------------------------------------------------------- PostgreSQL


async def test_app_role_connects_over_tcp_with_its_password(pg_server: LocalPostgres) -> None:
    conn = await asyncpg.connect(pg_server.dsn)
    try:
        row = await conn.fetchrow(
            "SELECT current_user AS who, current_database() AS db, "
            "host(inet_server_addr()) AS addr, inet_server_port() AS port"
        )
        gist = await conn.fetchval("SELECT count(*) FROM pg_extension WHERE extname = 'btree_gist'")
    finally:
        await conn.close()
    assert dict(row) == {
        "who": "booking_user",
        "db": "booking_saas",
        "addr": "127.0.0.1",
        "port": pg_server.port,
    }
    assert gist == 1


@pytest.mark.parametrize("password", [None, "wrong-password"])
async def test_app_role_is_refused_without_its_password(
    pg_server: LocalPostgres,
    password: str | None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)  # nor a password from the environment

    dsn = pg_server.dsn_for("booking_saas", user="booking_user", password=password)
    with pytest.raises((asyncpg.InvalidAuthorizationSpecificationError, asyncpg.InterfaceError)):
        await asyncpg.connect(dsn, passfile=tmp_path / "no-pgpass")


async def test_btree_gist_exclusion_rejects_overlaps(pg_dsn: str) -> None:
    conn = await asyncpg.connect(pg_dsn)
    try:
        await conn.execute(
            """
            CREATE TABLE appointments (
                id bigserial PRIMARY KEY,
                staff_id int NOT NULL,
                during tstzrange NOT NULL,
                status text NOT NULL DEFAULT 'booked',
                EXCLUDE USING gist (staff_id WITH =, during WITH &&)
                    WHERE (status <> 'cancelled')
            )
            """
        )
        insert = "INSERT INTO appointments (staff_id, during) VALUES ($1, tstzrange($2, $3))"
        t = [datetime.fromisoformat(f"2025-03-01T{h:02d}:00:00+03:00") for h in range(10, 14)]
        await conn.execute(insert, 1, t[0], t[1])
        await conn.execute(insert, 1, t[1], t[2])  # back to back: allowed
        await conn.execute(insert, 2, t[0], t[2])  # another master: allowed
        with pytest.raises(asyncpg.ExclusionViolationError):
            await conn.execute(insert, 1, t[0], t[2])  # overlaps both of staff 1
        assert await conn.fetchval("SELECT count(*) FROM appointments") == 3
    finally:
        await conn.close()


async def test_each_test_database_is_fresh_and_separate(
    pg_server: LocalPostgres, pg_dsn: str
) -> None:
    other_dsn = pg_server.create_database("test_other_separate")
    try:
        first = await asyncpg.connect(pg_dsn)
        second = await asyncpg.connect(other_dsn)
        try:
            tables = "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            assert await first.fetchval(tables) == 0
            assert await first.fetchval("SELECT current_database()") not in (
                "booking_saas",
                "test_other_separate",
            )
            await first.execute("CREATE TABLE only_here (x int)")
            await first.execute("INSERT INTO only_here VALUES (1)")
            assert await first.fetchval(tables) == 1
            assert await second.fetchval(tables) == 0
            assert await second.fetchval("SELECT to_regclass('only_here')") is None
        finally:
            await first.close()
            await second.close()
    finally:
        pg_server.drop_database("test_other_separate")
    listed = pg_server.run_sql("SELECT datname FROM pg_database ORDER BY 1")
    assert "test_other_separate" not in listed.split()


async def test_postgres_stop_removes_its_directory_and_frees_the_port() -> None:
    server = LocalPostgres(password=TRICKY_PASSWORD, database="other_db").start()
    root, port = server.root_dir, server.port
    try:
        assert (root / "data" / "PG_VERSION").is_file()
        assert not port_is_free(port)
        assert TRICKY_PASSWORD not in repr(server)
        conn = await asyncpg.connect(server.dsn)  # the DSN quotes the password
        try:
            assert await conn.fetchval("SELECT current_database()") == "other_db"
        finally:
            await conn.close()
        out = server.run_sql("SELECT rolname FROM pg_roles WHERE rolcanlogin ORDER BY 1")
        assert out.split() == ["booking_user", "postgres"]
    finally:
        server.stop()
    assert_stopped_and_gone(server, root, port)


# --------------------------------------------------------------------------- Redis


async def test_redis_client_fixture_talks_to_an_empty_server(
    redis_client: aioredis.Redis,
) -> None:
    assert await redis_client.dbsize() == 0
    await redis_client.set("bot_status:booking-bot-pool-1", '{"status": "waiting"}')
    assert await redis_client.get("bot_status:booking-bot-pool-1") == '{"status": "waiting"}'


@pytest.mark.parametrize("password", [None, "wrong-password"])
async def test_redis_requires_the_password(redis_server: LocalRedis, password: str | None) -> None:
    # no retries: redis-py 8 retries connection errors (AuthenticationError is one) 10 times
    client = aioredis.Redis(
        host=redis_server.host,
        port=redis_server.port,
        password=password,
        retry=Retry(NoBackoff(), 0),
    )
    try:
        with pytest.raises(redis.exceptions.AuthenticationError):
            await client.set("k", "v")
    finally:
        await client.aclose()


async def test_redis_restart_empty_keeps_port_and_loses_data(
    redis_server: LocalRedis, redis_client: aioredis.Redis
) -> None:
    port, url, pid = redis_server.port, redis_server.url, redis_server.pid
    await redis_client.set("bot_status:booking-bot-pool-1", "active")

    redis_server.restart_empty()

    assert (redis_server.port, redis_server.url) == (port, url)
    assert redis_server.pid != pid
    fresh = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        assert await fresh.dbsize() == 0
    finally:
        await fresh.aclose()
    # a client that was connected before the restart reconnects on its own (redis-py retries)
    assert await redis_client.get("bot_status:booking-bot-pool-1") is None


def test_redis_stop_removes_its_directory_and_frees_the_port() -> None:
    server = LocalRedis(password=TRICKY_PASSWORD).start()
    root, port = server.root_dir, server.port
    try:
        assert TRICKY_PASSWORD not in repr(server)
        with redis.Redis.from_url(server.url) as client:  # the URL quotes the password
            assert client.ping() is True
        assert not port_is_free(port)
    finally:
        server.stop()
    assert_stopped_and_gone(server, root, port)


def test_redis_keep_leaves_the_directory_for_inspection(shared_base_dir: Path) -> None:
    server = LocalRedis(base_dir=shared_base_dir, keep=True).start()
    root = server.root_dir
    server.stop()
    assert root.parent == shared_base_dir
    assert (root / "redis.log").is_file()


# --------------------------------------------------------------------------- both


@pytest.mark.parametrize("server_class", [LocalPostgres, LocalRedis])
def test_failed_start_shows_the_log_and_hides_the_password(
    server_class: type[LocalPostgres] | type[LocalRedis], shared_base_dir: Path
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        server = server_class(base_dir=shared_base_dir, port=port, password="hunter2-secret")
        with pytest.raises(LocalServerError) as caught:
            server.start()
    text = str(caught.value)
    assert f"127.0.0.1:{port}" in text
    assert "already in use" in text
    assert "hunter2-secret" not in text
    assert list(shared_base_dir.iterdir()) == []  # nothing left behind
    assert not server.running
