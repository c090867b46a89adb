"""Tenant bot services: no aiogram here; each owns its transaction."""

from __future__ import annotations

import asyncpg

from bots import repository
from bots.context import TenantContext


class CustomerService:
    def __init__(self, db: asyncpg.Pool, tenant: TenantContext) -> None:
        self.db = db
        self.tenant = tenant

    async def greet(self, telegram_id: int, first_name: str | None, username: str | None) -> bool:
        """Remember who pressed Start; returns True for the owner."""
        is_admin = telegram_id == self.tenant.admin_telegram_id
        async with self.db.acquire() as conn:
            await repository.touch_user(
                conn,
                self.tenant.client_id,
                telegram_id=telegram_id,
                first_name=first_name,
                username=username,
                is_admin=is_admin,
            )
        return is_admin
