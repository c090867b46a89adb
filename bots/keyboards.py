"""One builder per screen; shared rows (back, home) in one helper."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bots import texts, views
from bots.callbacks import (
    AdminAction,
    AdminCallback,
    MenuAction,
    MenuCallback,
    MyAction,
    MyCallback,
)
from bots.repository import BookingRow, ServiceRow, StaffRow
from bots.status import ACTIVE_STATUSES


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


# --- the owner -------------------------------------------------------------------------------


def _admin(text: str, action: AdminAction, id: int = 0, extra: int = 0) -> InlineKeyboardButton:
    return _button(text, AdminCallback(action=action, id=id, extra=extra))


def _admin_back(kb: InlineKeyboardBuilder, action: AdminAction = AdminAction.HOME, id: int = 0):
    kb.row(_admin(texts.BACK, action, id))


def admin_home() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.row(_admin(texts.ADMIN_BOOKINGS, AdminAction.BOOKINGS))
    kb.row(
        _admin(texts.ADMIN_SERVICES, AdminAction.SERVICES),
        _admin(texts.ADMIN_STAFF, AdminAction.STAFF_LIST),
    )
    kb.row(
        _admin(texts.ADMIN_SETTINGS, AdminAction.SETTINGS),
        _admin(texts.ADMIN_STATS, AdminAction.STATS),
    )
    return kb.as_markup()


def admin_services(items: Iterable[ServiceRow]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for s in items:
        kb.row(_admin(s.name, AdminAction.SERVICE, s.id))
    kb.row(_admin(texts.ADMIN_ADD_SERVICE, AdminAction.SERVICE_ADD))
    _admin_back(kb)
    return kb.as_markup()


def admin_service(service_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.row(
        _admin(texts.EDIT, AdminAction.SERVICE_EDIT, service_id),
        _admin(texts.DELETE, AdminAction.SERVICE_DEL, service_id),
    )
    _admin_back(kb, AdminAction.SERVICES)
    return kb.as_markup()


def admin_staff_list(items: Iterable[StaffRow]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for s in items:
        kb.row(_admin(s.name, AdminAction.STAFF, s.id))
    kb.row(_admin(texts.ADMIN_ADD_STAFF, AdminAction.STAFF_ADD))
    _admin_back(kb)
    return kb.as_markup()


def admin_staff(staff_id: int, exception_days: Iterable[date]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.row(_admin(texts.STAFF_SERVICES_BTN, AdminAction.STAFF_SERVICES, staff_id))
    kb.row(_admin(texts.STAFF_HOURS_BTN, AdminAction.HOURS_EDIT, staff_id))
    kb.row(_admin(texts.STAFF_EXC_BTN, AdminAction.EXC_ADD, staff_id))
    for d in exception_days:
        kb.row(_admin(f"🗑 {views.day_label(d)}", AdminAction.EXC_DEL, staff_id, views.day_id(d)))
    kb.row(_admin(texts.DELETE, AdminAction.STAFF_DEL, staff_id))
    _admin_back(kb, AdminAction.STAFF_LIST)
    return kb.as_markup()


def admin_staff_services(
    staff_id: int, items: Iterable[ServiceRow], selected: set[int]
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for s in items:
        mark = "✅" if s.id in selected else "▫️"
        kb.row(_admin(f"{mark} {s.name}", AdminAction.STAFF_TOGGLE, staff_id, s.id))
    _admin_back(kb, AdminAction.STAFF, staff_id)
    return kb.as_markup()


def admin_settings(labels: list[str]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for i, label in enumerate(labels):
        kb.row(_admin(label, AdminAction.SETTING, extra=i))
    _admin_back(kb)
    return kb.as_markup()


def admin_bookings(today: date) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    tomorrow = date.fromordinal(today.toordinal() + 1)
    kb.row(
        _admin(texts.TODAY, AdminAction.DAY, extra=views.day_id(today)),
        _admin(texts.TOMORROW, AdminAction.DAY, extra=views.day_id(tomorrow)),
    )
    kb.row(_admin(texts.PICK_DATE, AdminAction.DAY_PICK))
    _admin_back(kb)
    return kb.as_markup()


def admin_day(items: Iterable[BookingRow], tz: ZoneInfo, now: datetime) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for b in items:
        if b.status not in ACTIVE_STATUSES:
            continue
        time = views.hhmm(b.starts_at, tz)
        if b.starts_at > now:
            label = texts.BK_CANCEL_BTN.format(time=time, name=b.customer_name)
            kb.row(_admin(label, AdminAction.BK_CANCEL, b.id))
        else:
            label = texts.BK_NOSHOW_BTN.format(time=time, name=b.customer_name)
            kb.row(_admin(label, AdminAction.BK_NOSHOW, b.id))
    _admin_back(kb, AdminAction.BOOKINGS)
    return kb.as_markup()


def admin_cancel_confirm(booking_id: int, day: date) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.row(_admin(texts.BK_CANCEL_YES, AdminAction.BK_CANCEL_YES, booking_id))
    kb.row(_admin(texts.BACK, AdminAction.DAY, extra=views.day_id(day)))
    return kb.as_markup()


def admin_stats(days: int | None = None) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.row(
        _admin(texts.STATS_7, AdminAction.STATS, extra=7),
        _admin(texts.STATS_30, AdminAction.STATS, extra=30),
    )
    if days:
        kb.row(_admin(texts.CSV_BTN, AdminAction.CSV, extra=days))
    _admin_back(kb)
    return kb.as_markup()


def admin_back(action: AdminAction = AdminAction.HOME, id: int = 0) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    _admin_back(kb, action, id)
    return kb.as_markup()
