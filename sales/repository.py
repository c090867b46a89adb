"""Sales data in schema `platform`: takes a connection, runs bound SQL, returns dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from uuid import UUID

import asyncpg

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


def _build(cls, row):
    if row is None:
        return None
    return cls(**{f.name: row[f.name] for f in fields(cls)})


_ORDER_COLUMNS = ", ".join(f.name for f in fields(Order))
_SUB_COLUMNS = ", ".join(f.name for f in fields(Subscription))

# -- tariffs -------------------------------------------------------------------------------------


async def list_tariffs(conn: asyncpg.Connection) -> list[Tariff]:
    rows = await conn.fetch(
        "SELECT id, code, title, days, price, currency FROM platform.tariffs"
        " WHERE active ORDER BY sort, days"
    )
    return [_build(Tariff, r) for r in rows]


async def get_tariff(conn: asyncpg.Connection, tariff_id: int) -> Tariff | None:
    row = await conn.fetchrow(
        "SELECT id, code, title, days, price, currency FROM platform.tariffs"
        " WHERE id = $1 AND active",
        tariff_id,
    )
    return _build(Tariff, row)


# -- orders --------------------------------------------------------------------------------------


async def insert_order(conn: asyncpg.Connection, **values) -> Order:
    names = list(values)
    placeholders = ", ".join(f"${i}" for i in range(1, len(names) + 1))
    row = await conn.fetchrow(
        f"INSERT INTO platform.orders ({', '.join(names)}) VALUES ({placeholders})"
        f" RETURNING {_ORDER_COLUMNS}",
        *values.values(),
    )
    return _build(Order, row)


async def get_order(
    conn: asyncpg.Connection, order_id: UUID, *, lock: bool = False
) -> Order | None:
    suffix = " FOR UPDATE" if lock else ""
    row = await conn.fetchrow(
        f"SELECT {_ORDER_COLUMNS} FROM platform.orders WHERE id = $1{suffix}", order_id
    )
    return _build(Order, row)


async def order_by_payment(
    conn: asyncpg.Connection, payment_id: str, *, lock: bool = False
) -> Order | None:
    suffix = " FOR UPDATE" if lock else ""
    row = await conn.fetchrow(
        f"SELECT {_ORDER_COLUMNS} FROM platform.orders WHERE payment_id = $1{suffix}", payment_id
    )
    return _build(Order, row)


_UPDATABLE = {
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
}


async def update_order(conn: asyncpg.Connection, order_id: UUID, **values) -> Order:
    unknown = set(values) - _UPDATABLE
    if unknown:
        raise ValueError(f"cannot update order columns {sorted(unknown)}")
    names = list(values)
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=2))
    row = await conn.fetchrow(
        f"UPDATE platform.orders SET {sets}, updated_at = now() WHERE id = $1"
        f" RETURNING {_ORDER_COLUMNS}",
        order_id,
        *values.values(),
    )
    return _build(Order, row)


async def set_payment_created(
    conn: asyncpg.Connection, order_id: UUID, payment_id: str, confirmation_url: str | None
) -> bool:
    """Remember the payment of an order still waiting for one; False if it moved on."""
    return bool(
        await conn.fetchval(
            """
            UPDATE platform.orders SET status = $4, payment_id = $2,
                   confirmation_url = $3, updated_at = now()
             WHERE id = $1 AND status = ANY($5::text[])
            RETURNING true
            """,
            order_id,
            payment_id,
            confirmation_url,
            OrderStatus.PENDING,
            UNPAID_ORDERS,
        )
    )


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
    return bool(
        await conn.fetchval(
            """
            UPDATE platform.orders
               SET token_encrypted = $2, token_fingerprint = $3, bot_id = $4,
                   bot_username = $5, status = $6, attempts = 0, last_error = NULL,
                   updated_at = now()
             WHERE id = $1 AND status = $7
            RETURNING true
            """,
            order_id,
            token_encrypted,
            fingerprint,
            bot_id,
            username,
            OrderStatus.PAID,
            OrderStatus.NEEDS_TOKEN,
        )
    )


# Orders an activation may take (besides one whose activation lease ran out).
_TO_ACTIVATE = (OrderStatus.PAID, OrderStatus.QUEUED)


async def claim_order(
    conn: asyncpg.Connection, order_id: UUID, lease_seconds: float
) -> Order | None:
    """Take a paid/queued order (or one whose activation lease ran out) for activation.

    Only one caller wins: the UPDATE's row lock and status check make this atomic."""
    row = await conn.fetchrow(
        f"""
        UPDATE platform.orders
           SET status = $3, lease_until = now() + make_interval(secs => $2),
               updated_at = now()
         WHERE id = $1
           AND (status = ANY($4::text[]) OR (status = $3 AND lease_until < now()))
        RETURNING {_ORDER_COLUMNS}
        """,
        order_id,
        lease_seconds,
        OrderStatus.ACTIVATING,
        _TO_ACTIVATE,
    )
    return _build(Order, row)


async def orders_to_fulfil(
    conn: asyncpg.Connection, limit: int = 100
) -> list[tuple[UUID, OrderStatus]]:
    """(id, status) of paid, queued (oldest first) and interrupted activations."""
    rows = await conn.fetch(
        """
        SELECT id, status FROM platform.orders
         WHERE status = ANY($2::text[])
            OR (status = $3 AND lease_until < now())
         ORDER BY paid_at NULLS LAST, created_at
         LIMIT $1
        """,
        limit,
        _TO_ACTIVATE,
        OrderStatus.ACTIVATING,
    )
    return [(r["id"], OrderStatus(r["status"])) for r in rows]


async def pending_payments(conn: asyncpg.Connection, max_age_hours: float = 24) -> list[Order]:
    # `status IN ('new', 'pending')`: UNPAID_ORDERS as literals, as in the partial index
    # orders_unpaid_idx (a prepared statement's generic plan cannot use it for a parameter)
    rows = await conn.fetch(
        f"""
        SELECT {_ORDER_COLUMNS} FROM platform.orders
         WHERE status IN ('new', 'pending')
           AND created_at > now() - make_interval(hours => $1)
         ORDER BY created_at
        """,
        max_age_hours,
    )
    return [_build(Order, r) for r in rows]


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
    inserted = await conn.fetchval(
        """
        INSERT INTO platform.payments (payment_id, order_id, amount, currency, status, received_via)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (payment_id) DO NOTHING
        RETURNING true
        """,
        payment_id,
        order_id,
        amount,
        currency,
        status,
        via,
    )
    return bool(inserted)


# -- tokens in use -------------------------------------------------------------------------------


async def token_in_use(
    conn: asyncpg.Connection, fingerprint: str, *, except_client: str | None = None
) -> bool:
    """Is this token run (or about to be run) by a tenant whose subscription is alive?"""
    return bool(
        await conn.fetchval(
            """
            SELECT EXISTS (
                SELECT 1 FROM platform.tenant_bots b
                  LEFT JOIN platform.subscriptions s USING (client_id)
                 WHERE b.token_fingerprint = $1
                   AND b.client_id IS DISTINCT FROM $2
                   AND (s.status = ANY($3::text[])
                        OR EXISTS (SELECT 1 FROM platform.slot_assignments a
                                    WHERE a.client_id = b.client_id AND a.released_at IS NULL))
            ) OR EXISTS (
                SELECT 1 FROM platform.orders o
                 WHERE o.token_fingerprint = $1
                   AND o.client_id IS DISTINCT FROM $2
                   AND o.status = ANY($4::text[])
            )
            """,
            fingerprint,
            except_client,
            LIVE_SUBSCRIPTIONS,
            UNFINISHED_ORDERS,
        )
    )


async def token_taken_first(
    conn: asyncpg.Connection, fingerprint: str, client_id: str, paid_at: datetime
) -> bool:
    """At activation: does a live tenant, or an order paid before this one, hold this token?

    (Two buyers may both pay for the same token; the first payment wins it.)"""
    return bool(
        await conn.fetchval(
            """
            SELECT EXISTS (
                SELECT 1 FROM platform.tenant_bots b
                  LEFT JOIN platform.subscriptions s USING (client_id)
                 WHERE b.token_fingerprint = $1 AND b.client_id <> $2
                   AND (s.status = ANY($4::text[])
                        OR EXISTS (SELECT 1 FROM platform.slot_assignments a
                                    WHERE a.client_id = b.client_id AND a.released_at IS NULL))
            ) OR EXISTS (
                SELECT 1 FROM platform.orders o
                 WHERE o.token_fingerprint = $1 AND o.client_id <> $2
                   AND o.status = ANY($5::text[])
                   AND o.paid_at < $3
            )
            """,
            fingerprint,
            client_id,
            paid_at,
            RUNNING_SUBSCRIPTIONS,
            UNFINISHED_ORDERS,
        )
    )


# -- clients and subscriptions -------------------------------------------------------------------


async def allocate_client_id(conn: asyncpg.Connection) -> str:
    """The next free `client_NNN` (skipping ids that tenants made elsewhere already use)."""
    while True:
        number = await conn.fetchval("SELECT nextval('platform.client_number_seq')")
        client_id = f"client_{number:03d}"
        taken = await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM platform.tenants WHERE client_id = $1)"
            " OR EXISTS (SELECT 1 FROM platform.subscriptions WHERE client_id = $1)",
            client_id,
        )
        if not taken:
            return client_id


async def insert_subscription(conn: asyncpg.Connection, client_id: str, buyer: int) -> None:
    await conn.execute(
        "INSERT INTO platform.subscriptions (client_id, buyer_telegram_id, status)"
        " VALUES ($1, $2, $3)",
        client_id,
        buyer,
        SubscriptionStatus.PENDING,
    )


async def get_subscription(
    conn: asyncpg.Connection, client_id: str, *, lock: bool = False
) -> Subscription | None:
    suffix = " FOR UPDATE" if lock else ""
    row = await conn.fetchrow(
        f"SELECT {_SUB_COLUMNS} FROM platform.subscriptions WHERE client_id = $1{suffix}",
        client_id,
    )
    return _build(Subscription, row)


async def start_subscription(conn: asyncpg.Connection, client_id: str, days: int) -> Subscription:
    """First activation: the paid days count from now. Later activations keep the dates."""
    row = await conn.fetchrow(
        f"""
        UPDATE platform.subscriptions
           SET status = $3,
               starts_at = coalesce(starts_at, now()),
               ends_at = coalesce(ends_at, now() + make_interval(days => $2)),
               released_at = NULL, archive_until = NULL, updated_at = now()
         WHERE client_id = $1
        RETURNING {_SUB_COLUMNS}
        """,
        client_id,
        days,
        SubscriptionStatus.ACTIVE,
    )
    return _build(Subscription, row)


async def extend_subscription(
    conn: asyncpg.Connection, client_id: str, days: int, *, reactivate: bool
) -> Subscription:
    """Renewal: add days to the end (or to now, if it has passed); clear reminders.

    A bot still running (active or grace) becomes active at once; so does a released one (paid
    time: the "may run" rule lets its activation open a slot; `start_subscription` keeps the
    dates then). Otherwise the status stays."""
    row = await conn.fetchrow(
        f"""
        UPDATE platform.subscriptions
           SET ends_at = greatest(coalesce(ends_at, now()), now()) + make_interval(days => $2),
               starts_at = coalesce(starts_at, now()),
               status = CASE WHEN $3 OR status = $5 THEN $4 ELSE status END,
               reminded_3d_at = NULL, reminded_1d_at = NULL, grace_at = NULL,
               updated_at = now()
         WHERE client_id = $1
        RETURNING {_SUB_COLUMNS}
        """,
        client_id,
        days,
        reactivate,
        SubscriptionStatus.ACTIVE,
        SubscriptionStatus.RELEASED,
    )
    return _build(Subscription, row)


async def set_subscription(conn: asyncpg.Connection, client_id: str, **values) -> None:
    allowed = {
        "status",
        "reminded_3d_at",
        "reminded_1d_at",
        "grace_at",
        "released_at",
        "archive_until",
    }
    if set(values) - allowed:
        raise ValueError(f"cannot update subscription columns {sorted(set(values) - allowed)}")
    names = list(values)
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=2))
    await conn.execute(
        f"UPDATE platform.subscriptions SET {sets}, updated_at = now() WHERE client_id = $1",
        client_id,
        *values.values(),
    )


async def subscriptions_in(
    conn: asyncpg.Connection, statuses: tuple[SubscriptionStatus, ...]
) -> list[Subscription]:
    rows = await conn.fetch(
        f"SELECT {_SUB_COLUMNS} FROM platform.subscriptions WHERE status = any($1::text[])"
        " ORDER BY ends_at NULLS LAST",
        statuses,
    )
    return [_build(Subscription, r) for r in rows]


async def buyer_bots(conn: asyncpg.Connection, buyer: int) -> list[BuyerBot]:
    rows = await conn.fetch(
        """
        SELECT s.client_id, s.status, s.ends_at, b.bot_username, t.company_name, a.slot,
               s.released_at, s.archive_until, t.suspended_at, s.purged_at,
               (SELECT o.status FROM platform.orders o
                 WHERE o.client_id = s.client_id
                   AND o.status = ANY($2::text[])
                 ORDER BY o.paid_at DESC NULLS LAST LIMIT 1) AS waiting
          FROM platform.subscriptions s
          LEFT JOIN platform.tenant_bots b USING (client_id)
          LEFT JOIN platform.tenants t USING (client_id)
          LEFT JOIN platform.slot_assignments a
                 ON a.client_id = s.client_id AND a.released_at IS NULL
         WHERE s.buyer_telegram_id = $1
         ORDER BY s.client_id
        """,
        buyer,
        UNFINISHED_ORDERS,
    )
    return [_build(BuyerBot, r) for r in rows]


async def stored_bot(conn: asyncpg.Connection, client_id: str) -> StoredBot | None:
    row = await conn.fetchrow(
        """
        SELECT t.client_id, t.company_name, t.admin_telegram_id, b.bot_username, b.token_encrypted
          FROM platform.tenants t JOIN platform.tenant_bots b USING (client_id)
         WHERE t.client_id = $1
        """,
        client_id,
    )
    return _build(StoredBot, row)


async def open_slot(conn: asyncpg.Connection, client_id: str) -> str | None:
    return await conn.fetchval(
        "SELECT slot FROM platform.slot_assignments WHERE client_id = $1 AND released_at IS NULL",
        client_id,
    )


async def run_refusal(conn: asyncpg.Connection, client_id: str) -> RunRefusal | None:
    """Why the tenant may not run, or None: the rule PostgreSQL enforces when a slot
    assignment opens (005_may_run.sql)."""
    reason = await conn.fetchval("SELECT platform.run_refusal($1)", client_id)
    return None if reason is None else RunRefusal(reason)


async def unpaid_orders(conn: asyncpg.Connection, buyer: int, max_age_hours: float) -> int:
    """The buyer's orders still waiting for payment (younger than `max_age_hours`)."""
    return await conn.fetchval(
        """
        SELECT count(*) FROM platform.orders
         WHERE buyer_telegram_id = $1 AND status = ANY($3::text[])
           AND created_at > now() - make_interval(hours => $2)
        """,
        buyer,
        max_age_hours,
        UNPAID_ORDERS,
    )


async def lock_buyer(conn: asyncpg.Connection, buyer: int) -> None:
    """Serialise one buyer's new orders until the transaction ends (the unpaid-orders cap)."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('orders'), hashtext($1::text))", str(buyer)
    )


# -- reconciliation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """A running tenant that fails the "may run" rule."""

    slot: str
    client_id: str
    reason: RunRefusal


async def running_violations(conn: asyncpg.Connection) -> list[Violation]:
    rows = await conn.fetch(
        """
        SELECT slot, client_id, reason FROM platform.running_refusals
         WHERE reason IS NOT NULL ORDER BY slot
        """
    )
    return [Violation(r["slot"], r["client_id"], RunRefusal(r["reason"])) for r in rows]


async def expire_dead_end_orders(conn: asyncpg.Connection) -> list[Order]:
    """Renewal and replace-token orders that wait (paid, queued, needs_token) for a tenant whose
    subscription has ended: they can never run; they become `expired`."""
    rows = await conn.fetch(
        f"""
        UPDATE platform.orders SET status = $1, lease_until = NULL,
               last_error = 'subscription ended before it could run', updated_at = now()
         WHERE status = ANY($2::text[])
           AND kind = ANY($3::text[])
           AND platform.run_refusal(client_id) = ANY($4::text[])
        RETURNING {_ORDER_COLUMNS}
        """,
        OrderStatus.EXPIRED,
        (OrderStatus.PAID, OrderStatus.QUEUED, OrderStatus.NEEDS_TOKEN),
        (OrderKind.RENEWAL, OrderKind.REPLACE_TOKEN),
        (RunRefusal.SUBSCRIPTION_ENDED, RunRefusal.NO_SUBSCRIPTION),
    )
    return [_build(Order, r) for r in rows]


async def release_held_orders(conn: asyncpg.Connection) -> list[Order]:
    """Orders held while their tenant was suspended go back to `paid` once it is resumed."""
    rows = await conn.fetch(
        f"""
        UPDATE platform.orders SET status = $1, attempts = 0, last_error = NULL,
               updated_at = now()
         WHERE status = $2 AND platform.run_refusal(client_id) IS DISTINCT FROM $3
        RETURNING {_ORDER_COLUMNS}
        """,
        OrderStatus.PAID,
        OrderStatus.HELD,
        RunRefusal.SUSPENDED,
    )
    return [_build(Order, r) for r in rows]


async def stale_unpaid_orders(
    conn: asyncpg.Connection, max_age_hours: float, limit: int = 100
) -> list[Order]:
    # UNPAID_ORDERS as literals, as in the partial index orders_unpaid_idx (see pending_payments)
    rows = await conn.fetch(
        f"""
        SELECT {_ORDER_COLUMNS} FROM platform.orders
         WHERE status IN ('new', 'pending')
           AND created_at <= now() - make_interval(hours => $1)
         ORDER BY created_at
         LIMIT $2
        """,
        max_age_hours,
        limit,
    )
    return [_build(Order, r) for r in rows]


async def expire_unpaid(conn: asyncpg.Connection, order_id: UUID) -> bool:
    return bool(
        await conn.fetchval(
            """
            UPDATE platform.orders SET status = $2, last_error = 'not paid in time',
                   updated_at = now()
             WHERE id = $1 AND status = ANY($3::text[])
            RETURNING true
            """,
            order_id,
            OrderStatus.EXPIRED,
            UNPAID_ORDERS,
        )
    )


# -- refunds -------------------------------------------------------------------------------------


async def payment_order(conn: asyncpg.Connection, payment_id: str) -> tuple[Decimal, UUID] | None:
    """(amount paid, order id) of a recorded payment."""
    row = await conn.fetchrow(
        "SELECT amount, order_id FROM platform.payments WHERE payment_id = $1", payment_id
    )
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
    return bool(
        await conn.fetchval(
            """
            INSERT INTO platform.refunds
                   (refund_id, payment_id, order_id, amount, currency, days_removed)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (refund_id) DO NOTHING
            RETURNING true
            """,
            refund_id,
            payment_id,
            order_id,
            amount,
            currency,
            days_removed,
        )
    )


async def refunded_total(conn: asyncpg.Connection, payment_id: str) -> Decimal:
    return await conn.fetchval(
        "SELECT coalesce(sum(amount), 0) FROM platform.refunds WHERE payment_id = $1", payment_id
    )


async def shorten_subscription(
    conn: asyncpg.Connection, client_id: str, days: Decimal
) -> Subscription | None:
    """Take `days` (fractional) off a started subscription's end."""
    row = await conn.fetchrow(
        f"""
        UPDATE platform.subscriptions
           SET ends_at = ends_at - make_interval(secs => $2 * 86400), updated_at = now()
         WHERE client_id = $1 AND ends_at IS NOT NULL
        RETURNING {_SUB_COLUMNS}
        """,
        client_id,
        float(days),
    )
    return _build(Subscription, row)


# -- alerts --------------------------------------------------------------------------------------


async def insert_alert(
    conn: asyncpg.Connection, kind: AlertKind, detail: str, order_id: UUID | None = None
) -> None:
    await conn.execute(
        "INSERT INTO platform.alerts (kind, detail, order_id) VALUES ($1, $2, $3)",
        kind,
        detail,
        order_id,
    )
