"""The slot's durable side in PostgreSQL: each method is one transaction."""

from __future__ import annotations

import asyncpg

from core import platform_repo as repo
from core.crypto import TokenCipher
from core.migrations import migrate_tenant
from core.platform_repo import AssignedTenant, Tenant


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
    ) -> None:
        """Tenant, its bot (token encrypted) and the open assignment, all or nothing."""
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
            await repo.open_assignment(conn, slot, tenant.client_id, activation_id)

    async def ensure_tenant_schema(self, client_id: str) -> list[str]:
        async with self.db.acquire() as conn:
            return await migrate_tenant(conn, client_id)

    async def assigned(self, slot: str) -> tuple[AssignedTenant, str] | None:
        """The tenant this slot must run, with its decrypted token, or None."""
        async with self.db.acquire() as conn:
            found = await repo.assigned_tenant(conn, slot)
        if found is None:
            return None
        return found, self.cipher.decrypt(found.token_encrypted)

    async def release(self, slot: str, reason: str, *, event: str = "released") -> str | None:
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
