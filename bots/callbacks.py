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


class AdminAction(StrEnum):
    HOME = "h"
    SERVICES = "svs"
    SERVICE = "sv"
    SERVICE_ADD = "sva"
    SERVICE_EDIT = "sve"
    SERVICE_DEL = "svd"
    STAFF_LIST = "sts"
    STAFF = "st"
    STAFF_ADD = "sta"
    STAFF_DEL = "std"
    STAFF_SERVICES = "stv"
    STAFF_TOGGLE = "stt"  # id = staff, extra = service
    HOURS = "hr"
    HOURS_EDIT = "hre"
    EXC_ADD = "exa"
    EXC_DEL = "exd"  # id = staff, extra = yyyymmdd
    SETTINGS = "set"
    SETTING = "se"  # extra = index in SETTING_FIELDS
    BOOKINGS = "bks"
    DAY = "day"  # extra = yyyymmdd
    DAY_PICK = "dp"
    BK_CANCEL = "bc"
    BK_CANCEL_YES = "bcy"
    BK_NOSHOW = "bn"
    STATS = "sa"  # extra = days
    CSV = "csv"  # extra = days


class AdminCallback(CallbackData, prefix="ad"):
    action: AdminAction
    id: DbInt = 0
    extra: DbInt = 0
