"""Work a tenant bot does on its own: reminders, the owner's first-run greeting, and its
command menu and descriptions (`bots.menu`).

Started from the Dispatcher's startup hook and stopped in its shutdown hook, so whoever runs
polling (the pool worker, a test) needs to know nothing about it.

Each reminder is marked `sending` (committed) before the message is sent and `sent` after, so
two rounds never send it twice. A worker killed between those two steps leaves it `sending`:
after `REMINDER_STUCK_AFTER` it is tried again (it may, rarely, arrive twice — better than not
at all). A transient error (network, Telegram 5xx) also tries again next round; after
`REMINDER_ATTEMPTS` tries the reminder is `failed`, the owner is told and the log says so. A
user who blocked the bot (403) is marked unreachable and the reminder `failed`; a 429 puts it
back to `pending`.
"""

from __future__ import annotations

import asyncio
from functools import partial

from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter
from loguru import logger

from bots import keyboards, menu, notify, outbox, texts, views
from bots.services import (
    REMINDER_ATTEMPTS,
    NoticeService,
    ReminderService,
    SalonService,
    StaffAccessService,
)
from core import periodic

REMINDER_JITTER = 0.1  # each pause between rounds is the interval ± 10 %


class Background:
    def __init__(
        self,
        reminders: ReminderService,
        salon: SalonService,
        interval: float,
        staff_access: StaffAccessService | None = None,
        notices: NoticeService | None = None,
    ) -> None:
        self.reminders = reminders
        self.notices = notices  # the salon's notices a dead worker left unsent (bots.outbox)
        self.salon = salon
        self.staff_access = staff_access  # an owner who is also a specialist keeps /staff
        self.interval = interval
        self.tasks: list[asyncio.Task] = []
        self.greeting: asyncio.Task | None = None
        self.log = logger.bind(client=reminders.tenant.client_id)

    async def on_startup(self, bot: Bot) -> None:
        client = self.reminders.tenant.client_id
        self.greeting = asyncio.create_task(self._greet_owner(bot), name=f"greeting-{client}")
        introduction = asyncio.create_task(self._introduce(bot), name=f"menu-{client}")
        self.tasks = [
            # tenants' bots share one PostgreSQL: jitter keeps their rounds out of step
            periodic.start(
                f"reminders-{client}",
                self.interval,
                partial(self.round, bot),
                log=self.log,
                jitter=REMINDER_JITTER,
            ),
            self.greeting,
            introduction,
        ]

    async def on_shutdown(self) -> None:
        tasks, self.tasks = self.tasks, []
        await periodic.stop(*tasks)

    async def _introduce(self, bot: Bot) -> None:
        try:
            settings = await self.salon.settings()
            owner = self.salon.tenant.admin_telegram_id
            staff = self.staff_access is not None and await self.staff_access.member(owner)
            await menu.introduce(bot, settings.company_name, owner, owner_is_staff=bool(staff))
        except Exception:
            self.log.exception("setting the bot's menu failed")

    async def _greet_owner(self, bot: Bot) -> None:
        """The setup guide, once, if the owner already pressed Start and nothing is set up.
        The owner's own /start competes for the same claim, so only one of them sends it."""
        try:
            if await self.salon.is_ready() or not await self.salon.claim_owner_greeting():
                return
            settings = await self.salon.settings()
            text = texts.SETUP_GUIDE.format(company=settings.company_name)
            if await notify.send(bot, self.salon.tenant.admin_telegram_id, text):
                self.log.info("first-run guide sent to the owner")
            else:
                await self.salon.unclaim_owner_greeting()
        except Exception:
            self.log.exception("first-run greeting failed")

    async def round(self, bot: Bot) -> None:
        """One background round: reminders due, then notices left unsent."""
        await self.send_due(bot)
        await self.send_left_notices(bot)

    async def send_left_notices(self, bot: Bot) -> int:
        if self.notices is None:
            return 0
        sent = await outbox.send_left(bot, self.notices)
        if sent:
            self.log.info("{} notice(s) left by an earlier worker sent", sent)
        return sent

    async def send_due(self, bot: Bot) -> int:
        sent = 0
        settings = await self.reminders.settings()
        for booking in await self.reminders.recover_stuck():
            await self._given_up(bot, booking, settings, "stuck in sending")
        for reminder in await self.reminders.claim_due():
            b = reminder.booking
            text = texts.REMINDER.format(
                when=views.when(b.starts_at, settings.tz),
                service=b.service_name,
                staff=b.staff_name,
            )
            try:
                result = await notify.send(
                    bot, b.customer_id, text, reply_markup=keyboards.reminder(b.id)
                )
            except TelegramRetryAfter as exc:
                await self.reminders.release(reminder)
                await asyncio.sleep(min(exc.retry_after, 30))
                continue
            if result is None:  # transient: next round, a bounded number of times
                failed = await self.reminders.retry_later(reminder)
                if failed is not None:
                    await self._given_up(bot, failed, settings, "send errors")
                continue
            await self.reminders.finish(reminder, sent=bool(result), unreachable=result is False)
            if result:
                sent += 1
            else:
                self.log.info("customer {} unreachable (blocked the bot)", b.customer_id)
        return sent

    async def _given_up(self, bot: Bot, booking, settings, why: str) -> None:
        self.log.error(
            "reminder for booking {} given up after {} attempts ({})",
            booking.id,
            REMINDER_ATTEMPTS,
            why,
        )
        await notify.send(
            bot,
            self.salon.tenant.admin_telegram_id,
            texts.REMINDER_GIVEN_UP.format(
                when=views.when(booking.starts_at, settings.tz),
                customer=booking.customer_name,
                phone=booking.customer_phone or "—",
            ),
        )
