"""Callback data of the Sales Bot: typed factories with enum actions and ids only."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from core.ids import ClientIdText, DbInt, HexId


class MenuAction(StrEnum):
    BUY = "buy"
    MY_BOTS = "my"
    CANCEL = "cancel"


class MenuCallback(CallbackData, prefix="m"):
    action: MenuAction


class TariffCallback(CallbackData, prefix="t"):
    """Choose tariff `tariff_id`, for a new bot (`client_id` empty) or to renew `client_id`."""

    tariff_id: DbInt
    client_id: ClientIdText = ""


class OrderAction(StrEnum):
    RETRY = "retry"
    CHECK = "check"
    NEW_TOKEN = "token"


class OrderCallback(CallbackData, prefix="ord"):
    """An order action; `order_id` is the order's uuid in hex (32 characters)."""

    action: OrderAction
    order_id: HexId = ""


class BotAction(StrEnum):
    RENEW = "renew"
    REPLACE_TOKEN = "token"
    EXPORT = "export"


class BotCallback(CallbackData, prefix="b"):
    action: BotAction
    client_id: ClientIdText
