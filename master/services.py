"""Master Bot services: what the handlers ask for, without aiogram."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar
from uuid import UUID

import asyncpg

from core.crypto import TokenCipher
from core.localtime import PLATFORM_ZONE
from core.status import BuyerNoticeKind, SubscriptionStatus
from master import repository as repo
from pool.manager import ActivationResult, BotPoolManager, PoolError
from pool.scaler import GrowResult, SupervisorPool


@dataclass(frozen=True)
class PlatformStats:
    day: int
    day_failed: int
    week: int
    avg_ms: int | None
    hours: list[tuple[str, int]]
    days: list[tuple[str, int]]
    utilization: list[tuple[str, int]]
    revenue: repo.Revenue
    waiting_orders: int


class PoolService:
    def __init__(
        self,
        manager: BotPoolManager,
        db: asyncpg.Pool,
        scaler: SupervisorPool | None,
        *,
        grow_step: int,
        max_size: int,
        samples_days: float = 30,
    ) -> None:
        self.samples_days = samples_days
        self.manager = manager
        self.db = db
        self.scaler = scaler
        self.grow_step = grow_step
        self.max_size = max_size

    async def status(self) -> dict:
        return await self.manager.get_pool_status()

    async def slot(self, pool_id: int) -> dict | None:
        status = await self.status()
        return next((s for s in status["slots"] if s["pool_id"] == pool_id), None)

    async def release(self, pool_id: int) -> dict:
        return await self.manager.release_bot(
            f"booking-bot-pool-{pool_id}", reason="released from the Master Bot"
        )

    async def grow(self, n: int) -> GrowResult:
        return await self.scaler.grow(n)

    async def stats(self, timezone: str = PLATFORM_ZONE.key) -> PlatformStats:
        async with self.db.acquire() as conn:
            totals = await repo.activation_totals(conn)
            hours = await repo.activations_by(conn, "hour", timezone)
            days = await repo.activations_by(conn, "day", timezone)
            utilization = await repo.utilization_by_hour(conn, timezone)
            revenue = await repo.revenue(conn)
            waiting = await repo.waiting_orders(conn)
        return PlatformStats(
            day=totals.day,
            day_failed=totals.day_failed,
            week=totals.week,
            avg_ms=None if totals.avg_ms is None else round(totals.avg_ms),
            hours=[(t.strftime("%d.%m %H:00"), n) for t, n in hours],
            days=[(t.strftime("%d.%m"), n) for t, n in days],
            utilization=[(t.strftime("%d.%m %H:00"), p) for t, p in utilization],
            revenue=revenue,
            waiting_orders=waiting,
        )

    async def sample(self, status: dict) -> None:
        """Record the pool's utilization for /stats (called about once a minute)."""
        async with self.db.acquire() as conn:
            await repo.add_pool_sample(
                conn, status["total"], status["busy"], status["stale"], self.samples_days
            )


class ClientActionError(Exception):
    """An action on a client cannot be done. Each reason is a subclass; its `code` picks the
    operator's message (`texts.CLIENT_ERRORS`), `detail` fills it in."""

    code: ClassVar[str]

    def __init__(self, detail: str = "") -> None:
        super().__init__(f"{self.code}: {detail}" if detail else self.code)
        self.detail = detail


class NoSubscription(ClientActionError):
    code = "no_subscription"


class AlreadySuspended(ClientActionError):
    code = "already_suspended"


class NotSuspended(ClientActionError):
    code = "not_suspended"


class ReleaseFailed(ClientActionError):
    code = "release_failed"


class OrderNotStuck(ClientActionError):
    code = "order_not_stuck"


class NoStoredBot(ClientActionError):
    code = "no_bot"


class NoFreeSlot(ClientActionError):
    code = "no_free_slot"


class ActivationFailed(ClientActionError):
    code = "activation_failed"


class ClientService:
    PAGE_SIZE = 8

    def __init__(
        self, db: asyncpg.Pool, manager: BotPoolManager, cipher: TokenCipher, *, timeout: float
    ) -> None:
        self.db = db
        self.manager = manager
        self.cipher = cipher
        self.timeout = timeout

    async def page(self, number: int) -> tuple[list[repo.ClientRow], int, int, int]:
        """Clients on page `number` (from 0), the page shown, the page count, the client count."""
        async with self.db.acquire() as conn:
            total = await repo.count_clients(conn)
            pages = max(1, -(-total // self.PAGE_SIZE))
            number = min(max(number, 0), pages - 1)
            rows = await repo.list_clients(
                conn, offset=number * self.PAGE_SIZE, limit=self.PAGE_SIZE
            )
        return rows, number, pages, total

    async def card(self, client_id: str) -> repo.ClientCard | None:
        async with self.db.acquire() as conn:
            return await repo.client_card(conn, client_id)

    async def extend(self, client_id: str, days: int) -> tuple[datetime, ActivationResult | None]:
        """Extend by `days`; a released (not suspended) tenant is started again with its data."""
        async with self.db.acquire() as conn, conn.transaction():
            changed = await repo.extend_subscription(conn, client_id, days)
        if changed is None:
            raise NoSubscription
        ends_at, previous = changed
        card = await self.card(client_id)
        started = None
        if (
            previous == SubscriptionStatus.RELEASED
            and card.client.slot is None
            and not card.client.suspended
        ):
            started = await self._start(client_id)
        return ends_at, started

    async def suspend(self, client_id: str) -> str | None:
        """Stop the tenant's bot and keep it stopped; returns the slot it was released from."""
        async with self.db.acquire() as conn, conn.transaction():
            if not await repo.set_suspended(conn, client_id, "suspended by operator"):
                raise AlreadySuspended
            await repo.queue_buyer_notice(conn, client_id, BuyerNoticeKind.SUSPENDED)
        card = await self.card(client_id)
        if card.client.slot is None:
            return None
        try:
            await self.manager.release_bot(card.client.slot, reason="suspended by operator")
        except PoolError as exc:
            raise ReleaseFailed(str(exc)) from None
        return card.client.slot

    async def resume(self, client_id: str) -> ActivationResult | None:
        async with self.db.acquire() as conn, conn.transaction():
            if not await repo.set_suspended(conn, client_id, None):
                raise NotSuspended
            await repo.queue_buyer_notice(conn, client_id, BuyerNoticeKind.RESUMED)
        card = await self.card(client_id)
        if (
            card.client.slot is not None
            or card.client.subscription_status == SubscriptionStatus.RELEASED
        ):
            return None  # running already, or its subscription ended: renewal starts it
        return await self._start(client_id)

    async def resend_order(self, order_id: UUID) -> str:
        async with self.db.acquire() as conn:
            client = await repo.resend_order(conn, order_id)
        if client is None:
            raise OrderNotStuck
        return client

    async def _start(self, client_id: str) -> ActivationResult:
        """Activate the tenant's stored bot in a free slot and wait for the worker."""
        async with self.db.acquire() as conn:
            stored = await repo.stored_tenant(conn, client_id)
        if stored is None:
            raise NoStoredBot
        free = await self.manager.find_free_bot()
        if free is None:
            raise NoFreeSlot
        try:
            activation = await self.manager.activate_bot(
                free["container_id"],
                self.cipher.decrypt(stored.token_encrypted),
                stored.admin_telegram_id,
                client_id,
                stored.company_name,
            )
        except PoolError as exc:
            raise ActivationFailed(str(exc)) from None
        result = await self.manager.wait_for_activation(
            free["container_id"], activation, self.timeout
        )
        if not result.ok:
            raise ActivationFailed(result.error or "")
        return result
