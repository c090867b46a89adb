"""One builder per screen; shared rows (back, home) in one helper."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bots import texts
from bots.callbacks import (
    MenuAction,
    MenuCallback,
    MyAction,
    MyCallback,
)


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _nav(kb: InlineKeyboardBuilder, back: CallbackData | None = None, home: bool = True) -> None:
    row = []
    if back is not None:
        row.append(_button(texts.BACK, back))
    if home:
        row.append(_button(texts.HOME, MenuCallback(action=MenuAction.HOME)))
    if row:
        kb.row(*row)


def main_menu() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=texts.MENU_BOOK, callback_data=MenuCallback(action=MenuAction.BOOK))
    kb.button(text=texts.MENU_MY, callback_data=MenuCallback(action=MenuAction.MY))
    kb.button(text=texts.MENU_ABOUT, callback_data=MenuCallback(action=MenuAction.ABOUT))
    kb.adjust(1)
    return kb.as_markup()


def home_only() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    _nav(kb)
    return kb.as_markup()


def remove_reply() -> ReplyKeyboardRemove:
    return ReplyKeyboardRemove()


# --- reminders -------------------------------------------------------------------------------


def reminder(booking_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.row(
        _button(texts.REMINDER_CONFIRM, MyCallback(action=MyAction.CONFIRM_VISIT, id=booking_id)),
        _button(texts.REMINDER_CANCEL, MyCallback(action=MyAction.CANCEL, id=booking_id)),
    )
    return kb.as_markup()
