"""Subscriptions over time: reminders 3 and 1 days before the end, grace, release and archive.

`tick(now)` is one pass; the Sales service runs it every `SUBSCRIPTION_CHECK_INTERVAL` seconds,
tests call it with a `now` of their choosing. Each step is recorded before the next pass, so a
reminder is sent once and a release happens once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

from bots.clock import Clock, SystemClock
from core.status import RUNNING_SUBSCRIPTIONS, SubscriptionStatus
from pool.manager import BotPoolManager, PoolError
from sales import repository as repo
from sales.ports import Notifier


class SubscriptionService:
    def __init__(
        self,
        *,
        db: asyncpg.Pool,
        manager: BotPoolManager,
        notifier: Notifier,
        log,
        grace_days: float = 3,
        archive_days: float = 90,
        clock: Clock | None = None,
    ) -> None:
        self.clock = clock or SystemClock()
        self.db = db
        self.manager = manager
        self.notifier = notifier
        self.log = log
        self.grace = timedelta(days=grace_days)
        self.grace_days = grace_days
        self.archive = timedelta(days=archive_days)

    async def tick(self, now: datetime | None = None) -> dict[str, int]:
        now = now or self.clock.now()
        done = {"reminded": 0, "grace": 0, "released": 0}
        async with self.db.acquire() as conn:
            subs = await repo.subscriptions_in(conn, RUNNING_SUBSCRIPTIONS)
        for sub in subs:
            if sub.ends_at is None:
                continue
            if sub.status == SubscriptionStatus.ACTIVE:
                step = await self._active(sub, now)
            else:
                step = await self._grace(sub, now)
            if step:
                done[step] += 1
        return done

    async def _username(self, client_id: str) -> str:
        async with self.db.acquire() as conn:
            bot = await repo.stored_bot(conn, client_id)
        return (bot.bot_username if bot else None) or client_id

    async def _active(self, sub: repo.Subscription, now: datetime) -> str | None:
        left = sub.ends_at - now
        if left <= timedelta(0):
            async with self.db.acquire() as conn:
                await repo.set_subscription(
                    conn, sub.client_id, status=SubscriptionStatus.GRACE, grace_at=now
                )
            self.log.info("subscription of {} ended: grace period", sub.client_id)
            await self.notifier.grace(
                sub.buyer_telegram_id, await self._username(sub.client_id), self.grace_days
            )
            return "grace"
        for days, column in ((1, "reminded_1d_at"), (3, "reminded_3d_at")):
            if left <= timedelta(days=days):
                if getattr(sub, column) is not None:
                    return None
                marks = {column: now}
                if days == 1:
                    marks["reminded_3d_at"] = sub.reminded_3d_at or now
                async with self.db.acquire() as conn:
                    await repo.set_subscription(conn, sub.client_id, **marks)
                await self.notifier.reminder(
                    sub.buyer_telegram_id, await self._username(sub.client_id), sub.ends_at, days
                )
                return "reminded"
        return None

    async def _grace(self, sub: repo.Subscription, now: datetime) -> str | None:
        if sub.ends_at + self.grace > now:
            return None
        async with self.db.acquire() as conn:
            slot = await repo.open_slot(conn, sub.client_id)
        if slot is not None:
            try:
                await self.manager.release_bot(slot, reason="subscription ended")
            except PoolError as exc:
                self.log.error(
                    "cannot release {} of {}: {}; retrying later", slot, sub.client_id, exc
                )
                return None
        archive_until = now + self.archive
        async with self.db.acquire() as conn:
            await repo.set_subscription(
                conn,
                sub.client_id,
                status=SubscriptionStatus.RELEASED,
                released_at=now,
                archive_until=archive_until,
            )
        self.log.info(
            "subscription of {} released from {}; data archived until {}",
            sub.client_id,
            slot or "no slot",
            archive_until.date(),
        )
        await self.notifier.released(
            sub.buyer_telegram_id, await self._username(sub.client_id), archive_until
        )
        return "released"
