"""Repository for schema `platform`: takes a connection, runs a named query from
`platform_repo.sql` beside this file, returns dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from core.db import queries, row_to
from core.status import ActivationEvent, RunRefusal

Q = queries(__file__)


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
    await Q.upsert_tenant(
        conn,
        client_id=tenant.client_id,
        company_name=tenant.company_name,
        admin_telegram_id=tenant.admin_telegram_id,
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
    await Q.upsert_bot(
        conn,
        client_id=client_id,
        bot_id=bot_id,
        bot_username=bot_username,
        token_encrypted=token_encrypted,
        token_fingerprint=token_fingerprint,
    )


async def open_slot_of_client(conn: asyncpg.Connection, client_id: str) -> str | None:
    return await Q.open_slot_of_client(conn, client_id=client_id)


async def open_assignment(
    conn: asyncpg.Connection, slot: str, client_id: str, activation_id: str | None
) -> int:
    """Insert an open assignment; raises `SlotTaken` / `TenantAlreadyActive` on conflicts and
    `TenantMayNotRun` when the tenant fails the "may run" rule."""
    try:
        async with conn.transaction():
            return await Q.open_assignment(
                conn, slot=slot, client_id=client_id, activation_id=activation_id
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
    reason = await Q.run_refusal(conn, client_id=client_id)
    return None if reason is None else RunRefusal(reason)


async def assigned_tenant(conn: asyncpg.Connection, slot: str) -> AssignedTenant | None:
    return row_to(AssignedTenant, await Q.assigned_tenant(conn, slot=slot))


async def assignment_is_open(conn: asyncpg.Connection, assignment_id: int) -> bool:
    """Fencing: is this assignment still open (not released by anyone)?"""
    return await Q.assignment_is_open(conn, assignment_id=assignment_id)


async def close_assignment(conn: asyncpg.Connection, slot: str, reason: str) -> str | None:
    """End the open assignment of `slot`; returns its client id, or None if there was none."""
    return await Q.close_assignment(conn, slot=slot, reason=reason)


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
    await Q.record_event(
        conn,
        slot=slot,
        event=event,
        client_id=client_id,
        activation_id=activation_id,
        detail=detail,
        duration_ms=duration_ms,
    )


async def open_client_ids(conn: asyncpg.Connection) -> list[str]:
    """Tenants with an open slot assignment: the bots that should be running."""
    return [r["client_id"] async for r in Q.open_client_ids(conn)]


async def grant_operator_period(
    conn: asyncpg.Connection, client_id: str, days: int, note: str
) -> datetime | None:
    """The operator's grant for a client without a subscription (`booking-pool activate`): it
    may run for `days` from now (an existing grant is never shortened). Returns the grant's
    end, or None when the client has a subscription (the subscription decides then). Written by
    the owner only: no service role may grant itself running time."""
    return await Q.grant_operator_period(conn, client_id=client_id, days=days, note=note)


# -- tenant identities (core/tenant_access.py) ---------------------------------------------------


async def tenant_password(conn: asyncpg.Connection, client_id: str, new_encrypted: str) -> str:
    """The stored (encrypted) database password of `client_id`, storing `new_encrypted` first
    if it has none: safe against a concurrent caller, the first stored value wins."""
    await Q.store_tenant_password(conn, client_id=client_id, password_encrypted=new_encrypted)
    return await Q.tenant_password(conn, client_id=client_id)


async def ensure_tenant_role(conn: asyncpg.Connection, client_id: str, verifier: str) -> None:
    """Create or repair role `client_NNN` with this SCRAM verifier (004_isolation.sql)."""
    await Q.ensure_tenant_role(conn, client_id=client_id, verifier=verifier)
