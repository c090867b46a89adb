"""The asyncpg pool, quoting of tenant schema names, and reading a command's row count."""

from __future__ import annotations

import asyncio
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

from core.keys import check_client_id


def schema_ident(client_id: str) -> str:
    """A validated, quoted schema identifier for `client_NNN`."""
    return '"' + check_client_id(client_id) + '"'


def affected_rows(status: str) -> int:
    """The row count in the status asyncpg's `execute` returns: `"UPDATE 3"` → 3,
    `"INSERT 0 1"` → 1. Raises `ValueError` for a command that reports no count
    (`"CREATE TABLE"`), so a wrong query cannot pass for "no rows"."""
    count = status.rpartition(" ")[2]
    if not count.isdigit():
        raise ValueError(f"no row count in command status {status!r}")
    return int(count)


def dsn_as(dsn: str, user: str, password: str) -> str:
    """`dsn` (host, port, database, options) with another role and its password."""
    parts = urlsplit(dsn)
    hostinfo = parts.netloc.rsplit("@", 1)[-1]
    userinfo = f"{quote(user, safe='')}:{quote(password, safe='')}"
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{hostinfo}"))


async def create_pool(
    dsn: str,
    *,
    min_size: int = 1,
    max_size: int = 5,
    init_size: int | None = None,
    attempts: int = 1,
    delay: float = 1.0,
    server_settings: dict[str, str] | None = None,
    max_inactive: float = 300.0,
) -> asyncpg.Pool:
    """Open a pool; retry `attempts` times when the server is not up yet.

    `min_size` connections stay open whatever their idle time (asyncpg ≥ 0.32); `max_inactive`
    closes the others. `init_size` (default `min_size`) are opened at once: with `min_size=0`
    and `init_size=1` the server is reached at start and a quiet pool still drains to none.
    The error never contains the DSN (it holds the password).
    """
    last: Exception | None = None
    for attempt in range(max(1, attempts)):
        try:
            return await asyncpg.create_pool(
                dsn,
                init_size=init_size,
                min_size=min_size,
                max_size=max_size,
                command_timeout=60,
                server_settings=server_settings,
                max_inactive_connection_lifetime=max_inactive,
            )
        except (OSError, asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError) as exc:
            last = exc
            if attempt + 1 < attempts:
                await asyncio.sleep(delay)
    raise ConnectionError(f"cannot connect to PostgreSQL: {type(last).__name__}: {last}") from None


async def pool_from_settings(
    settings,
    *,
    attempts: int = 1,
    min_size: int | None = None,
    init_size: int | None = None,
    max_size: int | None = None,
    max_inactive: float = 300.0,
) -> asyncpg.Pool:
    """The service's pool; `max_inactive`: seconds after which an idle connection above
    `min_size` (default the setting) is closed; see `create_pool`."""
    max_size = max_size or settings.db_pool_max_size
    if min_size is None:
        min_size = min(settings.db_pool_min_size, max_size)
    return await create_pool(
        settings.dsn,
        min_size=min_size,
        init_size=init_size,
        max_size=max_size,
        attempts=attempts,
        max_inactive=max_inactive,
    )
