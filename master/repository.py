"""The Master Bot's reads and writes in schema `platform` (tenants, subscriptions, orders,
payments, alerts, pool samples). Takes a connection, returns dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

import asyncpg

from core.db import affected_rows
from core.status import (
    UNFINISHED_ORDERS,
    AlertKind,
    BuyerNoticeKind,
    OrderKind,
    OrderStatus,
    SubscriptionStatus,
    parse_stored,
)


@dataclass(frozen=True)
class ClientRow:
    client_id: str
    company_name: str
    bot_username: str | None
    slot: str | None
    subscription_status: SubscriptionStatus | None
    ends_at: datetime | None
    suspended: bool

    def __post_init__(self) -> None:
        parse_stored(self, subscription_status=SubscriptionStatus)


@dataclass(frozen=True)
class PaymentRow:
    payment_id: str
    amount: Decimal
    currency: str
    recorded_at: datetime
    kind: OrderKind

    def __post_init__(self) -> None:
        parse_stored(self, kind=OrderKind)


@dataclass(frozen=True)
class OrderRow:
    id: UUID
    kind: OrderKind
    status: OrderStatus
    paid_at: datetime | None
    last_error: str | None

    def __post_init__(self) -> None:
        parse_stored(self, kind=OrderKind, status=OrderStatus)


@dataclass(frozen=True)
class ClientCard:
    client: ClientRow
    admin_telegram_id: int
    buyer_telegram_id: int | None
    payments: list[PaymentRow]
    open_orders: list[OrderRow]


@dataclass(frozen=True)
class Revenue:
    day: Decimal
    week: Decimal
    month: Decimal
    currency: str


# A client is anyone with a tenant row, a subscription or a paid order (a paid order that waits
# for a slot has no tenant row yet); names come from the tenant, else from the latest order.
_CLIENT_IDS = """
    WITH ids AS (
        SELECT client_id FROM platform.tenants
        UNION SELECT client_id FROM platform.subscriptions
        UNION SELECT client_id FROM platform.orders
               WHERE client_id IS NOT NULL AND paid_at IS NOT NULL
    )
"""
_CLIENT_SELECT = (
    _CLIENT_IDS
    + """
    SELECT i.client_id,
           COALESCE(t.company_name, o.company_name, '—') AS company_name,
           COALESCE(t.admin_telegram_id, o.admin_telegram_id) AS admin_telegram_id,
           t.suspended_at IS NOT NULL AS suspended,
           COALESCE(b.bot_username, o.bot_username) AS bot_username,
           a.slot, s.status AS subscription_status, s.ends_at,
           COALESCE(s.buyer_telegram_id, o.buyer_telegram_id) AS buyer_telegram_id
      FROM ids i
      LEFT JOIN platform.tenants t ON t.client_id = i.client_id
      LEFT JOIN platform.tenant_bots b ON b.client_id = i.client_id
      LEFT JOIN platform.slot_assignments a ON a.client_id = i.client_id AND a.released_at IS NULL
      LEFT JOIN platform.subscriptions s ON s.client_id = i.client_id
      LEFT JOIN LATERAL (
          SELECT company_name, admin_telegram_id, bot_username, buyer_telegram_id
            FROM platform.orders WHERE client_id = i.client_id
           ORDER BY created_at DESC LIMIT 1
      ) o ON true
"""
)


def _client(row) -> ClientRow:
    return ClientRow(
        client_id=row["client_id"],
        company_name=row["company_name"],
        bot_username=row["bot_username"],
        slot=row["slot"],
        subscription_status=row["subscription_status"],
        ends_at=row["ends_at"],
        suspended=row["suspended"],
    )


async def count_clients(conn: asyncpg.Connection) -> int:
    return await conn.fetchval(_CLIENT_IDS + " SELECT count(*) FROM ids")


async def list_clients(conn: asyncpg.Connection, *, offset: int, limit: int) -> list[ClientRow]:
    rows = await conn.fetch(
        _CLIENT_SELECT + " ORDER BY i.client_id OFFSET $1 LIMIT $2", offset, limit
    )
    return [_client(r) for r in rows]


async def client_card(conn: asyncpg.Connection, client_id: str) -> ClientCard | None:
    row = await conn.fetchrow(_CLIENT_SELECT + " WHERE i.client_id = $1", client_id)
    if row is None:
        return None
    payments = await conn.fetch(
        """
        SELECT p.payment_id, p.amount, p.currency, p.recorded_at, o.kind
          FROM platform.payments p JOIN platform.orders o ON o.id = p.order_id
         WHERE o.client_id = $1 ORDER BY p.recorded_at DESC LIMIT 10
        """,
        client_id,
    )
    orders = await conn.fetch(
        """
        SELECT id, kind, status, paid_at, last_error FROM platform.orders
         WHERE client_id = $1 AND status = ANY($2::text[]) ORDER BY created_at
        """,
        client_id,
        UNFINISHED_ORDERS,
    )
    return ClientCard(
        client=_client(row),
        admin_telegram_id=row["admin_telegram_id"],
        buyer_telegram_id=row["buyer_telegram_id"],
        payments=[
            PaymentRow(r["payment_id"], r["amount"], r["currency"], r["recorded_at"], r["kind"])
            for r in payments
        ],
        open_orders=[
            OrderRow(r["id"], r["kind"], r["status"], r["paid_at"], r["last_error"]) for r in orders
        ],
    )


async def extend_subscription(
    conn: asyncpg.Connection, client_id: str, days: int
) -> tuple[datetime, SubscriptionStatus] | None:
    """Move the end by `days` (from now if it already passed); an ended subscription is active
    again. Returns (new end, previous status) or None when the client has no subscription."""
    row = await conn.fetchrow(
        """
        UPDATE platform.subscriptions s
           SET ends_at = GREATEST(s.ends_at, now()) + make_interval(days => $2),
               starts_at = COALESCE(s.starts_at, now()),
               status = CASE WHEN s.status = $3 THEN $3 ELSE $4 END,
               grace_at = NULL,
               reminded_3d_at = NULL,
               reminded_1d_at = NULL,
               updated_at = now()
          FROM (SELECT status FROM platform.subscriptions WHERE client_id = $1 FOR UPDATE) old
         WHERE s.client_id = $1
        RETURNING s.ends_at, old.status
        """,
        client_id,
        days,
        SubscriptionStatus.PENDING,
        SubscriptionStatus.ACTIVE,
    )
    return None if row is None else (row["ends_at"], SubscriptionStatus(row["status"]))


async def set_suspended(conn: asyncpg.Connection, client_id: str, reason: str | None) -> bool:
    """Suspend (reason given) or resume (None); True when the state changed."""
    if reason is None:
        result = await conn.execute(
            "UPDATE platform.tenants SET suspended_at = NULL, suspended_reason = NULL,"
            " updated_at = now() WHERE client_id = $1 AND suspended_at IS NOT NULL",
            client_id,
        )
    else:
        result = await conn.execute(
            "UPDATE platform.tenants SET suspended_at = now(), suspended_reason = $2,"
            " updated_at = now() WHERE client_id = $1 AND suspended_at IS NULL",
            client_id,
            reason,
        )
    return affected_rows(result) == 1


async def queue_buyer_notice(
    conn: asyncpg.Connection, client_id: str, kind: BuyerNoticeKind
) -> None:
    """Leave a notice for the tenant's buyer (the Sales Bot delivers it: the Master holds no
    Sales token). Tenants without a buyer (made by the operator's CLI) get none."""
    await conn.execute(
        "INSERT INTO platform.buyer_notices (telegram_id, client_id, kind)"
        " SELECT buyer_telegram_id, client_id, $2 FROM platform.subscriptions WHERE client_id = $1",
        client_id,
        kind,
    )


async def resend_order(conn: asyncpg.Connection, order_id: UUID) -> str | None:
    """Hand an unfinished order back to the Sales sweeper; returns its client id."""
    return await conn.fetchval(
        """
        UPDATE platform.orders
           SET status = CASE WHEN status = $3 THEN $3 ELSE $4 END,
               lease_until = NULL, attempts = 0, last_error = NULL,
               updated_at = now()
         WHERE id = $1 AND status = ANY($2::text[]) AND paid_at IS NOT NULL
        RETURNING COALESCE(client_id, '')
        """,
        order_id,
        UNFINISHED_ORDERS,
        OrderStatus.QUEUED,
        OrderStatus.PAID,
    )


async def waiting_orders(conn: asyncpg.Connection) -> int:
    """Paid orders without a bot: queued for a slot, or still not activated after 30 s (an
    activation takes well under a second, so these are stuck or waiting too)."""
    return await conn.fetchval(
        """
        SELECT count(*) FROM platform.orders
         WHERE status = $1
            OR (status = ANY($2::text[]) AND paid_at < now() - interval '30 seconds')
        """,
        OrderStatus.QUEUED,
        (OrderStatus.PAID, OrderStatus.ACTIVATING),
    )


async def revenue(conn: asyncpg.Connection) -> Revenue:
    row = await conn.fetchrow(
        """
        SELECT coalesce(sum(amount) FILTER (WHERE recorded_at > now() - interval '1 day'), 0) AS day,
               coalesce(sum(amount) FILTER (WHERE recorded_at > now() - interval '7 days'), 0) AS week,
               coalesce(sum(amount), 0) AS month,
               coalesce(max(currency), 'RUB') AS currency
          FROM platform.payments WHERE recorded_at > now() - interval '30 days'
        """
    )
    return Revenue(row["day"], row["week"], row["month"], row["currency"])


async def queue_alert(conn: asyncpg.Connection, text: str) -> int:
    return await conn.fetchval(
        "INSERT INTO platform.alerts (kind, detail) VALUES ($1, $2) RETURNING id",
        AlertKind.MASTER,
        text,
    )


async def undelivered_alerts(
    conn: asyncpg.Connection, limit: int = 20
) -> list[tuple[int, str, str, int]]:
    rows = await conn.fetch(
        "SELECT id, kind, detail, attempts FROM platform.alerts"
        " WHERE delivered_at IS NULL AND given_up_at IS NULL ORDER BY id LIMIT $1",
        limit,
    )
    return [(r["id"], r["kind"], r["detail"], r["attempts"]) for r in rows]


async def alert_delivered(conn: asyncpg.Connection, alert_id: int) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT delivered_at IS NOT NULL FROM platform.alerts WHERE id = $1", alert_id
        )
    )


async def alert_failed(
    conn: asyncpg.Connection, alert_id: int, error: str, *, give_up: bool
) -> None:
    await conn.execute(
        "UPDATE platform.alerts SET attempts = attempts + 1, last_error = $2,"
        " given_up_at = CASE WHEN $3 THEN now() END WHERE id = $1",
        alert_id,
        error[:500],
        give_up,
    )


async def alert_given_up(conn: asyncpg.Connection, alert_id: int, reason: str) -> None:
    await conn.execute(
        "UPDATE platform.alerts SET given_up_at = now(), last_error = $2"
        " WHERE id = $1 AND delivered_at IS NULL",
        alert_id,
        reason,
    )


async def mark_delivered(conn: asyncpg.Connection, alert_id: int) -> None:
    await conn.execute("UPDATE platform.alerts SET delivered_at = now() WHERE id = $1", alert_id)


async def add_pool_sample(
    conn: asyncpg.Connection, total: int, busy: int, stale: int, keep_days: float = 30
) -> None:
    await conn.execute(
        "INSERT INTO platform.pool_samples (total, busy, stale) VALUES ($1, $2, $3)"
        " ON CONFLICT (sampled_at) DO NOTHING",
        total,
        busy,
        stale,
    )
    await conn.execute(
        "DELETE FROM platform.pool_samples WHERE sampled_at < now() - make_interval(secs => $1)",
        keep_days * 86400,
    )


async def utilization_by_hour(conn: asyncpg.Connection, timezone: str, hours: int = 12):
    rows = await conn.fetch(
        """
        SELECT date_trunc('hour', sampled_at AT TIME ZONE $1) AS t,
               round(100 * avg(busy::numeric / nullif(total, 0))) AS percent
          FROM platform.pool_samples
         WHERE sampled_at > now() - make_interval(hours => $2)
         GROUP BY 1 ORDER BY 1
        """,
        timezone,
        hours,
    )
    return [(r["t"], int(r["percent"] or 0)) for r in rows]
