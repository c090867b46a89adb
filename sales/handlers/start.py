"""/start, the main menu and «Отмена»."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from sales import keyboards, texts
from sales.callbacks import MenuAction, MenuCallback
from sales.handlers.common import show_my_bots
from sales.purchase import PurchaseService
from sales.validation import format_price


def build_router() -> Router:
    router = Router(name="start")

    @router.message(CommandStart())
    async def start(message: Message, state: FSMContext, purchase: PurchaseService) -> None:
        await state.clear()
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

    @router.callback_query(MenuCallback.filter(F.action == MenuAction.BUY))
    async def buy(query: CallbackQuery, state: FSMContext, purchase: PurchaseService) -> None:
        await query.answer()
        await state.clear()
        await query.message.answer(
            texts.CHOOSE_TARIFF, reply_markup=keyboards.tariffs(await purchase.tariffs())
        )

    @router.callback_query(MenuCallback.filter(F.action == MenuAction.MY_BOTS))
    async def my_bots(query: CallbackQuery, purchase: PurchaseService) -> None:
        await query.answer()
        await show_my_bots(query.message, query.from_user.id, purchase)

    @router.callback_query(MenuCallback.filter(F.action == MenuAction.CANCEL))
    async def cancel(query: CallbackQuery, state: FSMContext) -> None:
        await state.clear()
        await query.answer()
        await query.message.answer(texts.CANCELLED)

    return router
