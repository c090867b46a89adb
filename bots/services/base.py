"""What every tenant-bot service shares: the salon's settings (cached), the clock, the repo.

Times: the database holds UTC; the salon's time zone (`timezone` setting) turns them into
local days and wall-clock times. Every "now" comes from the injected clock.
"""

from __future__ import annotations

import time as time_module
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from bots.clock import Clock, SystemClock
from bots.context import TenantContext
from bots.repository import Repo, ServiceRow
from bots.slots import Rules


@dataclass
class SalonSettings:
    company_name: str = ""
    address: str = ""
    phone: str = ""
    description: str = ""
    timezone: str = "Europe/Moscow"
    slot_step_min: int = 30
    buffer_min: int = 0
    min_notice_min: int = 60
    horizon_days: int = 14
    cancel_cutoff_min: int = 120
    reminders_min: list[int] = field(default_factory=lambda: [1440, 120])

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def load(cls, stored: dict[str, Any], company_name: str) -> SalonSettings:
        base = cls(company_name=company_name)
        known = {k: v for k, v in stored.items() if k in cls.__dataclass_fields__}
        try:
            result = replace(base, **known)
            ZoneInfo(result.timezone)
            return result
        except (TypeError, ValueError, KeyError):
            return base

    def rules(self, service: ServiceRow) -> Rules:
        return Rules(
            tz=self.tz,
            duration=timedelta(minutes=service.duration_min),
            step=timedelta(minutes=self.slot_step_min),
            buffer=timedelta(minutes=self.buffer_min),
            min_notice=timedelta(minutes=self.min_notice_min),
            horizon_days=self.horizon_days,
        )


SETTING_KEYS = tuple(SalonSettings.__dataclass_fields__)


class SettingsCache:
    """The salon's settings, shared by one bot's services. A tenant bot runs in one process
    (one poller per token), and its own writes clear the cache; `ttl` bounds how long a
    write from elsewhere takes to show."""

    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self.value: SalonSettings | None = None
        self.loaded_at = 0.0

    def get(self) -> SalonSettings | None:
        if self.value is not None and time_module.monotonic() - self.loaded_at < self.ttl:
            return self.value
        return None

    def put(self, value: SalonSettings) -> None:
        self.value, self.loaded_at = value, time_module.monotonic()

    def clear(self) -> None:
        self.value = None


class BaseService:
    def __init__(
        self,
        db: asyncpg.Pool,
        tenant: TenantContext,
        clock: Clock | None = None,
        cache: SettingsCache | None = None,
    ):
        self.db = db
        self.tenant = tenant
        self.repo = Repo(tenant.client_id)
        self.clock = clock or SystemClock()
        self.cache = cache or SettingsCache(ttl=0)

    async def settings(self, conn=None) -> SalonSettings:
        cached = self.cache.get()
        if cached is not None:
            return cached
        if conn is None:
            async with self.db.acquire() as conn:
                return await self.settings(conn)
        stored = await self.repo.settings(conn)
        value = SalonSettings.load(stored, self.tenant.company_name)
        self.cache.put(value)
        return value

    def now(self) -> datetime:
        return self.clock.now()
