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


class BookAction(StrEnum):
    SERVICE = "sv"  # id = service id
    STAFF = "st"  # id = staff id, 0 = any
    DAY = "d"  # id = yyyymmdd
    TIME = "t"  # id = unix minutes (UTC)
    CONFIRM = "ok"  # key = request key
    CONTACTS = "ct"  # re-enter name and phone
    BACK_SERVICES = "bs"
    BACK_STAFF = "bst"
    BACK_DAYS = "bd"
    CANCEL = "x"


class BookCallback(CallbackData, prefix="bk"):
    action: BookAction
    id: DbInt = 0
    key: str = ""


class MyAction(StrEnum):
    LIST = "l"
    OPEN = "o"
    CANCEL = "c"
    CANCEL_YES = "cy"
    RESCHEDULE = "r"
    CONFIRM_VISIT = "v"  # «Подтверждаю» under a reminder


class MyCallback(CallbackData, prefix="my"):
    action: MyAction
    id: DbInt = 0
