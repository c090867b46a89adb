"""Building an aiogram `Bot` that talks to `TELEGRAM_API_BASE` (Telegram or the sandbox)."""

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer


def build_bot(token: str, api_base: str) -> Bot:
    return bot_with_session(token, AiohttpSession(api=TelegramAPIServer.from_base(api_base)))


def bot_with_session(token: str, session: BaseSession) -> Bot:
    """A `Bot` with our defaults over any session (the tests' in-process one, too)."""
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=None))
