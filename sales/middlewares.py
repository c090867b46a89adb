"""Sales Bot middlewares: the guard that deletes bot tokens sent where none is asked for, and
the per-user rate limit on every update (`sales:ratelimit:updates:<user>`): a flooding user gets
one calm message per window and is otherwise ignored until it ends; other buyers are not
affected."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Message, TelegramObject, Update

from core.tokens import contains_token
from sales import texts
from sales.limits import FixedWindow
from sales.states import NewToken, Purchase

# the steps that take a token: their handlers delete the message themselves
TOKEN_STATES = {Purchase.token.state, NewToken.for_order.state, NewToken.for_bot.state}


class TokenMessageGuard:
    """Outer middleware on messages and edited messages: anything that looks like a bot token
    (in a text or a caption), sent anywhere but a step that asks for one, is deleted at once and
    the buyer is told why; the handler does not see it (a token is never taken for a company
    name)."""

    async def __call__(self, handler, event: Message, data):
        text = event.text or event.caption
        if not contains_token(text) or data.get("raw_state") in TOKEN_STATES:
            return await handler(event, data)
        with contextlib.suppress(TelegramAPIError):
            await event.delete()
        with contextlib.suppress(TelegramAPIError):
            await event.answer(texts.TOKEN_MESSAGE_DELETED)
        return None


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
