"""Building an aiogram `Bot` that talks to `TELEGRAM_API_BASE` (Telegram or the sandbox), and
the Dispatcher every bot uses: one update at a time per user."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Update


def build_bot(token: str, api_base: str) -> Bot:
    return bot_with_session(token, AiohttpSession(api=TelegramAPIServer.from_base(api_base)))


def bot_with_session(token: str, session: BaseSession) -> Bot:
    """A `Bot` with our defaults over any session (the tests' in-process one, too)."""
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=None))


class UserOrderedDispatcher(Dispatcher):
    """A Dispatcher that handles one update at a time per user.

    Polling handles updates concurrently, and two quick updates of one user (a name and a
    phone typed in a row, a double-tapped button, a press right after a screen changed) must not
    race on the same FSM state: aiogram reads the state before the handler runs, and
    aiogram-dialog saves a dialog's new screen only after it has been shown. The lock is taken before anything else (tasks
    start in update order, and a free lock is taken without yielding), so a user's updates
    are handled in order; other users never wait. Each bot (a tenant's, Sales, the Master) runs
    in one process, so an in-process lock suffices.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._user_locks: weakref.WeakValueDictionary[int, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    async def feed_update(self, bot: Bot, update: Update, **kwargs) -> Any:
        user = getattr(update.event, "from_user", None)
        if user is None:
            return await super().feed_update(bot, update, **kwargs)
        lock = self._user_locks.get(user.id)
        if lock is None:
            lock = self._user_locks[user.id] = asyncio.Lock()
        async with lock:
            return await super().feed_update(bot, update, **kwargs)
