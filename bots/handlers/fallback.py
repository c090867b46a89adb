"""Anything no other handler took: a helpful answer, never silence."""

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bots import texts


def build_router() -> Router:
    router = Router(name="fallback")

    @router.message(F.text.startswith("/"))
    async def unknown_command(message: Message) -> None:
        await message.answer(texts.UNKNOWN_COMMAND)

    @router.message()
    async def unknown_message(message: Message, state: FSMContext) -> None:
        if await state.get_state() is not None:
            await message.answer(texts.ADMIN_HINT_INPUT)
        else:
            await message.answer(texts.UNKNOWN)

    @router.callback_query()
    async def stale_button(query: CallbackQuery) -> None:
        await query.answer(texts.STALE_BUTTON, show_alert=True)

    return router
