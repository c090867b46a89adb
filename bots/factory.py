"""Build one tenant's bot: a fresh Dispatcher per tenant, no global state."""

from __future__ import annotations

import asyncpg
import redis.asyncio as aioredis
from aiogram import Dispatcher
from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisStorage

from bots.context import TenantContext
from bots.handlers import fallback, start
from bots.services import CustomerService
from core.keys import fsm_prefix
from core.telegram import build_bot

__all__ = ["build_bot", "build_dispatcher"]


def build_dispatcher(
    tenant: TenantContext, *, redis: aioredis.Redis, db: asyncpg.Pool
) -> Dispatcher:
    """The tenant's Dispatcher: FSM in Redis under `client_NNN:fsm:`, data in `client_NNN`."""
    storage = RedisStorage(
        redis, key_builder=DefaultKeyBuilder(prefix=fsm_prefix(tenant.client_id))
    )
    dp = Dispatcher(
        storage=storage,
        tenant=tenant,
        customers=CustomerService(db, tenant),
    )
    dp.include_router(start.build_router())
    dp.include_router(fallback.build_router())
    return dp
