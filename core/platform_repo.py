"""Repository for schema `platform`: takes a connection, runs bound SQL, returns dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from core.status import ActivationEvent, RunRefusal


@dataclass(frozen=True)
class Tenant:
    client_id: str
    company_name: str
    admin_telegram_id: int


@dataclass(frozen=True)
class AssignedTenant:
    """An open slot assignment with what a worker needs to run the tenant's bot."""

    assignment_id: int
    slot: str
    client_id: str
    company_name: str
    admin_telegram_id: int
    bot_id: int
    bot_username: str | None
    token_encrypted: str
    assigned_at: datetime


class SlotTaken(Exception):
    pass


MAY_NOT_RUN = "BP001"  # SQLSTATE raised by platform.check_may_run (005_may_run.sql)


class TenantMayNotRun(Exception):
    """PostgreSQL refused to open an assignment: `reason` is a `RunRefusal` value (the error's
    DETAIL, as the server sent it)."""

    def __init__(self, client_id: str, reason: str) -> None:
        super().__init__(f"{client_id} may not run: {reason}")
        self.client_id = client_id
        self.reason = reason


class TenantAlreadyActive(Exception):
    def __init__(self, client_id: str, slot: str | None) -> None:
        super().__init__(f"{client_id} is already active on {slot or 'another slot'}")
        self.client_id = client_id
        self.slot = slot


async def upsert_tenant(conn: asyncpg.Connection, tenant: Tenant) -> None:
    await conn.execute(
        """
        INSERT INTO platform.tenants (client_id, company_name, admin_telegram_id)
        VALUES ($1, $2, $3)
        ON CONFLICT (client_id) DO UPDATE
           SET company_name = EXCLUDED.company_name,
               admin_telegram_id = EXCLUDED.admin_telegram_id,
               updated_at = now()
        """,
        tenant.client_id,
        tenant.company_name,
        tenant.admin_telegram_id,
    )


async def upsert_bot(
    conn: asyncpg.Connection,
    client_id: str,
    *,
    bot_id: int,
    bot_username: str | None,
    token_encrypted: str,
    token_fingerprint: str,
) -> None:
    await conn.execute(
        """
        INSERT INTO platform.tenant_bots
               (client_id, bot_id, bot_username, token_encrypted, token_fingerprint, verified_at)
        VALUES ($1, $2, $3, $4, $5, now())
        ON CONFLICT (client_id) DO UPDATE
           SET bot_id = EXCLUDED.bot_id, bot_username = EXCLUDED.bot_username,
               token_encrypted = EXCLUDED.token_encrypted,
               token_fingerprint = EXCLUDED.token_fingerprint,
               verified_at = now(), updated_at = now()
        """,
        client_id,
        bot_id,
        bot_username,
        token_encrypted,
        token_fingerprint,
    )


async def open_slot_of_client(conn: asyncpg.Connection, client_id: str) -> str | None:
    return await conn.fetchval(
        "SELECT slot FROM platform.slot_assignments WHERE client_id = $1 AND released_at IS NULL",
        client_id,
    )


async def open_assignment(
    conn: asyncpg.Connection, slot: str, client_id: str, activation_id: str | None
) -> int:
    """Insert an open assignment; raises `SlotTaken` / `TenantAlreadyActive` on conflicts and
    `TenantMayNotRun` when the tenant fails the "may run" rule."""
    try:
        async with conn.transaction():
            return await conn.fetchval(
                """
                INSERT INTO platform.slot_assignments (slot, client_id, activation_id)
                VALUES ($1, $2, $3) RETURNING id
                """,
                slot,
                client_id,
                activation_id,
            )
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "slot_assignments_open_client":
            raise TenantAlreadyActive(
                client_id, await open_slot_of_client(conn, client_id)
            ) from None
        raise SlotTaken(slot) from None
    except asyncpg.PostgresError as exc:
        if exc.sqlstate == MAY_NOT_RUN:
            raise TenantMayNotRun(client_id, exc.detail or "refused") from None
        raise


async def run_refusal(conn: asyncpg.Connection, client_id: str) -> RunRefusal | None:
    """Why `client_id` may not run now, or None when it may: the rule the database enforces
    when an assignment opens."""
    reason = await conn.fetchval("SELECT platform.run_refusal($1)", client_id)
    return None if reason is None else RunRefusal(reason)


async def assigned_tenant(conn: asyncpg.Connection, slot: str) -> AssignedTenant | None:
    row = await conn.fetchrow(
        """
        SELECT a.id, a.slot, a.client_id, a.assigned_at, t.company_name, t.admin_telegram_id,
               b.bot_id, b.bot_username, b.token_encrypted
          FROM platform.slot_assignments a
          JOIN platform.tenants t USING (client_id)
          JOIN platform.tenant_bots b USING (client_id)
         WHERE a.slot = $1 AND a.released_at IS NULL
        """,
        slot,
    )
    if row is None:
        return None
    return AssignedTenant(
        assignment_id=row["id"],
        slot=row["slot"],
        client_id=row["client_id"],
        company_name=row["company_name"],
        admin_telegram_id=row["admin_telegram_id"],
        bot_id=row["bot_id"],
        bot_username=row["bot_username"],
        token_encrypted=row["token_encrypted"],
        assigned_at=row["assigned_at"],
    )


async def assignment_is_open(conn: asyncpg.Connection, assignment_id: int) -> bool:
    """Fencing: is this assignment still open (not released by anyone)?"""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM platform.slot_assignments"
            " WHERE id = $1 AND released_at IS NULL)",
            assignment_id,
        )
    )


async def close_assignment(conn: asyncpg.Connection, slot: str, reason: str) -> str | None:
    """End the open assignment of `slot`; returns its client id, or None if there was none."""
    return await conn.fetchval(
        """
        UPDATE platform.slot_assignments SET released_at = now(), release_reason = $2
         WHERE slot = $1 AND released_at IS NULL
        RETURNING client_id
        """,
        slot,
        reason,
    )


async def record_event(
    conn: asyncpg.Connection,
    *,
    slot: str,
    event: ActivationEvent,
    client_id: str | None = None,
    activation_id: str | None = None,
    detail: str | None = None,
    duration_ms: int | None = None,
) -> None:
    await conn.execute(
        """
        INSERT INTO platform.activation_history
               (slot, client_id, activation_id, event, detail, duration_ms)
        VALUES ($1, $2, $3, $4, $5, $6)
        """,
        slot,
        client_id,
        activation_id,
        event,
        detail,
        duration_ms,
    )


async def open_client_ids(conn: asyncpg.Connection) -> list[str]:
    """Tenants with an open slot assignment: the bots that should be running."""
    rows = await conn.fetch(
        "SELECT client_id FROM platform.slot_assignments WHERE released_at IS NULL ORDER BY 1"
    )
    return [r["client_id"] for r in rows]


async def grant_operator_period(
    conn: asyncpg.Connection, client_id: str, days: int, note: str
) -> datetime | None:
    """The operator's grant for a client without a subscription (`booking-pool activate`): it
    may run for `days` from now (an existing grant is never shortened). Returns the grant's
    end, or None when the client has a subscription (the subscription decides then). Written by
    the owner only: no service role may grant itself running time."""
    return await conn.fetchval(
        """
        INSERT INTO platform.operator_grants (client_id, granted_until, note)
        SELECT $1, now() + make_interval(days => $2), $3
         WHERE NOT EXISTS (SELECT 1 FROM platform.subscriptions WHERE client_id = $1)
        ON CONFLICT (client_id) DO UPDATE
           SET granted_until = greatest(platform.operator_grants.granted_until,
                                        EXCLUDED.granted_until),
               granted_at = now(), granted_by = current_user, note = EXCLUDED.note
        RETURNING granted_until
        """,
        client_id,
        days,
        note,
    )
