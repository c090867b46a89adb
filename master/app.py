"""The Master Bot service: the operators' bot, the alert loop (which also grows the pool when
free slots run short), the pool's utilization samples and the Prometheus endpoint, in one
process."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from functools import partial

import asyncpg
import redis.asyncio as aioredis
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError
from aiohttp import web
from loguru import logger

from core import periodic
from core.crypto import cipher_from_settings
from core.db import pool_from_settings
from core.redis_client import make_redis
from core.screens import fallback_router, register_outdated_handler, setup_screens
from core.settings import Settings
from core.telegram import UserOrderedDispatcher, build_bot
from master import autoscale, metrics, texts
from master.alerts import AlertMonitor
from master.dialogs import clients as clients_dialog
from master.handlers import clients as client_handlers
from master.handlers import pool as pool_handlers
from master.services import ClientService, PoolService
from pool.manager import BotPoolManager, pool_problems
from pool.scaler import ScalerError, scaler_from_settings
from pool.store import SlotStore

GROW_SETTLE_SECONDS = 120
SAMPLE_SECONDS = 60


class AdminsOnly:
    """Outer middleware: updates from anyone but the admins are dropped without a word."""

    def __init__(self, admin_ids: set[int]) -> None:
        self.admin_ids = admin_ids

    async def __call__(self, handler, event, data):
        user = data.get("event_from_user")
        if user is None or user.id not in self.admin_ids:
            return None
        return await handler(event, data)


def build_dispatcher(
    pool: PoolService, clients: ClientService, *, admin_ids: set[int], alert_threshold: float
) -> Dispatcher:
    dp = UserOrderedDispatcher(pool=pool, clients=clients)
    dp.update.outer_middleware(AdminsOnly(admin_ids))
    dp.include_router(client_handlers.build_router())
    dp.include_router(pool_handlers.build_router(alert_threshold=alert_threshold))
    # after the plain routers: a dialog open in the chat takes every button left over
    dp.include_router(clients_dialog.build_dialog())
    dp.include_router(fallback_router(texts.UNKNOWN, texts.STALE_BUTTON))
    register_outdated_handler(dp, texts.STALE_BUTTON)
    setup_screens(dp)
    return dp


async def notify_admins(bot: Bot, admin_ids: set[int], text: str) -> str | None:
    """Send to every admin; None when at least one received it, else why nobody did."""
    errors = []
    for admin in sorted(admin_ids):
        try:
            await bot.send_message(admin, text)
        except (TelegramAPIError, OSError, TimeoutError) as exc:
            # e.g. an admin who never pressed Start ("chat not found", 403)
            logger.warning("alert not delivered to admin {}: {}", admin, exc)
            errors.append(f"{admin}: {getattr(exc, 'message', None) or type(exc).__name__}")
    if len(errors) == len(admin_ids):
        return "; ".join(errors) or "no admins"
    return None


class Watch:
    """A round every ALERT_INTERVAL: evaluate the alerts, then grow the pool when the autoscaling
    policy (`master.autoscale`) says free slots run short."""

    def __init__(
        self,
        monitor: AlertMonitor,
        pool: PoolService,
        policy: autoscale.Policy,
        notify: Callable[[str], Awaitable[object]],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.monitor = monitor
        self.pool = pool
        self.policy = policy
        self.notify = notify
        self.clock = clock
        self.growing: autoscale.Growth | None = None  # new slots take a while to register
        self.grow_failure_reported = False  # once, until a growth works again

    async def round(self) -> None:
        status = await self.pool.status()
        await self.monitor.check(status)
        await self.grow_if_short(status)

    async def grow_if_short(self, status: dict) -> None:
        decision = autoscale.decide(
            status["total"],
            status["free"],
            self.policy,
            can_grow=self.pool.scaler is not None,
            growing=self.growing,
            now=self.clock(),
        )
        if decision.why is autoscale.Why.AT_MAX:
            await self._grow_failed(f"the pool is at its maximum of {self.policy.max_size} slots")
        if not decision.add:
            return
        try:
            result = await self.pool.grow(decision.add)
        except ScalerError as exc:
            await self._grow_failed(str(exc))
            return
        self.grow_failure_reported = False
        self.growing = autoscale.Growth(result.size_after, self.clock() + GROW_SETTLE_SECONDS)
        logger.info("pool grown by {} to {} slots", len(result.added), result.size_after)
        await self.notify(texts.ALERT_GROWN.format(n=len(result.added), size=result.size_after))

    async def _grow_failed(self, error: str) -> None:
        if not self.grow_failure_reported:
            await self.notify(texts.ALERT_GROW_FAILED.format(error=error))
            self.grow_failure_reported = True


async def sample_pool(pool: PoolService) -> None:
    """The pool's utilization for /stats, every SAMPLE_SECONDS."""
    await pool.sample(await pool.status())


def build_web_app(pool: PoolService, redis: aioredis.Redis, db: asyncpg.Pool) -> web.Application:
    counters = metrics.ActivationCounters()
    payment_counters = metrics.PaymentCounters()

    async def metrics_handler(_request: web.Request) -> web.Response:
        body = await metrics.render(pool.manager, db, redis, counters, payment_counters)
        return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4"})

    async def health(_request: web.Request) -> web.Response:
        status = await pool.status()
        problems = pool_problems(status)
        summary = {k: status[k] for k in ("total", "free", "busy", "stale")}
        return web.Response(
            text=json.dumps({"healthy": not problems, "problems": problems, **summary}),
            status=200 if not problems else 503,
            content_type="application/json",
        )

    app = web.Application()
    app.router.add_get("/metrics", metrics_handler)
    app.router.add_get("/health", health)
    return app


async def run_master(settings: Settings) -> None:
    admin_ids = set(settings.master_admin_ids)
    if settings.bot_token_master is None:
        raise ValueError("BOT_TOKEN_MASTER is not set")
    if not admin_ids:
        raise ValueError("ADMIN_IDS_MASTER is empty: nobody could use the Master Bot")
    cipher = cipher_from_settings(settings)
    db = await pool_from_settings(settings, attempts=30)
    redis = make_redis(settings)
    manager = BotPoolManager(
        redis,
        cipher,
        stale_after=settings.heartbeat_stale_after,
        release_store=SlotStore(db, cipher),
    )
    pool = PoolService(
        manager,
        db,
        scaler_from_settings(settings),
        grow_step=settings.pool_grow_step,
        max_size=settings.pool_max_size,
        samples_days=settings.pool_samples_retention_days,
    )
    bot = build_bot(settings.bot_token_master.get_secret_value(), settings.telegram_api_base)

    async def deliver(text: str) -> str | None:
        return await notify_admins(bot, admin_ids, text)

    monitor = AlertMonitor(
        redis,
        manager,
        db,
        deliver,
        threshold=settings.pool_alert_threshold,
        redis_memory_threshold=settings.redis_memory_alert_threshold,
        max_attempts=settings.alert_delivery_attempts,
    )
    runner = web.AppRunner(build_web_app(pool, redis, db), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.master_metrics_host, settings.master_metrics_port)
    await site.start()
    logger.info(
        "metrics on http://{}:{}/metrics",
        settings.master_metrics_host,
        settings.master_metrics_port,
    )
    watch = Watch(monitor, pool, autoscale.Policy.from_settings(settings), monitor.enqueue)
    loops = [
        periodic.start("alerts", settings.alert_interval, watch.round),
        periodic.start("pool samples", SAMPLE_SECONDS, partial(sample_pool, pool)),
    ]
    clients = ClientService(db, manager, cipher, timeout=settings.activation_timeout)
    dp = build_dispatcher(
        pool, clients, admin_ids=admin_ids, alert_threshold=settings.pool_alert_threshold
    )
    try:
        await dp.start_polling(bot, handle_signals=True, polling_timeout=settings.polling_timeout)
    finally:
        await periodic.stop(*loops)
        await runner.cleanup()
        await redis.aclose()
        await db.close()
