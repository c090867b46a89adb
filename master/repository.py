"""The Master Bot's reads and writes in schema `platform` (tenants, subscriptions, orders,
payments, alerts, pool samples, activation history). Takes a connection, runs a named query from
`repository.sql` beside this file, returns dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

import asyncpg

from core.db import affected_rows, queries, row_to, rows_to
from core.status import (
    FAILED_EVENTS,
    UNFINISHED_ORDERS,
    ActivationEvent,
    AlertKind,
    BuyerNoticeKind,
    OrderKind,
    OrderStatus,
    SubscriptionStatus,
    parse_stored,
)

Q = queries(__file__)


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


@dataclass(frozen=True)
class StoredTenant:
    """What starting a tenant's stored bot needs."""

    company_name: str
    admin_telegram_id: int
    token_encrypted: str


@dataclass(frozen=True)
class FailedActivation:
    id: int
    slot: str
    client_id: str | None
    detail: str | None


@dataclass(frozen=True)
class ActivationTotals:
    day: int
    day_failed: int
    week: int
    avg_ms: Decimal | None


@dataclass(frozen=True)
class ActivationRecord:
    id: int
    event: str
    duration_ms: int | None
    created_at: datetime


# -- clients ---------------------------------------------------------------------------------------


async def count_clients(conn: asyncpg.Connection) -> int:
    return await Q.count_clients(conn)


async def list_clients(conn: asyncpg.Connection, *, offset: int, limit: int) -> list[ClientRow]:
    return await rows_to(ClientRow, Q.clients(conn, client_id=None, offset=offset, limit=limit))


async def client_card(conn: asyncpg.Connection, client_id: str) -> ClientCard | None:
    found = [row async for row in Q.clients(conn, client_id=client_id, offset=0, limit=1)]
    if not found:
        return None
    row = found[0]
    return ClientCard(
        client=row_to(ClientRow, row),
        admin_telegram_id=row["admin_telegram_id"],
        buyer_telegram_id=row["buyer_telegram_id"],
        payments=await rows_to(PaymentRow, Q.client_payments(conn, client_id=client_id)),
        open_orders=await rows_to(
            OrderRow, Q.client_open_orders(conn, client_id=client_id, unfinished=UNFINISHED_ORDERS)
        ),
    )


async def stored_tenant(conn: asyncpg.Connection, client_id: str) -> StoredTenant | None:
    return row_to(StoredTenant, await Q.stored_tenant(conn, client_id=client_id))


async def extend_subscription(
    conn: asyncpg.Connection, client_id: str, days: int
) -> tuple[datetime, SubscriptionStatus] | None:
    """Move the end by `days` (from now if it already passed); an ended subscription is active
    again. Returns (new end, previous status) or None when the client has no subscription."""
    row = await Q.extend_subscription(
        conn,
        client_id=client_id,
        days=days,
        pending=SubscriptionStatus.PENDING,
        active=SubscriptionStatus.ACTIVE,
    )
    return None if row is None else (row["ends_at"], SubscriptionStatus(row["status"]))


async def set_suspended(conn: asyncpg.Connection, client_id: str, reason: str | None) -> bool:
    """Suspend (reason given) or resume (None); True when the state changed."""
    if reason is None:
        result = await Q.resume(conn, client_id=client_id)
    else:
        result = await Q.suspend(conn, client_id=client_id, reason=reason)
    return affected_rows(result) == 1


async def queue_buyer_notice(
    conn: asyncpg.Connection, client_id: str, kind: BuyerNoticeKind
) -> None:
    """Leave a notice for the tenant's buyer (the Sales Bot delivers it: the Master holds no
    Sales token). Tenants without a buyer (made by the operator's CLI) get none."""
    await Q.queue_buyer_notice(conn, client_id=client_id, kind=kind)


async def resend_order(conn: asyncpg.Connection, order_id: UUID) -> str | None:
    """Hand an unfinished order back to the Sales sweeper; returns its client id."""
    return await Q.resend_order(
        conn,
        order_id=order_id,
        unfinished=UNFINISHED_ORDERS,
        queued=OrderStatus.QUEUED,
        paid=OrderStatus.PAID,
    )


async def waiting_orders(conn: asyncpg.Connection) -> int:
    """Paid orders without a bot: queued for a slot, or still not activated after 30 s (an
    activation takes well under a second, so these are stuck or waiting too)."""
    return await Q.waiting_orders(
        conn, queued=OrderStatus.QUEUED, started=(OrderStatus.PAID, OrderStatus.ACTIVATING)
    )


async def revenue(conn: asyncpg.Connection) -> Revenue:
    return row_to(Revenue, await Q.revenue(conn))


# -- alerts ----------------------------------------------------------------------------------------


async def queue_alert(conn: asyncpg.Connection, text: str) -> int:
    return await Q.queue_alert(conn, kind=AlertKind.MASTER, detail=text)


async def undelivered_alerts(
    conn: asyncpg.Connection, limit: int = 20
) -> list[tuple[int, str, str, int]]:
    rows = Q.undelivered_alerts(conn, limit=limit)
    return [(r["id"], r["kind"], r["detail"], r["attempts"]) async for r in rows]


async def alert_delivered(conn: asyncpg.Connection, alert_id: int) -> bool:
    return bool(await Q.alert_delivered(conn, alert_id=alert_id))


async def alert_failed(
    conn: asyncpg.Connection, alert_id: int, error: str, *, give_up: bool
) -> None:
    await Q.alert_failed(conn, alert_id=alert_id, error=error[:500], give_up=give_up)


async def alert_given_up(conn: asyncpg.Connection, alert_id: int, reason: str) -> None:
    await Q.alert_given_up(conn, alert_id=alert_id, reason=reason)


async def mark_delivered(conn: asyncpg.Connection, alert_id: int) -> None:
    await Q.mark_delivered(conn, alert_id=alert_id)


async def last_activation_event(conn: asyncpg.Connection) -> int:
    """The id of the newest activation event (0 when there is none)."""
    return await Q.last_activation_event(conn)


async def failed_activations_after(conn: asyncpg.Connection, after: int) -> list[FailedActivation]:
    """Failed activation events after id `after`, oldest first, at most 50."""
    rows = Q.failed_activations_after(conn, after=after, failed=FAILED_EVENTS)
    return await rows_to(FailedActivation, rows)


# -- pool samples and statistics -------------------------------------------------------------------


async def add_pool_sample(
    conn: asyncpg.Connection, total: int, busy: int, stale: int, keep_days: float = 30
) -> None:
    await Q.add_pool_sample(conn, total=total, busy=busy, stale=stale)
    await Q.prune_pool_samples(conn, seconds=keep_days * 86400)


async def utilization_by_hour(conn: asyncpg.Connection, timezone: str, hours: int = 12):
    rows = Q.utilization_by_hour(conn, timezone=timezone, hours=hours)
    return [(r["t"], int(r["percent"] or 0)) async for r in rows]


async def activation_totals(conn: asyncpg.Connection) -> ActivationTotals:
    """Activations in the last day (and failures) and week, and their mean duration."""
    row = await Q.activation_totals(conn, activated=ActivationEvent.ACTIVATED, failed=FAILED_EVENTS)
    return row_to(ActivationTotals, row)


async def activations_by(
    conn: asyncpg.Connection, unit: str, timezone: str
) -> list[tuple[datetime, int]]:
    """Activations per `unit` ("hour": the last 12 hours, "day": the last 7 days)."""
    query = {"hour": Q.activations_by_hour, "day": Q.activations_by_day}[unit]
    rows = query(conn, timezone=timezone, activated=ActivationEvent.ACTIVATED)
    return [(r["t"], r["n"]) async for r in rows]


# -- metrics counters (master/metrics.py) ----------------------------------------------------------


async def db_now(conn: asyncpg.Connection) -> datetime:
    return await Q.db_now(conn)


async def activation_counts_until(
    conn: asyncpg.Connection, until: datetime
) -> list[tuple[str, int | None, int]]:
    """(event, duration_ms, how many) of the activation events up to `until`."""
    rows = Q.activation_counts_until(conn, until=until)
    return [(r["event"], r["duration_ms"], r["n"]) async for r in rows]


async def activation_events_since(
    conn: asyncpg.Connection, since: datetime
) -> list[ActivationRecord]:
    return await rows_to(ActivationRecord, Q.activation_events_since(conn, since=since))


async def payment_counts_until(
    conn: asyncpg.Connection, until: datetime, rejections: tuple[AlertKind, ...]
) -> dict[str, int]:
    """Payments recorded and notifications rejected (alerts of `rejections`) up to `until`."""
    row = await Q.payment_counts_until(conn, until=until, rejections=rejections)
    return {"succeeded": row["succeeded"], "rejected": row["rejected"]}


async def payment_outcomes_since(
    conn: asyncpg.Connection, since: datetime, rejections: tuple[AlertKind, ...]
) -> list[tuple[str, str, datetime]]:
    """("succeeded", payment id, when) and ("rejected", alert id, when) after `since`."""
    rows = Q.payment_outcomes_since(conn, since=since, rejections=rejections)
    return [(r["outcome"], r["id"], r["at"]) async for r in rows]
