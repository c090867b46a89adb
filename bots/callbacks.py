"""Callback data of the tenant bot: typed factories with enum actions and ids only.

Every value is an enum, an int or a short hex key, so the packed data stays far below
Telegram's 64-byte limit (checked by tests/unit/test_booking_units.py).
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from core.ids import DbInt


class MenuAction(StrEnum):
    BOOK = "book"
    MY = "my"
    ABOUT = "about"
    HOME = "home"


class MenuCallback(CallbackData, prefix="menu"):
    action: MenuAction


class MyAction(StrEnum):
    """The buttons under a reminder (the screens of «Мои записи» are a dialog)."""

    CANCEL = "c"  # «Отменить»
    CONFIRM_VISIT = "v"  # «Подтверждаю»


class MyCallback(CallbackData, prefix="my"):
    action: MyAction
    id: DbInt = 0
