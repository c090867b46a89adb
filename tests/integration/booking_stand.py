"""An in-process tenant bot on real PostgreSQL and Redis, talking to an in-process Telegram
sandbox, with a clock the test controls. Shared by the booking integration tests."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import redis.asyncio as aioredis

from bots.clock import FixedClock
from bots.context import TenantContext
from bots.factory import BotOptions, build_bot, build_dispatcher
from bots.parsing import parse_week
from bots.services import CatalogueService, ScheduleService
from core.migrations import migrate_tenant
from sandbox.telegram.app import SandboxServer
from sandbox.telegram.client import SandboxTelegram

OWNER = 5550001
CLIENT = "client_001"
# Monday 4 March 2030, 08:00 in Moscow
START = datetime(2030, 3, 4, 5, 0, tzinfo=UTC)
_numbers = itertools.count(1)


@dataclass
class Salon:
    tg: SandboxTelegram
    username: str
    db: asyncpg.Pool
    clock: FixedClock
    tenant: TenantContext
    catalogue: CatalogueService  # the owner's services, as /admin uses them
    schedule: ScheduleService

    async def fetch(self, sql: str, *args):
        async with self.db.acquire() as conn:
            return await conn.fetch(sql, *args)


@contextlib.asynccontextmanager
async def running_salon(
    pg_dsn: str, redis: aioredis.Redis, *, ratelimit: int = 0
) -> AsyncIterator[Salon]:
    n = next(_numbers)
    token, username = f"{6100000000 + n}:AAintegrationToken_{n:04d}_abcdefghij", f"salon_it_{n}_bot"
    db = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=5)
    async with db.acquire() as conn:
        await migrate_tenant(conn, CLIENT)
    clock = FixedClock(START)
    tenant = TenantContext(CLIENT, "Салон Анны", OWNER)
    async with SandboxServer() as server, SandboxTelegram(server.url) as tg:
        await tg.register_bot(token, username)
        bot = build_bot(token, server.url)
        dp = build_dispatcher(
            tenant,
            redis=redis,
            db=db,
            options=BotOptions(clock=clock, reminder_interval=0.1, ratelimit_max_events=ratelimit),
        )
        started = asyncio.Event()
        dp.startup.register(started.set)
        polling = asyncio.create_task(
            dp.start_polling(bot, handle_signals=False, polling_timeout=1)
        )
        await asyncio.wait_for(started.wait(), 10)
        await asyncio.wait_for(dp["background"].greeting, 10)  # the first-run guide, if any
        try:
            yield Salon(
                tg,
                username,
                db,
                clock,
                tenant,
                CatalogueService(db, tenant, clock),
                ScheduleService(db, tenant, clock),
            )
        finally:
            await dp.stop_polling()
            await asyncio.gather(polling, return_exceptions=True)
            await bot.session.close()
            await db.close()


async def set_up(salon: Salon) -> dict[str, int]:
    """A salon ready for bookings: two services, two specialists, hours with a break."""
    catalogue, schedule = salon.catalogue, salon.schedule
    cut = await catalogue.add_service("Стрижка", 60, 1500)
    color = await catalogue.add_service("Окрашивание", 120, 4000)
    anna = await catalogue.add_staff("Анна")
    oleg = await catalogue.add_staff("Олег")
    for staff_id in (anna, oleg):
        await catalogue.toggle_staff_service(staff_id, cut)
        await schedule.set_week(staff_id, parse_week("пн-пт 10:00-13:00, 14:00-18:00"))
    await catalogue.toggle_staff_service(anna, color)
    return {"cut": cut, "color": color, "anna": anna, "oleg": oleg}
