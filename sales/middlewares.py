"""The Sales Bot's per-user rate limit on every update (`sales:ratelimit:updates:<user>`).

A flooding user gets one calm message per window and is otherwise ignored until it ends;
other buyers are not affected.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from sales import texts
from sales.limits import FixedWindow


class UpdateRateLimit(BaseMiddleware):
    def __init__(self, window: FixedWindow) -> None:
        self.window = window

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
                    await event.callback_query.answer(texts.SLOW_DOWN, show_alert=True)
                elif event.message is not None:
                    await event.message.answer(texts.SLOW_DOWN)
            except Exception as exc:  # a reply that fails must not break polling
                self.window.log.warning("rate limit notice failed: {}", type(exc).__name__)
        return None
