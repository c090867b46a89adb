"""Sales data in schema `platform`: takes a connection, runs bound SQL, returns dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from uuid import UUID

import asyncpg


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
    kind: str
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
    status: str
    payment_id: str | None
    confirmation_url: str | None
    slot: str | None
    attempts: int
    last_error: str | None
    queued_at: datetime | None
    created_at: datetime
    paid_at: datetime | None
    activated_at: datetime | None


@dataclass(frozen=True)
class Subscription:
    client_id: str
    buyer_telegram_id: int
    status: str
    starts_at: datetime | None
    ends_at: datetime | None
    reminded_3d_at: datetime | None
    reminded_1d_at: datetime | None
    grace_at: datetime | None
    released_at: datetime | None
    archive_until: datetime | None


@dataclass(frozen=True)
class BuyerBot:
    """One line of /mybots."""

    client_id: str
    status: str
    ends_at: datetime | None
    bot_username: str | None
    company_name: str | None
    slot: str | None
    released_at: datetime | None
    archive_until: datetime | None
    suspended_at: datetime | None = None
    purged_at: datetime | None = None
    waiting: str | None = None  # an unfinished paid order: queued, needs_token, paid, activating


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
            UPDATE platform.orders SET status = 'pending', payment_id = $2,
                   confirmation_url = $3, updated_at = now()
             WHERE id = $1 AND status IN ('new', 'pending')
            RETURNING true
            """,
            order_id,
            payment_id,
            confirmation_url,
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
                   bot_username = $5, status = 'paid', attempts = 0, last_error = NULL,
                   updated_at = now()
             WHERE id = $1 AND status = 'needs_token'
            RETURNING true
            """,
            order_id,
            token_encrypted,
            fingerprint,
            bot_id,
            username,
        )
    )


async def claim_order(
    conn: asyncpg.Connection, order_id: UUID, lease_seconds: float
) -> Order | None:
    """Take a paid/queued order (or one whose activation lease ran out) for activation.

    Only one caller wins: the UPDATE's row lock and status check make this atomic."""
    row = await conn.fetchrow(
        f"""
        UPDATE platform.orders
           SET status = 'activating', lease_until = now() + make_interval(secs => $2),
               updated_at = now()
         WHERE id = $1
           AND (status IN ('paid', 'queued')
                OR (status = 'activating' AND lease_until < now()))
        RETURNING {_ORDER_COLUMNS}
        """,
        order_id,
        lease_seconds,
    )
    return _build(Order, row)


async def orders_to_fulfil(conn: asyncpg.Connection, limit: int = 100) -> list[tuple[UUID, str]]:
    """(id, status) of paid, queued (oldest first) and interrupted activations."""
    rows = await conn.fetch(
        """
        SELECT id, status FROM platform.orders
         WHERE status IN ('paid', 'queued')
            OR (status = 'activating' AND lease_until < now())
         ORDER BY paid_at NULLS LAST, created_at
         LIMIT $1
        """,
        limit,
    )
    return [(r["id"], r["status"]) for r in rows]


async def pending_payments(conn: asyncpg.Connection, max_age_hours: float = 24) -> list[Order]:
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
    status: str,
    via: str,
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
                   AND (s.status IN ('pending', 'active', 'grace')
                        OR EXISTS (SELECT 1 FROM platform.slot_assignments a
                                    WHERE a.client_id = b.client_id AND a.released_at IS NULL))
            ) OR EXISTS (
                SELECT 1 FROM platform.orders o
                 WHERE o.token_fingerprint = $1
                   AND o.client_id IS DISTINCT FROM $2
                   AND o.status IN ('paid', 'activating', 'queued', 'needs_token')
            )
            """,
            fingerprint,
            except_client,
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
                   AND (s.status IN ('active', 'grace')
                        OR EXISTS (SELECT 1 FROM platform.slot_assignments a
                                    WHERE a.client_id = b.client_id AND a.released_at IS NULL))
            ) OR EXISTS (
                SELECT 1 FROM platform.orders o
                 WHERE o.token_fingerprint = $1 AND o.client_id <> $2
                   AND o.status IN ('paid', 'activating', 'queued', 'needs_token')
                   AND o.paid_at < $3
            )
            """,
            fingerprint,
            client_id,
            paid_at,
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
        " VALUES ($1, $2, 'pending')",
        client_id,
        buyer,
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
           SET status = 'active',
               starts_at = coalesce(starts_at, now()),
               ends_at = coalesce(ends_at, now() + make_interval(days => $2)),
               released_at = NULL, archive_until = NULL, updated_at = now()
         WHERE client_id = $1
        RETURNING {_SUB_COLUMNS}
        """,
        client_id,
        days,
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
               status = CASE WHEN $3 OR status = 'released' THEN 'active' ELSE status END,
               reminded_3d_at = NULL, reminded_1d_at = NULL, grace_at = NULL,
               updated_at = now()
         WHERE client_id = $1
        RETURNING {_SUB_COLUMNS}
        """,
        client_id,
        days,
        reactivate,
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


async def subscriptions_in(conn: asyncpg.Connection, statuses: list[str]) -> list[Subscription]:
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
                   AND o.status IN ('queued', 'needs_token', 'paid', 'activating')
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


async def run_refusal(conn: asyncpg.Connection, client_id: str) -> str | None:
    """Why the tenant may not run (suspended | subscription_ended | no_subscription), or None:
    the rule PostgreSQL enforces when a slot assignment opens (005_may_run.sql)."""
    return await conn.fetchval("SELECT platform.run_refusal($1)", client_id)


async def unpaid_orders(conn: asyncpg.Connection, buyer: int, max_age_hours: float) -> int:
    """The buyer's orders still waiting for payment (younger than `max_age_hours`)."""
    return await conn.fetchval(
        """
        SELECT count(*) FROM platform.orders
         WHERE buyer_telegram_id = $1 AND status IN ('new', 'pending')
           AND created_at > now() - make_interval(hours => $2)
        """,
        buyer,
        max_age_hours,
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
    reason: str


async def running_violations(conn: asyncpg.Connection) -> list[Violation]:
    rows = await conn.fetch(
        """
        SELECT slot, client_id, reason FROM platform.running_refusals
         WHERE reason IS NOT NULL ORDER BY slot
        """
    )
    return [Violation(r["slot"], r["client_id"], r["reason"]) for r in rows]


async def expire_dead_end_orders(conn: asyncpg.Connection) -> list[Order]:
    """Renewal and replace-token orders that wait (paid, queued, needs_token) for a tenant whose
    subscription has ended: they can never run; they become `expired`."""
    rows = await conn.fetch(
        f"""
        UPDATE platform.orders SET status = 'expired', lease_until = NULL,
               last_error = 'subscription ended before it could run', updated_at = now()
         WHERE status IN ('paid', 'queued', 'needs_token')
           AND kind IN ('renewal', 'replace_token')
           AND platform.run_refusal(client_id) IN ('subscription_ended', 'no_subscription')
        RETURNING {_ORDER_COLUMNS}
        """
    )
    return [_build(Order, r) for r in rows]


async def release_held_orders(conn: asyncpg.Connection) -> list[Order]:
    """Orders held while their tenant was suspended go back to `paid` once it is resumed."""
    rows = await conn.fetch(
        f"""
        UPDATE platform.orders SET status = 'paid', attempts = 0, last_error = NULL,
               updated_at = now()
         WHERE status = 'held' AND platform.run_refusal(client_id) IS DISTINCT FROM 'suspended'
        RETURNING {_ORDER_COLUMNS}
        """
    )
    return [_build(Order, r) for r in rows]


async def stale_unpaid_orders(
    conn: asyncpg.Connection, max_age_hours: float, limit: int = 100
) -> list[Order]:
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
            UPDATE platform.orders SET status = 'expired', last_error = 'not paid in time',
                   updated_at = now()
             WHERE id = $1 AND status IN ('new', 'pending')
            RETURNING true
            """,
            order_id,
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
    conn: asyncpg.Connection, kind: str, detail: str, order_id: UUID | None = None
) -> None:
    await conn.execute(
        "INSERT INTO platform.alerts (kind, detail, order_id) VALUES ($1, $2, $3)",
        kind,
        detail,
        order_id,
    )
