"""Data of the retention pass (schema `platform`): archives due for deletion or a reminder, the
purge and export functions (007_retention.sql), pruning by age, buyers' notices. The SQL is in
`retention_repo.sql` beside this file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from core.db import affected_rows, queries, rows_to
from core.status import UNPAID_ORDERS, BuyerNoticeKind, OrderStatus, parse_stored

# Orders never paid: abandoned after the retention period ('expired' is the abuse limits' state).
ABANDONED_STATUSES = (*UNPAID_ORDERS, OrderStatus.CANCELLED, OrderStatus.EXPIRED)

Q = queries(__file__)


@dataclass(frozen=True)
class Archive:
    client_id: str
    buyer_telegram_id: int
    archive_until: datetime
    bot_username: str | None


@dataclass(frozen=True)
class BuyerNotice:
    id: int
    telegram_id: int
    client_id: str
    kind: BuyerNoticeKind
    attempts: int
    bot_username: str | None

    def __post_init__(self) -> None:
        parse_stored(self, kind=BuyerNoticeKind)


async def archives_to_remind(
    conn: asyncpg.Connection, before: datetime, limit: int = 200
) -> list[Archive]:
    return await rows_to(Archive, Q.archives_to_remind(conn, before=before, limit=limit))


async def mark_purge_reminded(
    conn: asyncpg.Connection, client_id: str, not_before: datetime
) -> datetime | None:
    """Mark the reminder sent; the deletion moves to `not_before` if it was due earlier (a
    buyer is always told the notice period ahead). Returns the deletion date for the one caller
    that marks it (so a reminder goes once), None for the others."""
    return await Q.mark_purge_reminded(conn, client_id=client_id, not_before=not_before)


async def archives_due(conn: asyncpg.Connection, limit: int = 100) -> list[Archive]:
    return await rows_to(Archive, Q.archives_due(conn, limit=limit))


async def purge_tenant(conn: asyncpg.Connection, client_id: str) -> bool:
    return await Q.purge_tenant(conn, client_id=client_id)


async def export_tenant(conn: asyncpg.Connection, client_id: str) -> dict | None:
    raw = await Q.export_tenant(conn, client_id=client_id)
    return None if raw is None else json.loads(raw)


async def prune(
    conn: asyncpg.Connection,
    *,
    history_days: float,
    alerts_days: float,
    orders_days: float,
    notices_days: float,
) -> dict[str, int]:
    """Delete rows older than their retention period; returns the counts per table."""
    day = 86400
    return {
        "activation_history": affected_rows(
            await Q.prune_activation_history(conn, seconds=history_days * day)
        ),
        "alerts": affected_rows(await Q.prune_alerts(conn, seconds=alerts_days * day)),
        "orders": affected_rows(
            await Q.prune_orders(conn, seconds=orders_days * day, abandoned=ABANDONED_STATUSES)
        ),
        "buyer_notices": affected_rows(
            await Q.prune_buyer_notices(conn, seconds=notices_days * day)
        ),
    }


async def unsent_notices(conn: asyncpg.Connection, limit: int = 50) -> list[BuyerNotice]:
    return await rows_to(BuyerNotice, Q.unsent_notices(conn, limit=limit))


async def notice_sent(conn: asyncpg.Connection, notice_id: int) -> None:
    await Q.notice_sent(conn, notice_id=notice_id)


async def notice_failed(
    conn: asyncpg.Connection, notice_id: int, error: str, *, give_up: bool
) -> None:
    await Q.notice_failed(conn, notice_id=notice_id, error=error, give_up=give_up)


async def is_purged(conn: asyncpg.Connection, client_id: str) -> bool:
    return bool(await Q.is_purged(conn, client_id=client_id))
