"""The owner's calendar: a day (its bookings, each specialist's hours and free time; cancel a
booking, the customer is told, or mark a no-show) and a week, paged back and forth; opened for
today, tomorrow, this week, or a typed day («25.12», «пятница», «на этой неделе»).

The day and week screens and their paging serve a specialist's own calendar too (/staff): a
dialog started with `{"staff_id": …}` shows that specialist only, and the handlers move to the
`day` and `week` states of the open dialog's group (AdminBookings, StaffMenu)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Group, Row, Select, SwitchTo
from aiogram_dialog.widgets.text import Const, Format

from bots import texts, views
from bots.dialogs.admin import affected, common
from bots.dialogs.common import answer
from bots.dialogs.states import AdminBookings
from bots.errors import BookingNotStarted, NotAllowed
from bots.parsing import parse_day_or_week
from bots.status import ACTIVE_STATUSES, BookingStatus

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from bots.repository import BookingRow
    from bots.services import BookingService, CalendarService, SalonService

PAST_DAYS = 180  # a typed date without a year may be up to half a year back


@dataclass
class DayDraft(common.Draft):
    day: int = 0  # yyyymmdd of the day shown
    week: int = 0  # yyyymmdd of the Monday of the week shown
    booking_id: int = 0  # the booking being cancelled


def _day(manager: DialogManager) -> date:
    return views.day_from_id(common.draft(manager, DayDraft).day)


def only_staff(manager: DialogManager) -> int | None:
    """The one specialist this calendar shows (its dialog's start data), None: the salon."""
    started = manager.start_data
    return started.get("staff_id") if isinstance(started, dict) else None


async def day_getter(
    dialog_manager: DialogManager,
    booking: BookingService,
    salon: SalonService,
    calendar: CalendarService,
    **_: Any,
) -> dict[str, Any]:
    day, staff_id = _day(dialog_manager), only_staff(dialog_manager)
    items = await booking.bookings_on(day)
    if staff_id is not None:
        items = [b for b in items if b.staff_id == staff_id]
    tz = (await salon.settings()).tz
    if not items:
        text = texts.DAY_EMPTY.format(day=views.day_long(day))
    else:
        text = "\n".join(
            [texts.DAY_TITLE.format(day=views.day_long(day))] + [_line(b, tz) for b in items]
        )
    text += views.staff_day_lines((await calendar.span(day, 1, staff_id=staff_id))[day])
    now = salon.now()
    active = [b for b in items if b.status in ACTIVE_STATUSES]
    return {
        "text": common.take_note(dialog_manager, DayDraft) + text,
        "started": [_button(texts.BK_NOSHOW_BTN, b, tz) for b in active if b.starts_at <= now],
        "coming": [_button(texts.BK_CANCEL_BTN, b, tz) for b in active if b.starts_at > now],
    }


def _button(label: str, b: BookingRow, tz: ZoneInfo) -> tuple[int, str]:
    return b.id, label.format(time=views.hhmm(b.starts_at, tz), name=b.customer_name)


def _line(b: BookingRow, tz: ZoneInfo) -> str:
    status = "" if b.status == BookingStatus.BOOKED else f" ({texts.OWNER_STATUS[b.status]})"
    return texts.DAY_ITEM.format(
        time=views.hhmm(b.starts_at, tz),
        service=b.service_name,
        staff=b.staff_name,
        name=b.customer_name,
        phone=b.customer_phone,
        status=status + _reach_mark(b),
    )


def _reach_mark(b: BookingRow) -> str:
    if b.walk_in:
        return texts.WALK_IN_MARK
    return texts.UNREACHABLE_MARK if b.customer_unreachable else ""


async def cancel_getter(
    dialog_manager: DialogManager, booking: BookingService, salon: SalonService, **_: Any
) -> dict[str, Any]:
    b = await booking.booking(common.draft(dialog_manager, DayDraft).booking_id)
    if b is None:
        return {"text": texts.BK_NOT_ACTIVE, "found": False}
    tz = (await salon.settings()).tz
    text = texts.BK_CANCEL_ASK.format(
        time=views.when(b.starts_at, tz), service=b.service_name, name=b.customer_name
    )
    return {"text": text, "found": True}


def _group(manager: DialogManager):
    """The open dialog's states: AdminBookings, or a specialist's StaffMenu."""
    return manager.current_context().state.group


async def _show_day(manager: DialogManager, day: date, note: str = "") -> None:
    await common.go(manager, _group(manager).day, DayDraft, day=views.day_id(day), note=note)


async def _show_week(manager: DialogManager, day: date) -> None:
    monday = day - timedelta(days=day.weekday())
    await common.go(manager, _group(manager).week, DayDraft, week=views.day_id(monday))


def _week(manager: DialogManager) -> date:
    return views.day_from_id(common.draft(manager, DayDraft).week)


async def week_getter(
    dialog_manager: DialogManager, calendar: CalendarService, **_: Any
) -> dict[str, Any]:
    monday = _week(dialog_manager)
    plan = await calendar.span(monday, 7, staff_id=only_staff(dialog_manager))
    return {
        "text": views.week_text(monday, plan),
        "days": [(views.day_id(d), views.day_label(d)) for d in plan],
    }


async def this_week(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await _show_week(manager, await common.salon(manager).today())


async def prev_day(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await _show_day(manager, _day(manager) - timedelta(days=1))


async def next_day(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await _show_day(manager, _day(manager) + timedelta(days=1))


async def week_of_day(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await _show_week(manager, _day(manager))


async def prev_week(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await _show_week(manager, _week(manager) - timedelta(days=7))


async def next_week(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await _show_week(manager, _week(manager) + timedelta(days=7))


async def open_day(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, day_id: int
) -> None:
    await _show_day(manager, views.day_from_id(day_id))


async def today(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await _show_day(manager, await common.salon(manager).today())


async def tomorrow(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await _show_day(manager, await common.salon(manager).today() + timedelta(days=1))


async def on_date(message: Message, _widget: Any, manager: DialogManager) -> None:
    today = await common.salon(manager).today()
    earliest = today - timedelta(days=PAST_DAYS)
    found = await common.parsed(
        message, manager, lambda text: parse_day_or_week(text, today, earliest)
    )
    if found is None:
        return
    kind, day = found
    await (_show_week if kind == "week" else _show_day)(manager, day)


async def ask_cancel(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, booking_id: int
) -> None:
    b = await common.bookings(manager).booking(booking_id)
    if b is None or b.status not in ACTIVE_STATUSES:
        await answer(callback, manager, texts.BK_NOT_ACTIVE, alert=True)
        return
    await common.go(manager, AdminBookings.cancel, DayDraft, booking_id=booking_id)


async def cancel(callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    salon = common.salon(manager)
    try:
        b = await affected.cancel_telling(manager, common.draft(manager, DayDraft).booking_id)
    except NotAllowed:
        await answer(callback, manager, texts.BK_NOT_ACTIVE, alert=True)
        return
    tz = (await salon.settings()).tz
    delivered = await affected.notify_cancelled(manager, b)
    note = (
        texts.BK_CANCELLED
        if delivered
        else texts.BK_CANCELLED_UNREACHABLE.format(phone=b.customer_phone)
    )
    await _show_day(manager, b.starts_at.astimezone(tz).date(), note)


async def no_show(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, booking_id: int
) -> None:
    salon = common.salon(manager)
    try:
        b = await common.bookings(manager).mark_no_show(booking_id)
    except BookingNotStarted:
        await answer(callback, manager, texts.BK_FUTURE, alert=True)
        return
    except NotAllowed:
        await answer(callback, manager, texts.BK_NOT_ACTIVE, alert=True)
        return
    await answer(callback, manager, texts.BK_NOSHOW)
    tz = (await salon.settings()).tz
    await _show_day(manager, b.starts_at.astimezone(tz).date(), texts.BK_NOSHOW)


def day_window(state, back, *actions) -> Window:
    """A day of the calendar: `actions` (the owner's cancel and no-show buttons) above the
    paging row, then `back`."""
    return Window(
        Format("{text}"),
        *actions,
        Row(
            Button(Const(texts.CAL_PREV), id="prev", on_click=prev_day),
            Button(Const(texts.CAL_WEEK), id="wk", on_click=week_of_day),
            Button(Const(texts.CAL_NEXT), id="next", on_click=next_day),
        ),
        back,
        state=state,
        getter=day_getter,
    )


def week_window(state, back) -> Window:
    """A week of the calendar: a button per day, the paging row, then `back`."""
    return Window(
        Format("{text}"),
        Group(
            Select(
                Format("{item[1]}"),
                id="wd",
                item_id_getter=lambda pair: pair[0],
                items="days",
                type_factory=int,
                on_click=open_day,
            ),
            width=4,
        ),
        Row(
            Button(Const(texts.CAL_PREV), id="prevw", on_click=prev_week),
            Button(Const(texts.CAL_NEXT), id="nextw", on_click=next_week),
        ),
        back,
        state=state,
        getter=week_getter,
    )


def dialog() -> Dialog:
    return Dialog(
        Window(
            Const(texts.BOOKINGS_TITLE),
            Row(
                Button(Const(texts.TODAY), id="today", on_click=today),
                Button(Const(texts.TOMORROW), id="tomorrow", on_click=tomorrow),
            ),
            Row(
                Button(Const(texts.THIS_WEEK), id="week", on_click=this_week),
                SwitchTo(Const(texts.PICK_DATE), id="date", state=AdminBookings.date),
            ),
            common.back_to_menu(),
            state=AdminBookings.pick,
        ),
        day_window(
            AdminBookings.day,
            common.back_to(AdminBookings.pick),
            # in time order: those that started (no-show) come before those to come (cancel)
            common.choices("ns", "started", no_show),
            common.choices("bc", "coming", ask_cancel),
        ),
        week_window(AdminBookings.week, common.back_to(AdminBookings.pick)),
        Window(Const(texts.ASK_DATE), *common.text_input(on_date), state=AdminBookings.date),
        Window(
            Format("{text}"),
            Button(Const(texts.BK_CANCEL_YES), id="yes", on_click=cancel, when="found"),
            common.back_to(AdminBookings.day),
            state=AdminBookings.cancel,
            getter=cancel_getter,
        ),
    )
