"""Sales Bot middleware: the guard that deletes bot tokens sent where none is asked for. (The
per-user rate limit on every update is `core.ratelimit.RateLimitMiddleware`.)"""

from __future__ import annotations

import contextlib

from aiogram.exceptions import TelegramAPIError
from aiogram.types import Message
from aiogram_dialog.api.internal import CONTEXT_KEY

from core.tokens import contains_token
from sales import texts
from sales.states import NewToken, Purchase

# the steps that take a token: their handlers delete the message themselves
TOKEN_STATES = {Purchase.token.state, NewToken.for_order.state, NewToken.for_bot.state}


def asks_for_token(data: dict) -> bool:
    """Whether the buyer is at a step that takes a token: a plain FSM step, or the purchase
    dialog's token window (its context is loaded by aiogram-dialog's outer middleware, which
    runs before this guard)."""
    context = data.get(CONTEXT_KEY)
    dialog_state = context.state.state if context is not None else None
    return data.get("raw_state") in TOKEN_STATES or dialog_state in TOKEN_STATES


class TokenMessageGuard:
    """Outer middleware on messages and edited messages: anything that looks like a bot token
    (in a text or a caption), sent anywhere but a step that asks for one, is deleted at once and
    the buyer is told why; the handler does not see it (a token is never taken for a company
    name). Register it after `setup_dialogs`."""

    async def __call__(self, handler, event: Message, data):
        text = event.text or event.caption
        if not contains_token(text) or asks_for_token(data):
            return await handler(event, data)
        with contextlib.suppress(TelegramAPIError):
            await event.delete()
        with contextlib.suppress(TelegramAPIError):
            await event.answer(texts.TOKEN_MESSAGE_DELETED)
        return None
