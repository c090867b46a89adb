"""Plain numbered `.sql` files, applied in order, each in its own transaction.

`sql/platform/` goes into schema `platform`; `sql/tenant/` into each `client_NNN`. Applied versions
are recorded in `<schema>.schema_migrations`; an advisory lock per schema makes concurrent runners
wait for each other, so running twice (or from two processes at once) is a no-op.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from core.db import schema_ident
from core.keys import check_client_id

PLATFORM_SCHEMA = "platform"
_NAME_RE = re.compile(r"^(?P<version>[0-9]{3,})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str


def sql_dir() -> Path:
    """`sql/` at the top of the checkout (the application is deployed as a checkout)."""
    return Path(__file__).resolve().parent.parent / "sql"


def load_migrations(kind: str, directory: Path | None = None) -> list[Migration]:
    folder = directory or sql_dir() / kind
    found: list[Migration] = []
    for path in sorted(folder.glob("*.sql")):
        match = _NAME_RE.match(path.name)
        if match is None:
            raise ValueError(f"migration file {path.name!r} must be named NNN_description.sql")
        found.append(Migration(match["version"], path.name, path.read_text(encoding="utf-8")))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"duplicate migration versions in {folder}")
    return found


async def _apply(
    conn: asyncpg.Connection, schema: str, quoted: str, migrations: list[Migration]
) -> list[str]:
    applied_now: list[str] = []
    async with conn.transaction():
        # Serialise runners on this schema for the whole run.
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext('migrations'), hashtext($1))", schema
        )
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted}")
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {quoted}.schema_migrations ("
            " version text PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {
            r["version"]
            for r in await conn.fetch(f"SELECT version FROM {quoted}.schema_migrations")
        }
        for migration in migrations:
            if migration.version in done:
                continue
            async with conn.transaction():
                await conn.execute(f"SET LOCAL search_path TO {quoted}, public")
                try:
                    await conn.execute(migration.sql)
                except asyncpg.PostgresError as exc:
                    raise MigrationError(f"{schema}: {migration.name} failed: {exc}") from exc
                await conn.execute(
                    f"INSERT INTO {quoted}.schema_migrations (version, name) VALUES ($1, $2)",
                    migration.version,
                    migration.name,
                )
            applied_now.append(migration.name)
    return applied_now


class MigrationError(Exception):
    pass


async def migrate_platform(conn: asyncpg.Connection) -> list[str]:
    """Apply `sql/platform/`; returns the names applied now (empty when up to date)."""
    return await _apply(conn, PLATFORM_SCHEMA, PLATFORM_SCHEMA, load_migrations("platform"))


async def migrate_tenant(conn: asyncpg.Connection, client_id: str) -> list[str]:
    """Create schema `client_NNN` if needed and apply `sql/tenant/` to it."""
    check_client_id(client_id)
    return await _apply(conn, client_id, schema_ident(client_id), load_migrations("tenant"))


async def migrate_all(conn: asyncpg.Connection) -> dict[str, list[str]]:
    """Platform first, then every tenant known to the platform (one transaction each)."""
    result = {PLATFORM_SCHEMA: await migrate_platform(conn)}
    for row in await conn.fetch("SELECT client_id FROM platform.tenants ORDER BY client_id"):
        result[row["client_id"]] = await migrate_tenant(conn, row["client_id"])
    return result
