"""Build one tenant's bot: a fresh Dispatcher per tenant, no global state."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import asyncpg
import redis.asyncio as aioredis
from aiogram import Dispatcher, Router
from aiogram.filters import ExceptionTypeFilter
from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisStorage
from aiogram.types import ErrorEvent
from loguru import logger

from bots import texts
from bots.background import Background
from bots.clock import Clock, FileClock, SystemClock
from bots.context import TenantContext
from bots.dialogs import admin, booking, my, specialist
from bots.dialogs.common import STALE_DIALOG_ERRORS, KeepScreens, on_stale_dialog
from bots.handlers import fallback, start
from bots.services import (
    BookingService,
    CalendarService,
    CatalogueService,
    ClientService,
    CustomerService,
    NoticeService,
    ReminderService,
    ReportService,
    SalonService,
    ScheduleService,
    SettingsCache,
    StaffAccessService,
)
from core.keys import fsm_prefix, ratelimit
from core.ratelimit import FixedWindow, RateLimitMiddleware
from core.screens import setup_screens
from core.telegram import UserOrderedDispatcher, build_bot

__all__ = ["BotOptions", "build_bot", "build_dispatcher", "build_screens", "prepare_screens"]


@dataclass
class BotOptions:
    """Knobs of a tenant bot; production defaults. Built from Settings by the pool worker."""

    clock: Clock = field(default_factory=SystemClock)
    reminder_interval: float = 30.0
    ratelimit_max_events: int = 20
    ratelimit_window: float = 10.0
    settings_ttl: float = 5.0  # the salon's settings are cached this long (own writes clear it)
    fsm_ttl: int = 86400  # an abandoned conversation's state and data expire after this (s)

    @classmethod
    def from_settings(cls, settings) -> BotOptions:
        clock_file = getattr(settings, "booking_clock_file", None)
        return cls(
            clock=FileClock(clock_file) if clock_file else SystemClock(),
            reminder_interval=settings.reminder_check_interval,
            ratelimit_max_events=settings.ratelimit_max_events,
            ratelimit_window=settings.ratelimit_window,
            fsm_ttl=settings.fsm_ttl,
        )


def build_screens() -> Router:
    """Every handler and dialog of the tenant bot, under one router. They hold nothing of a
    tenant (services and storage come from the Dispatcher), so one set serves any tenant."""
    screens = Router(name="tenant-screens")
    # the customer's plain handlers (menus, /my, reminder buttons) before the customer's dialogs
    screens.include_routers(
        start.build_router(),
        admin.build_router(),
        specialist.build_router(),
        booking.build_router(),
        my.build_router(),
        booking.build_dialog(),
        my.build_dialog(),
        fallback.build_router(),
    )
    return screens


_prepared: list[Router] = []


def prepare_screens() -> None:
    """Build one set of screens ahead, for the next `build_dispatcher` in this process (or in a
    process forked from it). The pool's spawner calls it before `gc.freeze()`: the forked slot
    then shares those objects with the spawner instead of building its own (about 2.6 MB of a
    slot's private memory, measured with `make bench-memory`)."""
    _prepared[:] = [build_screens()]


def _take_screens() -> Router:
    """The prepared set, once (a router joins one parent only), else a new one."""
    return _prepared.pop() if _prepared else build_screens()


def build_dispatcher(
    tenant: TenantContext,
    *,
    redis: aioredis.Redis,
    db: asyncpg.Pool,
    options: BotOptions | None = None,
) -> Dispatcher:
    """The tenant's Dispatcher: FSM in Redis under `client_NNN:fsm:`, data in `client_NNN`,
    reminders and the owner's first-run greeting started with polling."""
    options = options or BotOptions()
    storage = RedisStorage(
        redis,
        # dialogs keep their stacks and contexts under destiny keys: client_NNN:fsm:…:aiogd:…
        key_builder=DefaultKeyBuilder(prefix=fsm_prefix(tenant.client_id), with_destiny=True),
        state_ttl=options.fsm_ttl,
        data_ttl=options.fsm_ttl,
    )
    clock = options.clock
    cache = SettingsCache(ttl=options.settings_ttl)
    salon = SalonService(db, tenant, clock, cache)
    reminders = ReminderService(db, tenant, clock, cache)
    dp = UserOrderedDispatcher(
        storage=storage,
        tenant=tenant,
        salon=salon,
        catalogue=CatalogueService(db, tenant, clock, cache),
        schedule=ScheduleService(db, tenant, clock, cache),
        calendar=CalendarService(db, tenant, clock, cache),
        clients=ClientService(db, tenant, clock, cache),
        booking=BookingService(db, tenant, clock, cache),
        customers=CustomerService(db, tenant, clock, cache),
        reminders=reminders,
        reports=ReportService(db, tenant, clock, cache),
        staff_access=StaffAccessService(db, tenant, clock, cache),
        notices=NoticeService(db, tenant, clock, cache),
    )
    window = FixedWindow(
        redis,
        partial(ratelimit, tenant.client_id),  # client_NNN:ratelimit:<user>
        options.ratelimit_max_events,
        options.ratelimit_window,
        log=logger.bind(client=tenant.client_id),
    )
    dp.update.outer_middleware(RateLimitMiddleware(window, texts.RATE_LIMITED))
    dp.include_router(_take_screens())
    setup_screens(dp, message_manager=KeepScreens())

    staff_access = dp["staff_access"]
    background = Background(
        reminders, salon, options.reminder_interval, staff_access, dp["notices"]
    )
    dp["background"] = background
    dp.startup.register(background.on_startup)
    dp.shutdown.register(background.on_shutdown)

    dp.errors.register(on_stale_dialog, ExceptionTypeFilter(*STALE_DIALOG_ERRORS))

    @dp.errors()
    async def on_error(event: ErrorEvent) -> None:
        logger.bind(client=tenant.client_id).opt(exception=event.exception).error(
            "handler failed: {}", type(event.exception).__name__
        )
        update = event.update
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(texts.ERROR, show_alert=True)
            elif update.message is not None:
                await update.message.answer(texts.ERROR)
        except Exception as exc:  # telling the user failed too: the log line above is enough
            logger.bind(client=tenant.client_id).warning(
                "could not tell the user about the error: {}", type(exc).__name__
            )

    return dp
