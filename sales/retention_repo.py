"""SQL of the retention pass (schema `platform`): archives due for deletion or a reminder, the
purge and export functions (007_retention.sql), pruning by age, buyers' notices."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from core.db import affected_rows
from core.status import UNPAID_ORDERS, BuyerNoticeKind, OrderStatus, parse_stored

# Orders never paid: abandoned after the retention period ('expired' is the abuse limits' state).
ABANDONED_STATUSES = (*UNPAID_ORDERS, OrderStatus.CANCELLED, OrderStatus.EXPIRED)


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
    # `s.status = 'released'` stays a literal, as in the partial index subscriptions_archive_idx
    # (a prepared statement's generic plan cannot use it for a parameter)
    rows = await conn.fetch(
        """
        SELECT s.client_id, s.buyer_telegram_id, s.archive_until, b.bot_username
          FROM platform.subscriptions s
          LEFT JOIN platform.tenant_bots b USING (client_id)
         WHERE s.status = 'released' AND s.purged_at IS NULL AND s.purge_reminded_at IS NULL
           AND s.archive_until <= $1
         ORDER BY s.archive_until LIMIT $2
        """,
        before,
        limit,
    )
    return [Archive(**dict(r)) for r in rows]


async def mark_purge_reminded(
    conn: asyncpg.Connection, client_id: str, not_before: datetime
) -> datetime | None:
    """Mark the reminder sent; the deletion moves to `not_before` if it was due earlier (a
    buyer is always told the notice period ahead). Returns the deletion date for the one caller
    that marks it (so a reminder goes once), None for the others."""
    return await conn.fetchval(
        """
        UPDATE platform.subscriptions
           SET purge_reminded_at = now(), archive_until = greatest(archive_until, $2),
               updated_at = now()
         WHERE client_id = $1 AND purge_reminded_at IS NULL
        RETURNING archive_until
        """,
        client_id,
        not_before,
    )


async def archives_due(conn: asyncpg.Connection, limit: int = 100) -> list[Archive]:
    # the status as a literal: see archives_to_remind
    rows = await conn.fetch(
        """
        SELECT s.client_id, s.buyer_telegram_id, s.archive_until, b.bot_username
          FROM platform.subscriptions s
          LEFT JOIN platform.tenant_bots b USING (client_id)
         WHERE s.status = 'released' AND s.purged_at IS NULL AND s.archive_until <= now()
           AND s.purge_reminded_at IS NOT NULL
         ORDER BY s.archive_until LIMIT $1
        """,
        limit,
    )
    return [Archive(**dict(r)) for r in rows]


async def purge_tenant(conn: asyncpg.Connection, client_id: str) -> bool:
    return await conn.fetchval("SELECT platform.purge_tenant($1)", client_id)


async def export_tenant(conn: asyncpg.Connection, client_id: str) -> dict | None:
    raw = await conn.fetchval("SELECT platform.export_tenant($1)::text", client_id)
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
    done = {}
    done["activation_history"] = affected_rows(
        await conn.execute(
            "DELETE FROM platform.activation_history"
            " WHERE created_at < now() - make_interval(secs => $1)",
            history_days * 86400,
        )
    )
    done["alerts"] = affected_rows(
        await conn.execute(
            "DELETE FROM platform.alerts WHERE created_at < now() - make_interval(secs => $1)"
            " AND (delivered_at IS NOT NULL OR given_up_at IS NOT NULL)",
            alerts_days * 86400,
        )
    )
    done["orders"] = affected_rows(
        await conn.execute(
            """
            DELETE FROM platform.orders o
             WHERE o.paid_at IS NULL AND o.created_at < now() - make_interval(secs => $1)
               AND o.status = ANY($2::text[])
               AND NOT EXISTS (SELECT 1 FROM platform.payments p WHERE p.order_id = o.id)
            """,
            orders_days * 86400,
            ABANDONED_STATUSES,
        )
    )
    done["buyer_notices"] = affected_rows(
        await conn.execute(
            "DELETE FROM platform.buyer_notices"
            " WHERE created_at < now() - make_interval(secs => $1)"
            " AND (sent_at IS NOT NULL OR given_up_at IS NOT NULL)",
            notices_days * 86400,
        )
    )
    return done


async def unsent_notices(conn: asyncpg.Connection, limit: int = 50) -> list[BuyerNotice]:
    rows = await conn.fetch(
        """
        SELECT n.id, n.telegram_id, n.client_id, n.kind, n.attempts, b.bot_username
          FROM platform.buyer_notices n
          LEFT JOIN platform.tenant_bots b USING (client_id)
         WHERE n.sent_at IS NULL AND n.given_up_at IS NULL
         ORDER BY n.id LIMIT $1
        """,
        limit,
    )
    return [BuyerNotice(**dict(r)) for r in rows]


async def notice_sent(conn: asyncpg.Connection, notice_id: int) -> None:
    await conn.execute(
        "UPDATE platform.buyer_notices SET sent_at = now(), attempts = attempts + 1 WHERE id = $1",
        notice_id,
    )


async def notice_failed(
    conn: asyncpg.Connection, notice_id: int, error: str, *, give_up: bool
) -> None:
    await conn.execute(
        """
        UPDATE platform.buyer_notices
           SET attempts = attempts + 1, last_error = $2,
               given_up_at = CASE WHEN $3 THEN now() END
         WHERE id = $1
        """,
        notice_id,
        error,
        give_up,
    )


async def is_purged(conn: asyncpg.Connection, client_id: str) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT purged_at IS NOT NULL FROM platform.subscriptions WHERE client_id = $1",
            client_id,
        )
    )
