"""Per-user fixed windows in Redis, and the aiogram middleware that slows a flooding user down.

A flooding user gets one calm notice per window and is otherwise ignored until the window ends;
others are not affected. If Redis is unavailable the limit lets the request through (fail open)
and says so in the log. Used by the tenant bots (`client_NNN:ratelimit:*`) and the Sales Bot
(`sales:ratelimit:*`): the key function decides where the counters live.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from loguru import logger
from redis.exceptions import RedisError


class FixedWindow:
    def __init__(
        self,
        redis: aioredis.Redis,
        key: Callable[[int], str],
        max_events: int,
        window: float,
        *,
        what: str = "rate",
        log=logger,
    ) -> None:
        self.redis = redis
        self.key = key
        self.max_events = max_events
        self.window_ms = max(1, int(window * 1000))
        self.what = what
        self.log = log

    async def hit(self, user_id: int) -> int:
        """Count one event; returns the count in the current window (0 when not counted)."""
        if self.max_events <= 0:
            return 0
        key = self.key(user_id)
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.pexpire(key, self.window_ms, nx=True)
                count, _ = await pipe.execute()
        except (RedisError, OSError) as exc:
            self.log.warning("{} limit not checked ({})", self.what, type(exc).__name__)
            return 0
        return count

    async def allowed(self, user_id: int) -> bool:
        return await self.hit(user_id) <= self.max_events


class RateLimitMiddleware(BaseMiddleware):
    """Outer middleware on updates: past `window.max_events` in a window, one `notice` (an alert
    on a button, a message otherwise), then silence until the window ends."""

    def __init__(self, window: FixedWindow, notice: str) -> None:
        self.window = window
        self.notice = notice

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        count = await self.window.hit(user.id)
        if count <= self.window.max_events:
            return await handler(event, data)
        if count == self.window.max_events + 1 and isinstance(event, Update):
            try:
                if event.callback_query is not None:
                    await event.callback_query.answer(self.notice, show_alert=True)
                elif event.message is not None:
                    await event.message.answer(self.notice)
            except Exception as exc:  # a reply that fails must not break polling
                self.window.log.warning("rate limit notice failed: {}", type(exc).__name__)
        return None
