"""The enums against the database: each status column's CHECK constraint allows exactly the
enum's values, and every such constraint has its enum (a status added in a migration and not in
Python, or the other way round, fails here)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum

import asyncpg

from bots.status import BookingStatus, CancelledBy, NoticeState, ReminderState
from core.migrations import migrate_platform, migrate_tenant
from core.status import (
    ActivationEvent,
    BuyerNoticeKind,
    OrderKind,
    OrderStatus,
    RunRefusal,
    SubscriptionStatus,
)
from sales.payments import ReceivedVia

ENUMS: dict[tuple[str, str, str], type[StrEnum]] = {
    ("platform", "orders", "status"): OrderStatus,
    ("platform", "orders", "kind"): OrderKind,
    ("platform", "subscriptions", "status"): SubscriptionStatus,
    ("platform", "activation_history", "event"): ActivationEvent,
    ("platform", "payments", "received_via"): ReceivedVia,
    ("platform", "buyer_notices", "kind"): BuyerNoticeKind,
    ("client_001", "bookings", "status"): BookingStatus,
    ("client_001", "bookings", "cancelled_by"): CancelledBy,
    ("client_001", "reminders", "state"): ReminderState,
    ("client_001", "notices", "state"): NoticeState,
}

# CHECK (column IN ('a', 'b')) as PostgreSQL prints it back: column = ANY (ARRAY['a'::text, ...])
_IN_LIST = re.compile(r"^CHECK \(\((\w+) = ANY \(ARRAY\[(.*)\]\)\)\)$")


async def allowed_values(conn: asyncpg.Connection) -> dict[tuple[str, str, str], set[str]]:
    """(schema, table, column) -> the values its CHECK (column IN (...)) allows."""
    rows = await conn.fetch(
        """
        SELECT n.nspname, t.relname, pg_get_constraintdef(c.oid) AS def
          FROM pg_constraint c
          JOIN pg_class t ON t.oid = c.conrelid
          JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE c.contype = 'c' AND n.nspname IN ('platform', 'client_001')
        """
    )
    found = {}
    for row in rows:
        match = _IN_LIST.match(row["def"])
        if match:
            column, values = match.groups()
            found[(row["nspname"], row["relname"], column)] = set(
                re.findall(r"'([^']*)'::text", values)
            )
    return found


async def test_every_status_check_constraint_allows_exactly_its_enums_values(pg_dsn):
    conn = await asyncpg.connect(pg_dsn)
    try:
        await migrate_platform(conn)
        await migrate_tenant(conn, "client_001")
        allowed = await allowed_values(conn)
    finally:
        await conn.close()
    assert set(allowed) == set(ENUMS)  # a new IN-list constraint needs its enum (and a line here)
    for column, enum in ENUMS.items():
        assert allowed[column] == {member.value for member in enum}, column


async def test_the_run_refusals_are_what_the_may_run_rule_answers(pg_dsn):
    past, future = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
    conn = await asyncpg.connect(pg_dsn)
    try:
        await migrate_platform(conn)
        # refusal_of(suspended_at, subscription status, subscription end, operator grant end)
        answers = {
            await conn.fetchval(
                "SELECT platform.refusal_of($1, $2, $3, $4)", suspended, status, ends, granted
            )
            for suspended, status, ends, granted in [
                (past, SubscriptionStatus.ACTIVE, future, None),
                (None, None, None, None),
                (None, SubscriptionStatus.RELEASED, past, None),
                (None, SubscriptionStatus.PENDING, past, None),
                (None, SubscriptionStatus.GRACE, past, None),
            ]
        }
    finally:
        await conn.close()
    assert answers == set(RunRefusal) | {None}
