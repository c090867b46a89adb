"""Data access in the tenant's own schema `client_NNN`."""

from __future__ import annotations

import asyncpg

from core.db import schema_ident


async def touch_user(
    conn: asyncpg.Connection,
    client_id: str,
    *,
    telegram_id: int,
    first_name: str | None,
    username: str | None,
    is_admin: bool,
) -> None:
    schema = schema_ident(client_id)
    await conn.execute(
        f"""
        INSERT INTO {schema}.bot_users (telegram_id, first_name, username, is_admin)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (telegram_id) DO UPDATE
           SET first_name = EXCLUDED.first_name, username = EXCLUDED.username,
               is_admin = EXCLUDED.is_admin, last_seen = now()
        """,
        telegram_id,
        first_name,
        username,
        is_admin,
    )
