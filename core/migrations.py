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
from core.tenant_access import ensure_tenant_role, tenant_db_password

PLATFORM_SCHEMA = "platform"
GRANTS_FILE = "platform_grants.sql"
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
        match = _NAME_RE.fullmatch(path.name)
        if match is None:
            raise ValueError(f"migration file {path.name!r} must be named NNN_description.sql")
        found.append(Migration(match["version"], path.name, path.read_text(encoding="utf-8")))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"duplicate migration versions in {folder}")
    return found


async def _apply(
    conn: asyncpg.Connection,
    schema: str,
    quoted: str,
    migrations: list[Migration],
    *,
    after: str | None = None,
) -> list[str]:
    """Apply what is missing; `after` (SQL) runs at the end of every run, applied or not."""
    applied_now: list[str] = []
    async with conn.transaction():
        # Serialise runners on this schema for the whole run.
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext('migrations'), hashtext($1))", schema
        )
        owner = await conn.fetchval(
            "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = $1", schema
        )
        if owner is None:
            await conn.execute(f"CREATE SCHEMA {quoted}")
        elif owner == schema and owner != await conn.fetchval("SELECT current_user"):
            # a tenant's schema owned by its role: the owner applies its migrations as that role,
            # so every object belongs to the tenant (the role was made by ensure_tenant_role)
            await conn.execute(f"SET LOCAL ROLE {quoted}")
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
        if after is not None:
            await conn.execute(after)
    return applied_now


class MigrationError(Exception):
    pass


async def migrate_platform(conn: asyncpg.Connection) -> list[str]:
    """Apply `sql/platform/` and then `sql/platform_grants.sql` (always: it is the whole truth
    about the services' rights); returns the names applied now (empty when up to date)."""
    grants = (sql_dir() / GRANTS_FILE).read_text(encoding="utf-8")
    return await _apply(
        conn, PLATFORM_SCHEMA, PLATFORM_SCHEMA, load_migrations("platform"), after=grants
    )


async def ensure_platform(conn: asyncpg.Connection) -> list[str]:
    """A service's start: migrate when this role owns the schema (a developer machine, one
    role for everything); else (a deployment's narrow service role) only check that
    `booking-pool migrate` has run. Returns the names applied now."""
    owner = await conn.fetchval(
        "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = $1", PLATFORM_SCHEMA
    )
    if owner is None or await conn.fetchval("SELECT pg_has_role(current_user, $1, 'USAGE')", owner):
        return await migrate_platform(conn)
    done = {
        r["version"] for r in await conn.fetch("SELECT version FROM platform.schema_migrations")
    }
    pending = [m.name for m in load_migrations("platform") if m.version not in done]
    if pending:
        raise MigrationError(
            f"platform migrations not applied: {', '.join(pending)}; run `booking-pool migrate`"
        )
    return []


async def migrate_tenant(conn: asyncpg.Connection, client_id: str) -> list[str]:
    """Create schema `client_NNN` if needed and apply `sql/tenant/` to it.

    Run as the tenant's own role (its bot's connection), or as the owner once
    `ensure_tenant_role` gave the schema to that role (the objects still end up the tenant's).
    A schema from before tenant roles is migrated as the caller until it is handed over."""
    check_client_id(client_id)
    return await _apply(conn, client_id, schema_ident(client_id), load_migrations("tenant"))


async def migrate_all(conn: asyncpg.Connection, cipher=None) -> dict[str, list[str]]:
    """Platform first, then every tenant known to the platform (one transaction each).

    With the token cipher, every tenant first gets its role (`ensure_tenant_role`; a schema
    from before tenant roles is handed over to it), and its migrations run as that role."""
    result = {PLATFORM_SCHEMA: await migrate_platform(conn)}
    for row in await conn.fetch("SELECT client_id FROM platform.tenants ORDER BY client_id"):
        client_id = row["client_id"]
        if cipher is not None:
            async with conn.transaction():
                password = await tenant_db_password(conn, cipher, client_id)
                await ensure_tenant_role(conn, client_id, password)
        result[client_id] = await migrate_tenant(conn, client_id)
    return result
