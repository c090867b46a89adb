"""/mybots: status and end date of each bot; renew; replace the token."""

from __future__ import annotations

import json

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram_dialog import DialogManager

from core.status import RUNNING_SUBSCRIPTIONS
from sales import keyboards, texts
from sales.callbacks import BotAction, BotCallback, TariffCallback
from sales.handlers.common import ask_for_token, forget, pay_or_explain, show_my_bots, take_token
from sales.purchase import PurchaseService
from sales.repository import BuyerBot
from sales.states import NewToken
from sales.validation import InputError


async def own_bot(
    query: CallbackQuery, callback_data: BotCallback, purchase: PurchaseService
) -> BuyerBot | None:
    """The buyer's bot a button names, or None after saying why not."""
    await query.answer()
    try:
        return await purchase.own_bot(query.from_user.id, callback_data.client_id)
    except InputError as error:
        await query.message.answer(error.text)
        return None


def build_router() -> Router:
    router = Router(name="mybots")

    @router.message(Command("mybots"))
    async def my_bots(message: Message, dialog_manager: DialogManager, purchase: PurchaseService):
        await forget(dialog_manager)
        await show_my_bots(message, message.from_user.id, purchase)

    @router.callback_query(BotCallback.filter(F.action == BotAction.RENEW))
    async def renew(
        query: CallbackQuery, callback_data: BotCallback, purchase: PurchaseService
    ) -> None:
        bot = await own_bot(query, callback_data, purchase)
        if bot is None:
            return
        await query.message.answer(
            texts.RENEW_CHOOSE.format(username=bot.bot_username or bot.client_id),
            reply_markup=keyboards.tariffs(await purchase.tariffs(), client_id=bot.client_id),
        )

    @router.callback_query(TariffCallback.filter(F.client_id != ""))
    async def renewal_tariff(
        query: CallbackQuery, callback_data: TariffCallback, purchase: PurchaseService
    ) -> None:
        await query.answer()
        await pay_or_explain(
            query.message,
            purchase.place_renewal(
                buyer=query.from_user.id,
                client_id=callback_data.client_id,
                tariff_id=callback_data.tariff_id,
            ),
        )

    @router.callback_query(BotCallback.filter(F.action == BotAction.REPLACE_TOKEN))
    async def replace_asked(
        query: CallbackQuery,
        callback_data: BotCallback,
        state: FSMContext,
        dialog_manager: DialogManager,
        purchase: PurchaseService,
    ) -> None:
        bot = await own_bot(query, callback_data, purchase)
        if bot is None:
            return
        if bot.status not in RUNNING_SUBSCRIPTIONS:
            await query.message.answer(texts.REPLACE_NOT_RUNNING)
            return
        await ask_for_token(
            query,
            state,
            dialog_manager,
            NewToken.for_bot,
            {"client_id": bot.client_id},
            texts.REPLACE_ASK.format(username=bot.bot_username or bot.client_id),
        )

    @router.callback_query(BotCallback.filter(F.action == BotAction.EXPORT))
    async def export(
        query: CallbackQuery, callback_data: BotCallback, purchase: PurchaseService, retention
    ) -> None:
        bot = await own_bot(query, callback_data, purchase)
        if bot is None:
            return
        data = await retention.export(bot.client_id)
        if data is None:
            await query.message.answer(texts.EXPORT_GONE)
            return
        name = bot.bot_username or bot.client_id
        body = json.dumps(data, ensure_ascii=False, indent=1, default=str).encode()
        await query.message.answer_document(
            BufferedInputFile(body, filename=f"{bot.client_id}.json"),
            caption=texts.EXPORT_CAPTION.format(username=name),
        )

    @router.message(NewToken.for_bot)
    async def replacement_sent(message: Message, state: FSMContext, purchase: PurchaseService):
        await take_token(
            message,
            state,
            lambda data: purchase.replace_token(
                buyer=message.from_user.id, client_id=data.get("client_id", ""), text=message.text
            ),
            texts.REPLACE_STARTED,
        )

    return router
