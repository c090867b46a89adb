"""The tenant bot's real Dispatcher on real PostgreSQL and Redis, fed by the in-process Telegram
sandbox (no HTTP, no polling: a user action returns when the bot has handled it), with a clock
the test controls and reminder rounds the test runs. Shared by the booking integration tests;
`tests/e2e/test_booking_e2e.py` runs the same bot as a pool worker over HTTP."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import redis.asyncio as aioredis
from aiogram import Bot, Dispatcher

from bots import texts
from bots.clock import FixedClock
from bots.context import TenantContext
from bots.factory import BotOptions, build_dispatcher
from bots.parsing import parse_week
from bots.services import CatalogueService, ScheduleService
from core.migrations import migrate_tenant
from sandbox.telegram.inprocess import InProcessTelegram

OWNER = 5550001
CLIENT = "client_001"
# Monday 4 March 2030, 08:00 in Moscow
START = datetime(2030, 3, 4, 5, 0, tzinfo=UTC)
_numbers = itertools.count(1)


@dataclass
class Salon:
    tg: InProcessTelegram
    username: str
    db: asyncpg.Pool
    clock: FixedClock
    tenant: TenantContext
    catalogue: CatalogueService  # the owner's services, as /admin uses them
    schedule: ScheduleService
    bot: Bot
    dp: Dispatcher

    async def reminder_round(self) -> int:
        """One round of the bot's reminder loop at the test's clock; the reminders sent."""
        return await self.dp["background"].send_due(self.bot)

    async def fetch(self, sql: str, *args):
        async with self.db.acquire() as conn:
            return await conn.fetch(sql, *args)

    async def pick_time(
        self, user: int, staff: str = "Анна", day: str = "Пн 04.03", at: str = "10:00"
    ) -> dict:
        """/start → «Записаться» → a haircut with `staff` on `day` at `at`: the bot's reply to
        the time (the name question, or the summary for a customer the salon knows)."""
        tg, bot = self.tg, self.username
        await tg.ask(bot, user, "/start")
        await tg.click(bot, user, texts.MENU_BOOK)
        await tg.click(bot, user, "Стрижка")
        await tg.click(bot, user, staff)
        await tg.click(bot, user, day)
        return await tg.click(bot, user, at)

    async def reach_summary(
        self, user: int, *, name: str = "Клиент", phone: str = "+79991234567", **pick: str
    ) -> dict:
        """`pick_time(user, **pick)`, then the name and the phone if asked: the bot's last
        reply (the summary to confirm)."""
        tg, bot = self.tg, self.username
        reply = await self.pick_time(user, **pick)
        if reply["text"] == texts.ASK_NAME:
            await tg.ask(bot, user, name)
            sent = await tg.ask(bot, user, phone)
            reply = await tg.wait_for_reply(bot, user, after=sent["message_id"])
        return reply


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
    tg = InProcessTelegram()
    await tg.register_bot(token, username)
    bot = tg.bot(token)
    dp = build_dispatcher(
        tenant,
        redis=redis,
        db=db,
        options=BotOptions(clock=clock, ratelimit_max_events=ratelimit),
    )
    tg.attach(bot, dp)
    try:
        yield Salon(
            tg,
            username,
            db,
            clock,
            tenant,
            CatalogueService(db, tenant, clock),
            ScheduleService(db, tenant, clock),
            bot,
            dp,
        )
    finally:
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
