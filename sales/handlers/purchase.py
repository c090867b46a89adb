"""After the purchase dialog (`sales.dialogs.purchase`): the order's own buttons — retry the
payment, check it, send a new token when the activation failed. They carry the order id, so
they work for as long as the order does, whatever the buyer did in between."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager

from sales import texts
from sales.callbacks import OrderAction, OrderCallback
from sales.handlers.common import ask_for_token, pay_or_explain, take_token
from sales.purchase import CheckOutcome, PurchaseService
from sales.states import NewToken
from sales.validation import InputError


def build_router() -> Router:
    router = Router(name="purchase")

    @router.callback_query(OrderCallback.filter(F.action == OrderAction.RETRY))
    async def retry(
        query: CallbackQuery, callback_data: OrderCallback, purchase: PurchaseService
    ) -> None:
        await query.answer()
        await pay_or_explain(
            query.message,
            purchase.retry_payment(buyer=query.from_user.id, order_hex=callback_data.order_id),
        )

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
        dialog_manager: DialogManager,
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
        await ask_for_token(
            query,
            state,
            dialog_manager,
            NewToken.for_order,
            {"order_hex": callback_data.order_id},
            texts.ASK_NEW_TOKEN,
        )

    @router.message(NewToken.for_order)
    async def new_token_sent(message: Message, state: FSMContext, purchase: PurchaseService):
        await take_token(
            message,
            state,
            lambda data: purchase.provide_new_token(
                buyer=message.from_user.id, order_hex=data.get("order_hex", ""), text=message.text
            ),
            texts.TOKEN_ACCEPTED_RESUME,
        )

    return router
