"""The slot's durable side in PostgreSQL: each method is one transaction."""

from __future__ import annotations

import asyncpg

from core import platform_repo as repo
from core.crypto import TokenCipher
from core.db import create_pool
from core.migrations import migrate_tenant
from core.platform_repo import AssignedTenant, Tenant
from core.status import ActivationEvent, RunRefusal
from core.tenant_access import (
    TENANT_DB_POOL_SIZE,
    ensure_tenant_role,
    tenant_db_password,
    tenant_dsn,
)


class SlotStore:
    def __init__(self, db: asyncpg.Pool, cipher: TokenCipher) -> None:
        self.db = db
        self.cipher = cipher

    async def record_activation(
        self,
        *,
        slot: str,
        activation_id: str,
        tenant: Tenant,
        token: str,
        bot_id: int,
        bot_username: str | None,
    ) -> int:
        """Tenant, its bot (token encrypted) and the open assignment, all or nothing; returns
        the assignment's id (the slot's fencing token)."""
        async with self.db.acquire() as conn, conn.transaction():
            await repo.upsert_tenant(conn, tenant)
            await repo.upsert_bot(
                conn,
                tenant.client_id,
                bot_id=bot_id,
                bot_username=bot_username,
                token_encrypted=self.cipher.encrypt(token),
                token_fingerprint=self.cipher.fingerprint(token),
            )
            return await repo.open_assignment(conn, slot, tenant.client_id, activation_id)

    async def open_tenant_db(
        self, client_id: str, platform_dsn: str, *, idle: float = 300.0
    ) -> asyncpg.Pool:
        """The tenant bot's own pool, as role `client_NNN` (made or repaired first, its password
        generated on first use), with the tenant's schema migrated as that role; a connection
        idle for `idle` seconds is closed (a quiet bot holds none)."""
        async with self.db.acquire() as conn, conn.transaction():
            password = await tenant_db_password(conn, self.cipher, client_id)
            await ensure_tenant_role(conn, client_id, password)
        pool = await create_pool(
            tenant_dsn(platform_dsn, client_id, password),
            min_size=0,  # a quiet bot holds none (asyncpg keeps min_size open forever)
            init_size=1,
            max_size=TENANT_DB_POOL_SIZE,
            server_settings={"application_name": client_id},
            max_inactive=idle,
        )
        try:
            async with pool.acquire() as conn:
                await migrate_tenant(conn, client_id)
        except BaseException:
            await pool.close()
            raise
        return pool

    async def assigned(self, slot: str) -> tuple[AssignedTenant, str] | None:
        """The tenant this slot must run, with its decrypted token, or None."""
        async with self.db.acquire() as conn:
            found = await repo.assigned_tenant(conn, slot)
        if found is None:
            return None
        return found, self.cipher.decrypt(found.token_encrypted)

    async def assignment_is_open(self, assignment_id: int) -> bool:
        async with self.db.acquire() as conn:
            return await repo.assignment_is_open(conn, assignment_id)

    async def run_refusal(self, client_id: str) -> RunRefusal | None:
        """Why the tenant may not run now (see `platform_repo.run_refusal`), or None."""
        async with self.db.acquire() as conn:
            return await repo.run_refusal(conn, client_id)

    async def release(
        self, slot: str, reason: str, *, event: ActivationEvent = ActivationEvent.RELEASED
    ) -> str | None:
        async with self.db.acquire() as conn, conn.transaction():
            client_id = await repo.close_assignment(conn, slot, reason)
            if client_id is not None:
                await repo.record_event(
                    conn, slot=slot, event=event, client_id=client_id, detail=reason
                )
            return client_id

    async def release_dead_slot(self, slot: str, reason: str) -> str | None:
        return await self.release(slot, reason)

    async def record_event(self, **fields) -> None:
        async with self.db.acquire() as conn:
            await repo.record_event(conn, **fields)
