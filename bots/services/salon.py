"""The salon itself: settings, setup state, the owner's first-run greeting, today's date."""

from __future__ import annotations

from datetime import date
from typing import Any

from bots import texts
from bots.parsing import InputError
from bots.services.base import SETTING_KEYS, BaseService, SalonSettings
from bots.slots import local_today


class SalonService(BaseService):
    # --- setup state -----------------------------------------------------------------------

    async def is_ready(self) -> bool:
        async with self.db.acquire() as conn:
            return bool(await self.repo.services(conn, bookable_only=True))

    async def claim_owner_greeting(self) -> bool:
        """True exactly once per tenant: whoever gets it sends the first-run guide."""
        async with self.db.acquire() as conn:
            return await self.repo.set_setting_once(conn, "_owner_greeted", True)

    async def unclaim_owner_greeting(self) -> None:
        """The guide did not arrive (the owner never pressed Start): /start will show it."""
        async with self.db.acquire() as conn:
            await self.repo.delete_setting(conn, "_owner_greeted")

    async def setup_progress(self) -> dict[str, bool]:
        async with self.db.acquire() as conn:
            services = await self.repo.services(conn)
            staff = await self.repo.staff(conn)
            bookable = await self.repo.services(conn, bookable_only=True)
        return {"services": bool(services), "staff": bool(staff), "ready": bool(bookable)}

    # --- settings --------------------------------------------------------------------------

    async def update_setting(self, key: str, value: Any) -> SalonSettings:
        if key not in SETTING_KEYS:
            raise InputError(texts.SETTING_UNKNOWN)
        async with self.db.acquire() as conn:
            await self.repo.set_setting(conn, key, value)
            self.cache.clear()
            return await self.settings(conn)

    # --- the salon's calendar --------------------------------------------------------------

    async def today(self) -> date:
        settings = await self.settings()
        return local_today(self.now(), settings.tz)
