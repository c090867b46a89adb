"""Screens shared by several handlers."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager

from core.status import OrderStatus, SubscriptionStatus
from sales import keyboards, texts
from sales.purchase import PaymentStart, PurchaseService, StartOutcome
from sales.validation import InputError, format_date, format_price, short_order


async def forget(dialog_manager: DialogManager) -> None:
    """End whatever the buyer was in: a plain step, or a dialog (its last screen loses its
    buttons)."""
    state: FSMContext = dialog_manager.middleware_data["state"]
    await state.clear()
    await dialog_manager.reset_stack()


async def delete_quietly(message: Message) -> None:
    """Remove a message that may hold a token (from the chat, and so from Telegram's history)."""
    with contextlib.suppress(TelegramAPIError):
        await message.delete()


async def ask_for_token(
    query: CallbackQuery,
    state: FSMContext,
    dialog_manager: DialogManager,
    step: State,
    data: dict[str, Any],
    text: str,
) -> None:
    """Wait for a replacement token at `step` (`sales.states.NewToken`); `data` says for what."""
    await dialog_manager.reset_stack()  # a purchase in progress is abandoned, as before
    await state.set_state(step)
    await state.set_data(data)
    await query.message.answer(text, reply_markup=keyboards.cancel_only())


async def take_token(
    message: Message,
    state: FSMContext,
    use: Callable[[dict[str, Any]], Awaitable[object]],
    done_text: str,
) -> None:
    """The token sent at a `NewToken` step: removed from the chat, handed to `use` with the
    step's data; a refusal (`InputError`) keeps the step for another try."""
    await delete_quietly(message)
    data = await state.get_data()
    try:
        await use(data)
    except InputError as error:
        await message.answer(error.text, reply_markup=keyboards.cancel_only())
        return
    await state.clear()
    await message.answer(done_text)


async def pay_or_explain(message: Message, placing: Awaitable[PaymentStart]) -> None:
    """Show the payment of an order being placed, or why it was not (`InputError`)."""
    try:
        start = await placing
    except InputError as error:
        await message.answer(error.text)
        return
    await show_payment(message, start)


async def show_payment(message: Message, start: PaymentStart) -> None:
    order = start.order
    short = short_order(order.id)
    if start.outcome == StartOutcome.CREATED and start.url:
        await message.answer(
            texts.PAYMENT_CREATED.format(short=short),
            reply_markup=keyboards.payment(
                order.id.hex, start.url, format_price(order.amount, order.currency)
            ),
        )
    elif start.outcome == StartOutcome.UNAVAILABLE:
        await message.answer(
            texts.PAYMENT_UNAVAILABLE.format(short=short),
            reply_markup=keyboards.retry_payment(order.id.hex),
        )
    elif start.outcome == StartOutcome.REJECTED:
        await message.answer(texts.PAYMENT_REJECTED.format(short=short))
    else:
        await message.answer(texts.ORDER_ALREADY_PAID)


async def show_my_bots(message: Message, buyer: int, purchase: PurchaseService) -> None:
    bots = await purchase.my_bots(buyer)
    if not bots:
        await message.answer(texts.MYBOTS_EMPTY)
        return
    lines = [texts.MYBOTS_HEADER]
    for bot in bots:
        if bot.purged_at is not None:
            icon, status = "🗑", texts.STATUS_PURGED.format(date=format_date(bot.purged_at))
        elif bot.suspended_at is not None:
            icon, status = "⏸", texts.STATUS_SUSPENDED.format(date=format_date(bot.ends_at))
        elif bot.waiting == OrderStatus.QUEUED and bot.slot is None:
            icon, status = "⏳", texts.STATUS_QUEUED
        elif bot.waiting == OrderStatus.NEEDS_TOKEN and bot.slot is None:
            icon, status = "⚠️", texts.STATUS_NEEDS_TOKEN
        elif bot.status == SubscriptionStatus.ACTIVE:
            icon, status = "🟢", texts.STATUS_ACTIVE.format(date=format_date(bot.ends_at))
        elif bot.status == SubscriptionStatus.GRACE:
            icon = "🟡"
            status = texts.STATUS_GRACE.format(
                date=format_date(bot.ends_at),
                grace=format_date(bot.ends_at + purchase.grace if bot.ends_at else None),
            )
        elif bot.status == SubscriptionStatus.RELEASED:
            icon = "⚪"
            status = texts.STATUS_RELEASED.format(
                date=format_date(bot.released_at), archive=format_date(bot.archive_until)
            )
        else:
            icon, status = "⏳", texts.STATUS_PENDING
        lines.append(
            texts.MYBOTS_LINE.format(
                icon=icon,
                username=bot.bot_username or bot.client_id,
                company=bot.company_name or "—",
                status=status,
            )
        )
    await message.answer("\n\n".join(lines), reply_markup=keyboards.my_bots(bots))
