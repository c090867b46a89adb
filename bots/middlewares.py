"""Per-user rate limiting under `client_NNN:ratelimit:<user>` (a fixed window in Redis).

A flooding user gets one calm message per window and is otherwise ignored until the window
ends; others are not affected. If Redis is unavailable, updates pass (fail open).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from loguru import logger
from redis.exceptions import RedisError

from bots import texts
from core.keys import ratelimit


class RateLimitMiddleware(BaseMiddleware):
    def __init__(
        self, redis: aioredis.Redis, client_id: str, max_events: int, window: float
    ) -> None:
        self.redis = redis
        self.client_id = client_id
        self.max_events = max_events
        self.window_ms = max(1, int(window * 1000))

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user = data.get("event_from_user")
        if user is None or self.max_events <= 0:
            return await handler(event, data)
        key = ratelimit(self.client_id, user.id)
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.pexpire(key, self.window_ms, nx=True)
                count, _ = await pipe.execute()
        except (RedisError, OSError) as exc:
            logger.warning("rate limit check failed ({}); letting the update through", exc)
            return await handler(event, data)
        if count <= self.max_events:
            return await handler(event, data)
        if count == self.max_events + 1 and isinstance(event, Update):
            await self._calm_down(event)
        return None

    @staticmethod
    async def _calm_down(update: Update) -> None:
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(texts.RATE_LIMITED, show_alert=True)
            elif update.message is not None:
                await update.message.answer(texts.RATE_LIMITED)
        except Exception as exc:  # a reply that fails must not break polling
            logger.warning("rate limit notice failed: {}", type(exc).__name__)
