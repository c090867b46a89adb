"""The asyncpg pool, named queries from `.sql` files, mapping rows to dataclasses, quoting of
tenant schema names, and reading a command's row count.

SQL lives in one `.sql` file beside each repository (`bots/repository.py` →
`bots/repository.sql`), as aiosql named queries (`-- name: get-order^`, `:name` parameters,
bound as `$n`). A repository loads its file once with `queries(__file__)` — or, for a tenant's
schema, `TenantQueries(__file__).for_client(client_id)` — calls a query with keyword arguments, and maps
rows with `row_to` / `rows_to`. aiosql's operators as its asyncpg adapter runs them: none →
an async iterator of records (`fetch`), `^` → one record or None (`fetchrow`), `$` → one value
(`fetchval`), `<!` → `fetchrow` (the first column when there is only one), `!` → the command
status (`"UPDATE 3"`: read it with `affected_rows`), `*!` → `executemany` (nothing).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Mapping
from dataclasses import fields
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import aiosql
import asyncpg
from aiosql.adapters.asyncpg import AsyncPGAdapter
from aiosql.queries import Queries
from aiosql.query_loader import QueryLoader
from aiosql.types import QueryDatum

from core.keys import check_client_id

T = TypeVar("T")

# Where a tenant repository's `.sql` file names the tenant's schema: `{schema}.bookings`.
SCHEMA_MARK = "{schema}"


def schema_ident(client_id: str) -> str:
    """A validated, quoted schema identifier for `client_NNN`: the one identifier that is
    ever put into SQL text (here and in the migrations runner)."""
    return '"' + check_client_id(client_id) + '"'


def sql_path(module_file: str) -> Path:
    """The `.sql` file kept beside a repository module (`__file__`)."""
    return Path(module_file).with_suffix(".sql")


def queries(module_file: str) -> Queries:
    """The named queries of a repository's `.sql` file; call as `Q.get_x(conn, name=value)`."""
    return aiosql.from_path(sql_path(module_file), "asyncpg", mandatory_parameters=False)


class TenantQueries:
    """The named queries of a tenant repository's `.sql` file, parsed once (at import, like
    `queries`: parsing is what costs, aiosql reads the file a character at a time), with
    `{schema}` still in each query's text. `for_client(client_id)` puts in the validated, quoted
    `client_NNN` (well under a millisecond, cached). Schema-qualified names work on any
    connection — the tenant bot's own (role `client_NNN`, whose search_path is its schema) and
    the platform's — and cost no round trip (a `SET LOCAL search_path` would need a transaction
    around every call)."""

    def __init__(self, module_file: str) -> None:
        path = sql_path(module_file)
        self._adapter = AsyncPGAdapter()  # keeps each query's parameter order: one for all
        loader = QueryLoader(self._adapter, None, attribute="__", mandatory_parameters=False)
        self._template: list[QueryDatum] = loader.load_query_data_from_sql(
            path.read_text(encoding="utf-8"), [], path
        )
        self.for_client = lru_cache(maxsize=256)(self._for_client)

    def _for_client(self, client_id: str) -> Queries:
        schema = schema_ident(client_id)
        data = [d._replace(sql=d.sql.replace(SCHEMA_MARK, schema)) for d in self._template]
        return Queries(self._adapter).load_from_list(data)


def row_to(cls: type[T], record: Mapping[str, Any] | None) -> T | None:
    """A record as dataclass `cls` (each field from the column of its name), None for None."""
    if record is None:
        return None
    return cls(**{f.name: record[f.name] for f in fields(cls)})


async def rows_to(cls: type[T], records: AsyncIterable[Mapping[str, Any]]) -> list[T]:
    """The records of a select (aiosql yields them) as dataclasses `cls`."""
    return [row_to(cls, record) async for record in records]


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
