"""One builder per screen; shared rows (back, home) in one helper."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bots import texts, views
from bots.callbacks import (
    BookAction,
    BookCallback,
    MenuAction,
    MenuCallback,
    MyAction,
    MyCallback,
)
from bots.repository import BookingRow, ServiceRow, StaffRow


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


# --- booking ---------------------------------------------------------------------------------


def services(items: Iterable[ServiceRow]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for s in items:
        kb.row(
            _button(
                texts.SERVICE_BUTTON.format(name=s.name, duration=s.duration_min, price=s.price),
                BookCallback(action=BookAction.SERVICE, id=s.id),
            )
        )
    _nav(kb)
    return kb.as_markup()


def staff(items: Iterable[StaffRow]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.row(_button(texts.ANY_STAFF, BookCallback(action=BookAction.STAFF, id=0)))
    for s in items:
        kb.row(_button(s.name, BookCallback(action=BookAction.STAFF, id=s.id)))
    _nav(kb, BookCallback(action=BookAction.BACK_SERVICES))
    return kb.as_markup()


# Telegram allows 100 buttons per keyboard: at most 30 days and 96 times, plus navigation.
MAX_DAYS = 30
MAX_TIMES = 96


def days(items: Iterable[date], back: CallbackData) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    buttons = [
        _button(views.day_label(d), BookCallback(action=BookAction.DAY, id=views.day_id(d)))
        for d in list(items)[:MAX_DAYS]
    ]
    for i in range(0, len(buttons), 3):
        kb.row(*buttons[i : i + 3])
    _nav(kb, back)
    return kb.as_markup()


def times(items: Iterable[datetime], tz: ZoneInfo) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    buttons = [
        _button(views.hhmm(t, tz), BookCallback(action=BookAction.TIME, id=views.minutes_id(t)))
        for t in list(items)[:MAX_TIMES]
    ]
    for i in range(0, len(buttons), 4):
        kb.row(*buttons[i : i + 4])
    _nav(kb, BookCallback(action=BookAction.BACK_DAYS))
    return kb.as_markup()


def share_phone() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=texts.SHARE_PHONE, request_contact=True)],
            [KeyboardButton(text=texts.CANCEL)],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def remove_reply() -> ReplyKeyboardRemove:
    return ReplyKeyboardRemove()


def summary(request_key: str, *, reschedule: bool = False) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    label = texts.MY_RESCHEDULE_YES if reschedule else texts.CONFIRM
    kb.row(_button(label, BookCallback(action=BookAction.CONFIRM, key=request_key)))
    if not reschedule:
        kb.row(_button(texts.CHANGE_CONTACTS, BookCallback(action=BookAction.CONTACTS)))
    kb.row(
        _button(texts.BACK, BookCallback(action=BookAction.BACK_DAYS)),
        _button(texts.CANCEL, BookCallback(action=BookAction.CANCEL)),
    )
    return kb.as_markup()


# --- my bookings -----------------------------------------------------------------------------


def my_list(items: Iterable[BookingRow], tz: ZoneInfo) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for b in items:
        label = texts.MY_ITEM.format(when=views.when(b.starts_at, tz), service=b.service_name)
        kb.row(_button(label, MyCallback(action=MyAction.OPEN, id=b.id)))
    _nav(kb)
    return kb.as_markup()


def my_card(booking_id: int, can_change: bool) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    if can_change:
        kb.row(_button(texts.MY_RESCHEDULE, MyCallback(action=MyAction.RESCHEDULE, id=booking_id)))
        kb.row(_button(texts.MY_CANCEL, MyCallback(action=MyAction.CANCEL, id=booking_id)))
    _nav(kb, MyCallback(action=MyAction.LIST))
    return kb.as_markup()


def my_cancel_confirm(booking_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.row(_button(texts.MY_CANCEL_YES, MyCallback(action=MyAction.CANCEL_YES, id=booking_id)))
    _nav(kb, MyCallback(action=MyAction.OPEN, id=booking_id))
    return kb.as_markup()


def reminder(booking_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.row(
        _button(texts.REMINDER_CONFIRM, MyCallback(action=MyAction.CONFIRM_VISIT, id=booking_id)),
        _button(texts.REMINDER_CANCEL, MyCallback(action=MyAction.CANCEL, id=booking_id)),
    )
    return kb.as_markup()
