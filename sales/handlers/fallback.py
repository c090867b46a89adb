"""Anything else: a hint where to go."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from sales import texts


def build_router() -> Router:
    router = Router(name="fallback")

    @router.message()
    async def unknown(message: Message) -> None:
        await message.answer(texts.UNKNOWN)

    @router.callback_query()
    async def stale_button(query: CallbackQuery) -> None:
        await query.answer(texts.SESSION_LOST, show_alert=True)

    return router
