"""Sales data in schema `platform`: takes a connection, runs a named query from
`repository.sql` beside this file, returns dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

import asyncpg

from core.db import queries, row_to, rows_to
from core.status import (
    LIVE_SUBSCRIPTIONS,
    RUNNING_SUBSCRIPTIONS,
    UNFINISHED_ORDERS,
    UNPAID_ORDERS,
    AlertKind,
    OrderKind,
    OrderStatus,
    RunRefusal,
    SubscriptionStatus,
    parse_stored,
)
from sales.payments import PaymentStatus, ReceivedVia


@dataclass(frozen=True)
class Tariff:
    id: int
    code: str
    title: str
    days: int
    price: Decimal
    currency: str


@dataclass(frozen=True)
class Order:
    id: UUID
    kind: OrderKind
    buyer_telegram_id: int
    tariff_id: int | None
    days: int
    amount: Decimal | None
    currency: str | None
    client_id: str | None
    company_name: str | None
    admin_telegram_id: int | None
    bot_id: int | None
    bot_username: str | None
    token_encrypted: str | None
    token_fingerprint: str | None
    status: OrderStatus
    payment_id: str | None
    confirmation_url: str | None
    slot: str | None
    attempts: int
    last_error: str | None
    queued_at: datetime | None
    created_at: datetime
    paid_at: datetime | None
    activated_at: datetime | None

    def __post_init__(self) -> None:
        parse_stored(self, kind=OrderKind, status=OrderStatus)


@dataclass(frozen=True)
class Subscription:
    client_id: str
    buyer_telegram_id: int
    status: SubscriptionStatus
    starts_at: datetime | None
    ends_at: datetime | None
    reminded_3d_at: datetime | None
    reminded_1d_at: datetime | None
    grace_at: datetime | None
    released_at: datetime | None
    archive_until: datetime | None

    def __post_init__(self) -> None:
        parse_stored(self, status=SubscriptionStatus)


@dataclass(frozen=True)
class BuyerBot:
    """One line of /mybots."""

    client_id: str
    status: SubscriptionStatus
    ends_at: datetime | None
    bot_username: str | None
    company_name: str | None
    slot: str | None
    released_at: datetime | None
    archive_until: datetime | None
    suspended_at: datetime | None = None
    purged_at: datetime | None = None
    waiting: OrderStatus | None = None  # the status of an unfinished paid order

    def __post_init__(self) -> None:
        parse_stored(self, status=SubscriptionStatus, waiting=OrderStatus)


@dataclass(frozen=True)
class StoredBot:
    """What a re-activation needs: the tenant and its encrypted token."""

    client_id: str
    company_name: str
    admin_telegram_id: int
    bot_username: str | None
    token_encrypted: str


Q = queries(__file__)

# -- tariffs -------------------------------------------------------------------------------------


async def list_tariffs(conn: asyncpg.Connection) -> list[Tariff]:
    return await rows_to(Tariff, Q.list_tariffs(conn))


async def get_tariff(conn: asyncpg.Connection, tariff_id: int) -> Tariff | None:
    return row_to(Tariff, await Q.get_tariff(conn, tariff_id=tariff_id))


# -- orders --------------------------------------------------------------------------------------


async def insert_order(
    conn: asyncpg.Connection,
    *,
    kind: OrderKind,
    buyer_telegram_id: int,
    status: OrderStatus,
    tariff_id: int | None = None,
    days: int = 0,
    amount: Decimal | None = None,
    currency: str | None = None,
    client_id: str | None = None,
    company_name: str | None = None,
    admin_telegram_id: int | None = None,
    bot_id: int | None = None,
    bot_username: str | None = None,
    token_encrypted: str | None = None,
    token_fingerprint: str | None = None,
    paid_at: datetime | None = None,
) -> Order:
    """A new order; the columns are the parameters (the others take their defaults)."""
    row = await Q.insert_order(
        conn,
        kind=kind,
        buyer_telegram_id=buyer_telegram_id,
        status=status,
        tariff_id=tariff_id,
        days=days,
        amount=amount,
        currency=currency,
        client_id=client_id,
        company_name=company_name,
        admin_telegram_id=admin_telegram_id,
        bot_id=bot_id,
        bot_username=bot_username,
        token_encrypted=token_encrypted,
        token_fingerprint=token_fingerprint,
        paid_at=paid_at,
    )
    return row_to(Order, row)


async def get_order(
    conn: asyncpg.Connection, order_id: UUID, *, lock: bool = False
) -> Order | None:
    query = Q.get_order_for_update if lock else Q.get_order
    return row_to(Order, await query(conn, order_id=order_id))


async def order_by_payment(
    conn: asyncpg.Connection, payment_id: str, *, lock: bool = False
) -> Order | None:
    query = Q.order_by_payment_for_update if lock else Q.order_by_payment
    return row_to(Order, await query(conn, payment_id=payment_id))


_UPDATABLE = (
    "status",
    "days",
    "payment_id",
    "confirmation_url",
    "client_id",
    "slot",
    "attempts",
    "lease_until",
    "last_error",
    "queued_at",
    "paid_at",
    "activated_at",
    "token_encrypted",
    "token_fingerprint",
    "bot_id",
    "bot_username",
)


def _given(allowed: tuple[str, ...], what: str, values: dict) -> dict:
    """Parameters of an `update-*` query that sets only the columns `values` names."""
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValueError(f"cannot update {what} columns {sorted(unknown)}")
    return {name: values.get(name) for name in allowed} | {"given": list(values)}


async def update_order(conn: asyncpg.Connection, order_id: UUID, **values) -> Order:
    params = _given(_UPDATABLE, "order", values)
    return row_to(Order, await Q.update_order(conn, order_id=order_id, **params))


async def set_payment_created(
    conn: asyncpg.Connection, order_id: UUID, payment_id: str, confirmation_url: str | None
) -> bool:
    """Remember the payment of an order still waiting for one; False if it moved on."""
    moved = await Q.set_payment_created(
        conn,
        order_id=order_id,
        payment_id=payment_id,
        confirmation_url=confirmation_url,
        pending=OrderStatus.PENDING,
        unpaid=UNPAID_ORDERS,
    )
    return bool(moved)


async def set_new_token(
    conn: asyncpg.Connection,
    order_id: UUID,
    *,
    token_encrypted: str,
    fingerprint: str,
    bot_id: int,
    username: str,
) -> bool:
    """A replacement token for an order whose activation failed; it goes back to `paid`."""
    moved = await Q.set_new_token(
        conn,
        order_id=order_id,
        token_encrypted=token_encrypted,
        fingerprint=fingerprint,
        bot_id=bot_id,
        username=username,
        paid=OrderStatus.PAID,
        needs_token=OrderStatus.NEEDS_TOKEN,
    )
    return bool(moved)


# Orders an activation may take (besides one whose activation lease ran out).
_TO_ACTIVATE = (OrderStatus.PAID, OrderStatus.QUEUED)


async def claim_order(
    conn: asyncpg.Connection, order_id: UUID, lease_seconds: float
) -> Order | None:
    """Take a paid/queued order (or one whose activation lease ran out) for activation.

    Only one caller wins: the UPDATE's row lock and status check make this atomic."""
    row = await Q.claim_order(
        conn,
        order_id=order_id,
        lease_seconds=lease_seconds,
        activating=OrderStatus.ACTIVATING,
        to_activate=_TO_ACTIVATE,
    )
    return row_to(Order, row)


async def orders_to_fulfil(
    conn: asyncpg.Connection, limit: int = 100
) -> list[tuple[UUID, OrderStatus]]:
    """(id, status) of paid, queued (oldest first) and interrupted activations."""
    rows = Q.orders_to_fulfil(
        conn, limit=limit, to_activate=_TO_ACTIVATE, activating=OrderStatus.ACTIVATING
    )
    return [(r["id"], OrderStatus(r["status"])) async for r in rows]


async def pending_payments(conn: asyncpg.Connection, max_age_hours: float = 24) -> list[Order]:
    return await rows_to(Order, Q.pending_payments(conn, max_age_hours=max_age_hours))


async def record_payment(
    conn: asyncpg.Connection,
    *,
    payment_id: str,
    order_id: UUID,
    amount: Decimal,
    currency: str,
    status: PaymentStatus,
    via: ReceivedVia,
) -> bool:
    """True if recorded now, False if this payment was already recorded."""
    inserted = await Q.record_payment(
        conn,
        payment_id=payment_id,
        order_id=order_id,
        amount=amount,
        currency=currency,
        status=status,
        via=via,
    )
    return bool(inserted)


# -- tokens in use -------------------------------------------------------------------------------


async def token_in_use(
    conn: asyncpg.Connection, fingerprint: str, *, except_client: str | None = None
) -> bool:
    """Is this token run (or about to be run) by a tenant whose subscription is alive?"""
    return await Q.token_in_use(
        conn,
        fingerprint=fingerprint,
        except_client=except_client,
        live=LIVE_SUBSCRIPTIONS,
        unfinished=UNFINISHED_ORDERS,
    )


async def token_taken_first(
    conn: asyncpg.Connection, fingerprint: str, client_id: str, paid_at: datetime
) -> bool:
    """At activation: does a live tenant, or an order paid before this one, hold this token?

    (Two buyers may both pay for the same token; the first payment wins it.)"""
    return await Q.token_taken_first(
        conn,
        fingerprint=fingerprint,
        client_id=client_id,
        paid_at=paid_at,
        running=RUNNING_SUBSCRIPTIONS,
        unfinished=UNFINISHED_ORDERS,
    )


# -- clients and subscriptions -------------------------------------------------------------------


async def allocate_client_id(conn: asyncpg.Connection) -> str:
    """The next free `client_NNN` (skipping ids that tenants made elsewhere already use)."""
    while True:
        client_id = f"client_{await Q.next_client_number(conn):03d}"
        if not await Q.client_id_taken(conn, client_id=client_id):
            return client_id


async def insert_subscription(conn: asyncpg.Connection, client_id: str, buyer: int) -> None:
    await Q.insert_subscription(
        conn, client_id=client_id, buyer=buyer, status=SubscriptionStatus.PENDING
    )


async def get_subscription(
    conn: asyncpg.Connection, client_id: str, *, lock: bool = False
) -> Subscription | None:
    query = Q.get_subscription_for_update if lock else Q.get_subscription
    return row_to(Subscription, await query(conn, client_id=client_id))


async def start_subscription(conn: asyncpg.Connection, client_id: str, days: int) -> Subscription:
    """First activation: the paid days count from now. Later activations keep the dates."""
    row = await Q.start_subscription(
        conn, client_id=client_id, days=days, active=SubscriptionStatus.ACTIVE
    )
    return row_to(Subscription, row)


async def extend_subscription(
    conn: asyncpg.Connection, client_id: str, days: int, *, reactivate: bool
) -> Subscription:
    """Renewal: add days to the end (or to now, if it has passed); clear reminders.

    A bot still running (active or grace) becomes active at once; so does a released one (paid
    time: the "may run" rule lets its activation open a slot; `start_subscription` keeps the
    dates then). Otherwise the status stays."""
    row = await Q.extend_subscription(
        conn,
        client_id=client_id,
        days=days,
        reactivate=reactivate,
        active=SubscriptionStatus.ACTIVE,
        released=SubscriptionStatus.RELEASED,
    )
    return row_to(Subscription, row)


_SUBSCRIPTION_UPDATABLE = (
    "status",
    "reminded_3d_at",
    "reminded_1d_at",
    "grace_at",
    "released_at",
    "archive_until",
)


async def set_subscription(conn: asyncpg.Connection, client_id: str, **values) -> None:
    params = _given(_SUBSCRIPTION_UPDATABLE, "subscription", values)
    await Q.set_subscription(conn, client_id=client_id, **params)


async def subscriptions_in(
    conn: asyncpg.Connection, statuses: tuple[SubscriptionStatus, ...]
) -> list[Subscription]:
    return await rows_to(Subscription, Q.subscriptions_in(conn, statuses=statuses))


async def buyer_bots(conn: asyncpg.Connection, buyer: int) -> list[BuyerBot]:
    return await rows_to(BuyerBot, Q.buyer_bots(conn, buyer=buyer, unfinished=UNFINISHED_ORDERS))


async def stored_bot(conn: asyncpg.Connection, client_id: str) -> StoredBot | None:
    return row_to(StoredBot, await Q.stored_bot(conn, client_id=client_id))


async def open_slot(conn: asyncpg.Connection, client_id: str) -> str | None:
    return await Q.open_slot(conn, client_id=client_id)


async def run_refusal(conn: asyncpg.Connection, client_id: str) -> RunRefusal | None:
    """Why the tenant may not run, or None: the rule PostgreSQL enforces when a slot
    assignment opens (005_may_run.sql)."""
    reason = await Q.run_refusal(conn, client_id=client_id)
    return None if reason is None else RunRefusal(reason)


async def unpaid_orders(conn: asyncpg.Connection, buyer: int, max_age_hours: float) -> int:
    """The buyer's orders still waiting for payment (younger than `max_age_hours`)."""
    return await Q.unpaid_orders(
        conn, buyer=buyer, max_age_hours=max_age_hours, unpaid=UNPAID_ORDERS
    )


async def lock_buyer(conn: asyncpg.Connection, buyer: int) -> None:
    """Serialise one buyer's new orders until the transaction ends (the unpaid-orders cap)."""
    await Q.lock_buyer(conn, buyer=str(buyer))


# -- reconciliation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """A running tenant that fails the "may run" rule."""

    slot: str
    client_id: str
    reason: RunRefusal


async def running_violations(conn: asyncpg.Connection) -> list[Violation]:
    return [
        Violation(r["slot"], r["client_id"], RunRefusal(r["reason"]))
        async for r in Q.running_violations(conn)
    ]


async def expire_dead_end_orders(conn: asyncpg.Connection) -> list[Order]:
    """Renewal and replace-token orders that wait (paid, queued, needs_token) for a tenant whose
    subscription has ended: they can never run; they become `expired`."""
    rows = Q.expire_dead_end_orders(
        conn,
        expired=OrderStatus.EXPIRED,
        waiting=(OrderStatus.PAID, OrderStatus.QUEUED, OrderStatus.NEEDS_TOKEN),
        kinds=(OrderKind.RENEWAL, OrderKind.REPLACE_TOKEN),
        refusals=(RunRefusal.SUBSCRIPTION_ENDED, RunRefusal.NO_SUBSCRIPTION),
    )
    return await rows_to(Order, rows)


async def release_held_orders(conn: asyncpg.Connection) -> list[Order]:
    """Orders held while their tenant was suspended go back to `paid` once it is resumed."""
    rows = Q.release_held_orders(
        conn, paid=OrderStatus.PAID, held=OrderStatus.HELD, suspended=RunRefusal.SUSPENDED
    )
    return await rows_to(Order, rows)


async def stale_unpaid_orders(
    conn: asyncpg.Connection, max_age_hours: float, limit: int = 100
) -> list[Order]:
    rows = Q.stale_unpaid_orders(conn, max_age_hours=max_age_hours, limit=limit)
    return await rows_to(Order, rows)


async def expire_unpaid(conn: asyncpg.Connection, order_id: UUID) -> bool:
    expired = await Q.expire_unpaid(
        conn, order_id=order_id, expired=OrderStatus.EXPIRED, unpaid=UNPAID_ORDERS
    )
    return bool(expired)


# -- refunds -------------------------------------------------------------------------------------


async def payment_order(conn: asyncpg.Connection, payment_id: str) -> tuple[Decimal, UUID] | None:
    """(amount paid, order id) of a recorded payment."""
    row = await Q.payment_order(conn, payment_id=payment_id)
    return None if row is None else (row["amount"], row["order_id"])


async def record_refund(
    conn: asyncpg.Connection,
    *,
    refund_id: str,
    payment_id: str,
    order_id: UUID,
    amount: Decimal,
    currency: str,
    days_removed: Decimal,
) -> bool:
    """True if recorded now, False for a replay."""
    inserted = await Q.record_refund(
        conn,
        refund_id=refund_id,
        payment_id=payment_id,
        order_id=order_id,
        amount=amount,
        currency=currency,
        days_removed=days_removed,
    )
    return bool(inserted)


async def refunded_total(conn: asyncpg.Connection, payment_id: str) -> Decimal:
    return await Q.refunded_total(conn, payment_id=payment_id)


async def shorten_subscription(
    conn: asyncpg.Connection, client_id: str, days: Decimal
) -> Subscription | None:
    """Take `days` (fractional) off a started subscription's end."""
    row = await Q.shorten_subscription(conn, client_id=client_id, days=float(days))
    return row_to(Subscription, row)


# -- alerts --------------------------------------------------------------------------------------


async def insert_alert(
    conn: asyncpg.Connection, kind: AlertKind, detail: str, order_id: UUID | None = None
) -> None:
    await Q.insert_alert(conn, kind=kind, detail=detail, order_id=order_id)
