"""Anything no other handler took: a helpful answer, never silence."""

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bots import texts


def build_router() -> Router:
    router = Router(name="fallback")

    @router.message()
    async def unknown_message(message: Message) -> None:
        await message.answer(texts.UNKNOWN)

    @router.callback_query()
    async def stale_button(query: CallbackQuery) -> None:
        await query.answer(texts.STALE_BUTTON, show_alert=True)

    return router
