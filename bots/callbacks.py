"""Callback data of the tenant bot: typed factories with enum actions only."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class MenuAction(StrEnum):
    BOOK = "book"
    MY = "my"
    ABOUT = "about"


class MenuCallback(CallbackData, prefix="menu"):
    action: MenuAction
