"""The purchase: tariff → @BotFather steps → token → company → owner → summary → payment."""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from sales import keyboards, texts
from sales.callbacks import OrderAction, OrderCallback, OwnerAction, OwnerCallback, TariffCallback
from sales.handlers.common import show_payment
from sales.purchase import CheckOutcome, PurchaseService, VerifiedBot
from sales.states import NewToken, Purchase
from sales.validation import (
    COMPANY_LIMIT,
    InputError,
    format_price,
    parse_company,
    parse_owner_id,
)


async def delete_quietly(message: Message) -> None:
    """Remove a message that may hold a token (from the chat, and so from Telegram's history)."""
    with contextlib.suppress(TelegramAPIError):
        await message.delete()


def build_router() -> Router:
    router = Router(name="purchase")

    @router.callback_query(TariffCallback.filter(F.client_id == ""))
    async def tariff_chosen(
        query: CallbackQuery,
        callback_data: TariffCallback,
        state: FSMContext,
        purchase: PurchaseService,
    ) -> None:
        await query.answer()
        try:
            tariff = await purchase.tariff(callback_data.tariff_id)
        except InputError as error:
            await query.message.answer(error.text)
            return
        await state.set_state(Purchase.token)
        await state.set_data({"tariff_id": tariff.id})
        await query.message.answer(
            texts.BOTFATHER_STEPS.format(
                title=tariff.title,
                days=tariff.days,
                price=format_price(tariff.price, tariff.currency),
            ),
            reply_markup=keyboards.cancel_only(),
        )

    @router.message(Purchase.token)
    async def token_sent(message: Message, state: FSMContext, purchase: PurchaseService) -> None:
        await delete_quietly(message)
        try:
            bot = await purchase.verify_token(message.text)
        except InputError as error:
            await message.answer(error.text, reply_markup=keyboards.cancel_only())
            return
        await state.update_data(
            bot_id=bot.bot_id,
            username=bot.username,
            token_encrypted=bot.token_encrypted,
            fingerprint=bot.fingerprint,
        )
        await state.set_state(Purchase.company)
        await message.answer(texts.TOKEN_OK.format(username=bot.username))
        await message.answer(
            texts.ASK_COMPANY.format(limit=COMPANY_LIMIT), reply_markup=keyboards.cancel_only()
        )

    @router.message(Purchase.company)
    async def company_sent(message: Message, state: FSMContext) -> None:
        try:
            company = parse_company(message.text)
        except InputError as error:
            await message.answer(error.text, reply_markup=keyboards.cancel_only())
            return
        await state.update_data(company=company)
        await state.set_state(Purchase.owner)
        await message.answer(texts.ASK_OWNER, reply_markup=keyboards.owner())

    async def to_summary(
        message: Message, state: FSMContext, purchase: PurchaseService, owner: int
    ) -> None:
        await state.update_data(owner=owner)
        data = await state.get_data()
        try:
            tariff = await purchase.tariff(data["tariff_id"])
        except (InputError, KeyError):
            await state.clear()
            await message.answer(texts.SESSION_LOST)
            return
        await state.set_state(Purchase.confirm)
        await message.answer(
            texts.SUMMARY.format(
                title=tariff.title,
                days=tariff.days,
                username=data["username"],
                company=data["company"],
                owner=owner,
                price=format_price(tariff.price, tariff.currency),
            ),
            reply_markup=keyboards.summary(),
        )

    @router.callback_query(Purchase.owner, OwnerCallback.filter(F.action == OwnerAction.ME))
    async def owner_is_me(query: CallbackQuery, state: FSMContext, purchase: PurchaseService):
        await query.answer()
        await to_summary(query.message, state, purchase, query.from_user.id)

    @router.message(Purchase.owner)
    async def owner_sent(message: Message, state: FSMContext, purchase: PurchaseService) -> None:
        try:
            owner = parse_owner_id(message.text)
        except InputError as error:
            await message.answer(error.text, reply_markup=keyboards.owner())
            return
        await to_summary(message, state, purchase, owner)

    @router.callback_query(Purchase.confirm, OrderCallback.filter(F.action == OrderAction.PAY))
    async def pay(query: CallbackQuery, state: FSMContext, purchase: PurchaseService) -> None:
        await query.answer()
        data = await state.get_data()
        await state.clear()
        try:
            start = await purchase.place_order(
                buyer=query.from_user.id,
                tariff_id=data["tariff_id"],
                bot=VerifiedBot(
                    data["bot_id"], data["username"], data["token_encrypted"], data["fingerprint"]
                ),
                company=data["company"],
                owner=data["owner"],
            )
        except KeyError:
            await query.message.answer(texts.SESSION_LOST)
            return
        except InputError as error:
            await query.message.answer(error.text)
            return
        await show_payment(query.message, start)

    @router.callback_query(OrderCallback.filter(F.action == OrderAction.PAY))
    async def pay_stale(query: CallbackQuery) -> None:
        await query.answer(texts.SESSION_LOST, show_alert=True)

    @router.callback_query(OrderCallback.filter(F.action == OrderAction.RETRY))
    async def retry(
        query: CallbackQuery, callback_data: OrderCallback, purchase: PurchaseService
    ) -> None:
        await query.answer()
        try:
            start = await purchase.retry_payment(
                buyer=query.from_user.id, order_hex=callback_data.order_id
            )
        except InputError as error:
            await query.message.answer(error.text)
            return
        await show_payment(query.message, start)

    @router.callback_query(OrderCallback.filter(F.action == OrderAction.CHECK))
    async def check(
        query: CallbackQuery, callback_data: OrderCallback, purchase: PurchaseService
    ) -> None:
        try:
            outcome = await purchase.check_payment(
                buyer=query.from_user.id, order_hex=callback_data.order_id
            )
        except InputError as error:
            await query.answer(error.text, show_alert=True)
            return
        answers = {
            CheckOutcome.PAID: texts.PAYMENT_CONFIRMED,
            CheckOutcome.PENDING: texts.PAYMENT_NOT_YET,
            CheckOutcome.UNAVAILABLE: texts.PAYMENT_CHECK_UNAVAILABLE,
            CheckOutcome.CANCELLED: texts.PAYMENT_CANCELLED.format(
                short=callback_data.order_id[:8]
            ),
            CheckOutcome.RETRY: texts.PAYMENT_CHECK_UNAVAILABLE,
        }
        await query.answer(answers[outcome], show_alert=True)

    @router.callback_query(OrderCallback.filter(F.action == OrderAction.NEW_TOKEN))
    async def new_token_asked(
        query: CallbackQuery,
        callback_data: OrderCallback,
        state: FSMContext,
        purchase: PurchaseService,
    ) -> None:
        await query.answer()
        try:
            await purchase.order_waiting_token(
                buyer=query.from_user.id, order_hex=callback_data.order_id
            )
        except InputError as error:
            await query.message.answer(error.text)
            return
        await state.set_state(NewToken.for_order)
        await state.set_data({"order_hex": callback_data.order_id})
        await query.message.answer(texts.ASK_NEW_TOKEN, reply_markup=keyboards.cancel_only())

    @router.message(NewToken.for_order)
    async def new_token_sent(message: Message, state: FSMContext, purchase: PurchaseService):
        await delete_quietly(message)
        data = await state.get_data()
        try:
            await purchase.provide_new_token(
                buyer=message.from_user.id, order_hex=data.get("order_hex", ""), text=message.text
            )
        except InputError as error:
            await message.answer(error.text, reply_markup=keyboards.cancel_only())
            return
        await state.clear()
        await message.answer(texts.TOKEN_ACCEPTED_RESUME)

    return router
