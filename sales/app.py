"""The Sales service: the Sales Bot (long polling), the YooKassa webhook, and background loops
(pending payments, paid/queued orders, subscriptions) in one process.

`SalesService(settings)` opens nothing until `start()`; `stop()` closes everything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisStorage
from aiogram.types import BotCommand
from aiohttp import web

from bots.clock import FileClock, SystemClock
from core import keys, periodic
from core.crypto import cipher_from_settings
from core.db import pool_from_settings
from core.migrations import ensure_platform
from core.platform_repo import open_client_ids
from core.ratelimit import FixedWindow, RateLimitMiddleware
from core.redis_client import make_redis
from core.screens import (
    fallback_router,
    register_outdated_handler,
    register_refusal_handler,
    setup_screens,
)
from core.settings import Settings
from core.telegram import UserOrderedDispatcher, build_bot
from core.tenant_access import restore_tenant_redis_users
from pool.manager import BotPoolManager
from pool.store import SlotStore
from sales import texts
from sales.dialogs import purchase as purchase_dialog
from sales.handlers import mybots, purchase, start
from sales.lifecycle import SubscriptionService
from sales.middlewares import TokenMessageGuard
from sales.orders import OrderProcessor
from sales.payments import IpAllowlist, YooKassaGateway
from sales.purchase import PurchaseService
from sales.reconcile import Reconciler
from sales.retention import RetentionService
from sales.telegram import BotNotifier, TelegramTokenChecker
from sales.validation import InputError
from sales.webhook import build_webhook_app


class SalesConfigError(Exception):
    pass


def build_dispatcher(
    *,
    redis,
    purchase_service: PurchaseService,
    retention: RetentionService | None = None,
    fsm_ttl: int = 86400,
    rate_limit: FixedWindow | None = None,
) -> Dispatcher:
    # an abandoned purchase (with the buyer's token, encrypted) expires `fsm_ttl` s after its
    # last step; aiogram-dialog keeps its stack and contexts under destiny keys
    # (`sales:fsm:<bot>:<chat>:<user>:aiogd:…`), with the same TTL
    storage = RedisStorage(
        redis,
        key_builder=DefaultKeyBuilder(prefix=keys.sales_fsm_prefix(), with_destiny=True),
        state_ttl=fsm_ttl,
        data_ttl=fsm_ttl,
    )
    dp = UserOrderedDispatcher(storage=storage, purchase=purchase_service, retention=retention)
    if rate_limit is not None:
        dp.update.outer_middleware(RateLimitMiddleware(rate_limit, texts.SLOW_DOWN))
    dp.include_router(start.build_router())
    dp.include_router(mybots.build_router())
    dp.include_router(purchase.build_router())
    dp.include_router(purchase_dialog.build_dialog())
    dp.include_router(fallback_router(texts.UNKNOWN, texts.SESSION_LOST))
    register_outdated_handler(dp, texts.SESSION_LOST)
    register_refusal_handler(dp, InputError)
    setup_screens(dp)
    guard = TokenMessageGuard()  # after setup_dialogs: it reads the dialog's current step
    dp.message.outer_middleware(guard)
    dp.edited_message.outer_middleware(guard)
    return dp


class SalesService:
    """`bot_factory(token, api_base)` builds every Bot the service uses (its own, and the one
    that checks a buyer's token); `poll=False` leaves the Dispatcher (`dispatcher`) for the
    caller to feed — the tests' in-process Telegram does."""

    def __init__(
        self,
        settings: Settings,
        log,
        *,
        bot_factory: Callable[[str, str], Bot] = build_bot,
        poll: bool = True,
    ) -> None:
        self.settings = settings
        self.log = log
        self.bot_factory = bot_factory
        self.poll = poll
        self.dispatcher: Dispatcher | None = None
        self.webhook_port: int | None = None
        self.processor: OrderProcessor | None = None
        self.lifecycle: SubscriptionService | None = None
        self.reconciler: Reconciler | None = None
        self.retention: RetentionService | None = None
        self.purchase: PurchaseService | None = None
        self.bot: Bot | None = None
        self._polling: asyncio.Task | None = None
        self._tasks: list[asyncio.Task] = []
        self._runner: web.AppRunner | None = None
        self._closers: list[Callable[[], Awaitable[None] | None]] = []

    async def start(self) -> None:
        s = self.settings
        if s.bot_token_sales is None:
            raise SalesConfigError("BOT_TOKEN_SALES is not set")
        if s.yookassa_secret_key is None or not s.yookassa_shop_id:
            raise SalesConfigError("YOOKASSA_SHOP_ID and YOOKASSA_SECRET_KEY must be set")
        cipher = cipher_from_settings(s)
        db = await pool_from_settings(s, attempts=30)
        self._closers.append(db.close)
        async with db.acquire() as conn:
            applied = await ensure_platform(conn)
        if applied:
            self.log.info("migrations applied: {}", ", ".join(applied))
        redis = make_redis(s)
        self._closers.append(redis.aclose)
        manager = BotPoolManager(
            redis, cipher, stale_after=s.heartbeat_stale_after, release_store=SlotStore(db, cipher)
        )
        gateway = YooKassaGateway(
            s.yookassa_shop_id,
            s.yookassa_secret_key.get_secret_value(),
            s.yookassa_api_url,
            timeout=s.yookassa_timeout,
        )
        self._closers.append(gateway.close)
        self.bot = self.bot_factory(s.bot_token_sales.get_secret_value(), s.telegram_api_base)
        self._closers.append(self.bot.session.close)
        me = await self.bot.get_me()
        await self.bot.set_my_commands(
            [
                BotCommand(command="start", description=texts.COMMAND_START),
                BotCommand(command="mybots", description=texts.COMMAND_MYBOTS),
                BotCommand(command="help", description=texts.COMMAND_HELP),
            ]
        )
        return_url = s.yookassa_return_url or f"https://t.me/{me.username}"
        notifier = BotNotifier(self.bot, self.log)
        self.processor = OrderProcessor(
            db=db,
            cipher=cipher,
            gateway=gateway,
            manager=manager,
            notifier=notifier,
            allowlist=IpAllowlist(s.yookassa_trusted_networks),
            log=self.log,
            activation_timeout=s.activation_timeout,
            attempts=s.activation_attempts,
            archive_days=s.subscription_archive_days,
        )
        self.purchase = PurchaseService(
            db=db,
            cipher=cipher,
            checker=TelegramTokenChecker(s.telegram_api_base, bot_factory=self.bot_factory),
            gateway=gateway,
            processor=self.processor,
            return_url=return_url,
            log=self.log,
            grace_days=s.subscription_grace_days,
            order_window=FixedWindow(
                redis,
                partial(keys.sales_ratelimit, "orders"),
                s.sales_orders_per_minute,
                60,
                what="orders",
                log=self.log,
            ),
            max_unpaid=s.sales_max_unpaid_orders,
            unpaid_hours=s.order_unpaid_hours,
        )
        self.reconciler = Reconciler(
            db=db,
            manager=manager,
            processor=self.processor,
            notifier=notifier,
            log=self.log,
            unpaid_hours=s.order_unpaid_hours,
        )
        # tests and the demo move time with a clock file; production reads the real clock
        clock = FileClock(s.booking_clock_file) if s.booking_clock_file else SystemClock()
        self.lifecycle = SubscriptionService(
            db=db,
            manager=manager,
            notifier=notifier,
            log=self.log,
            grace_days=s.subscription_grace_days,
            archive_days=s.subscription_archive_days,
            clock=clock,
        )
        self.retention = RetentionService(
            db=db,
            redis=redis,
            notifier=notifier,
            log=self.log,
            notice_days=s.archive_notice_days,
            history_days=s.activation_history_retention_days,
            alerts_days=s.alerts_retention_days,
            orders_days=s.abandoned_order_retention_days,
            notices_days=s.buyer_notices_retention_days,
            clock=clock,
        )
        self._runner = web.AppRunner(
            build_webhook_app(
                self.processor,
                s.sales_webhook_path,
                IpAllowlist(s.sales_webhook_trusted_proxies, empty_means_none=True),
            ),
            access_log=None,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, s.sales_webhook_host, s.sales_webhook_port)
        await site.start()
        self.webhook_port = site._server.sockets[0].getsockname()[1]
        self.log.info(
            "YooKassa webhook listening on http://{}:{}{}",
            s.sales_webhook_host,
            self.webhook_port,
            s.sales_webhook_path,
        )
        dp = build_dispatcher(
            redis=redis,
            purchase_service=self.purchase,
            retention=self.retention,
            fsm_ttl=self.settings.fsm_ttl,
            rate_limit=FixedWindow(
                redis,
                partial(keys.sales_ratelimit, "updates"),
                s.sales_ratelimit_max_events,
                s.sales_ratelimit_window,
                what="updates",
                log=self.log,
            ),
        )
        self._polling_started = asyncio.Event()
        dp.startup.register(self._polling_started.set)
        if self.poll:
            self._polling = asyncio.create_task(
                dp.start_polling(
                    self.bot,
                    handle_signals=False,
                    close_bot_session=False,
                    polling_timeout=s.polling_timeout,
                ),
                name="sales-polling",
            )
        self._tasks = [
            self._loop("payments poller", s.payment_poll_interval, self.processor.poll_pending),
            self._loop("order sweep", s.order_sweep_interval, self.processor.sweep),
            self._loop("subscriptions", s.subscription_check_interval, self.lifecycle.tick),
            self._loop("reconciliation", s.reconcile_interval, self.reconciler.run),
            self._loop("retention", s.retention_check_interval, self.retention.tick),
            self._loop(
                "buyers' notices", s.order_sweep_interval * 5, self.retention.deliver_notices
            ),
            self._loop(
                "tenant Redis users",
                s.tenant_acl_check_interval,
                partial(self._restore_tenant_users, db, redis, cipher),
            ),
        ]
        self.dispatcher = dp
        self.log.info("💼 Sales Bot @{} started", me.username)

    async def _restore_tenant_users(self, db, redis, cipher) -> None:
        """Running tenants whose Redis user is gone (Redis restarted without its aclfile) get
        it back: their bots' FSM and rate limits work again without a restart."""
        async with db.acquire() as conn:
            running = await open_client_ids(conn)
        restored = await restore_tenant_redis_users(redis, cipher, running)
        if restored:
            self.log.warning("Redis users restored for {}", ", ".join(restored))

    def _loop(self, what: str, interval: float, func) -> asyncio.Task:
        return periodic.start(what, interval, func, log=self.log)

    async def stop(self) -> None:
        polling, self._polling = self._polling, None
        if polling is not None and self._polling_started.is_set() and not polling.done():
            await self.dispatcher.stop_polling()  # ends the long poll in flight cleanly
            await asyncio.gather(polling, return_exceptions=True)
        elif polling is not None:
            await periodic.stop(polling)
        tasks, self._tasks = self._tasks, []
        await periodic.stop(*tasks)
        if self.processor is not None:
            await self.processor.drain()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for close in reversed(self._closers):
            result = close()
            if asyncio.iscoroutine(result):
                await result
        self._closers = []
