"""One builder per screen of the Sales Bot."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from core.status import RENEWABLE_SUBSCRIPTIONS, RUNNING_SUBSCRIPTIONS, SubscriptionStatus
from sales import texts
from sales.callbacks import (
    BotAction,
    BotCallback,
    MenuAction,
    MenuCallback,
    OrderAction,
    OrderCallback,
    TariffCallback,
)
from sales.repository import BuyerBot, Tariff
from sales.validation import format_price


def _cancel_row() -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(
            text=texts.CANCEL, callback_data=MenuCallback(action=MenuAction.CANCEL).pack()
        )
    ]


def welcome() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=texts.BUY, callback_data=MenuCallback(action=MenuAction.BUY))
    kb.button(text=texts.MY_BOTS, callback_data=MenuCallback(action=MenuAction.MY_BOTS))
    kb.adjust(1)
    return kb.as_markup()


def tariffs(items: list[Tariff], client_id: str = "") -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for tariff in items:
        kb.button(
            text=texts.TARIFF_BUTTON.format(
                title=tariff.title, price=format_price(tariff.price, tariff.currency)
            ),
            callback_data=TariffCallback(tariff_id=tariff.id, client_id=client_id),
        )
    kb.adjust(1)
    kb.row(*_cancel_row())
    return kb.as_markup()


def cancel_only() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[_cancel_row()])


def payment(order_hex: str, url: str, price: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=texts.PAY.format(price=price), url=url)],
            [
                InlineKeyboardButton(
                    text=texts.CHECK_PAYMENT,
                    callback_data=OrderCallback(
                        action=OrderAction.CHECK, order_id=order_hex
                    ).pack(),
                )
            ],
        ]
    )


def retry_payment(order_hex: str) -> InlineKeyboardMarkup:
    return _order_action(texts.RETRY_PAYMENT, OrderAction.RETRY, order_hex)


def new_token(order_hex: str) -> InlineKeyboardMarkup:
    return _order_action(texts.SEND_NEW_TOKEN, OrderAction.NEW_TOKEN, order_hex)


def _order_action(text: str, action: OrderAction, order_hex: str) -> InlineKeyboardMarkup:
    """One button: `action` on the order."""
    kb = InlineKeyboardBuilder()
    kb.button(text=text, callback_data=OrderCallback(action=action, order_id=order_hex))
    return kb.as_markup()


def open_bot(username: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=texts.OPEN_BOT, url=f"https://t.me/{username}")]
        ]
    )


def archive_soon(client_id: str, username: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=texts.RENEW.format(username=username),
        callback_data=BotCallback(action=BotAction.RENEW, client_id=client_id),
    )
    kb.button(
        text=texts.EXPORT.format(username=username),
        callback_data=BotCallback(action=BotAction.EXPORT, client_id=client_id),
    )
    kb.adjust(1)
    return kb.as_markup()


def my_bots(items: list[BuyerBot]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for bot in items:
        name = bot.bot_username or bot.client_id
        if bot.purged_at is not None:
            continue
        if bot.status in RENEWABLE_SUBSCRIPTIONS:
            kb.button(
                text=texts.RENEW.format(username=name),
                callback_data=BotCallback(action=BotAction.RENEW, client_id=bot.client_id),
            )
        if bot.status in RUNNING_SUBSCRIPTIONS:
            kb.button(
                text=texts.REPLACE_TOKEN.format(username=name),
                callback_data=BotCallback(action=BotAction.REPLACE_TOKEN, client_id=bot.client_id),
            )
        if bot.status == SubscriptionStatus.RELEASED:
            kb.button(
                text=texts.EXPORT.format(username=name),
                callback_data=BotCallback(action=BotAction.EXPORT, client_id=bot.client_id),
            )
    kb.adjust(1)
    return kb.as_markup()
