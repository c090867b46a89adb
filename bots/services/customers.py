"""The bot's users: who pressed Start, and what we remember of them."""

from __future__ import annotations

from bots.repository import CustomerRow
from bots.services.base import BaseService


class CustomerService(BaseService):
    async def greet(self, telegram_id: int, first_name: str | None, username: str | None) -> bool:
        """Remember who pressed Start; returns True for the owner."""
        is_admin = telegram_id == self.tenant.admin_telegram_id
        async with self.db.acquire() as conn:
            await self.repo.touch_user(
                conn,
                telegram_id=telegram_id,
                first_name=first_name,
                username=username,
                is_admin=is_admin,
            )
        return is_admin

    async def customer(self, telegram_id: int) -> CustomerRow | None:
        async with self.db.acquire() as conn:
            return await self.repo.customer(conn, telegram_id)
