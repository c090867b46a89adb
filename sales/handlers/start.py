"""/start, /help, the main menu and «Отмена»."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager

from sales import keyboards, texts
from sales.callbacks import MenuAction, MenuCallback
from sales.dialogs.purchase import start_purchase
from sales.handlers.common import forget, show_my_bots
from sales.purchase import PurchaseService
from sales.validation import format_price


def build_router() -> Router:
    router = Router(name="start")

    @router.message(CommandStart())
    async def start(message: Message, dialog_manager: DialogManager, purchase: PurchaseService):
        await forget(dialog_manager)
        tariffs = await purchase.tariffs()
        if not tariffs:
            await message.answer(texts.NO_TARIFFS)
            return
        lines = "\n".join(
            texts.TARIFF_LINE.format(
                title=t.title, days=t.days, price=format_price(t.price, t.currency)
            )
            for t in tariffs
        )
        await message.answer(texts.WELCOME.format(tariffs=lines), reply_markup=keyboards.welcome())

    @router.message(Command("help"))
    async def help_(message: Message) -> None:
        await message.answer(texts.HELP)

    @router.callback_query(MenuCallback.filter(F.action == MenuAction.BUY))
    async def buy(query: CallbackQuery, state: FSMContext, dialog_manager: DialogManager) -> None:
        await query.answer()
        await state.clear()  # a replacement token asked for is no longer awaited
        await start_purchase(dialog_manager)

    @router.callback_query(MenuCallback.filter(F.action == MenuAction.MY_BOTS))
    async def my_bots(query: CallbackQuery, purchase: PurchaseService) -> None:
        await query.answer()
        await show_my_bots(query.message, query.from_user.id, purchase)

    @router.callback_query(MenuCallback.filter(F.action == MenuAction.CANCEL))
    async def cancel(query: CallbackQuery, dialog_manager: DialogManager) -> None:
        await forget(dialog_manager)
        await query.answer()
        await query.message.answer(texts.CANCELLED)

    return router
