"""Edits that touch customers' bookings (deleting a specialist or a service): the upcoming
bookings an edit would strand are shown before it is made, and cancelled with it, each customer
told, with a button to book again."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram_dialog import DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, SwitchTo
from aiogram_dialog.widgets.text import Const, Format

from bots import keyboards, notify, texts, views
from bots.dialogs.admin import common
from bots.errors import NotAllowed

if TYPE_CHECKING:
    from bots.repository import BookingRow


def confirm_delete(state, back, getter, on_yes) -> Window:
    """«Удалить …?» with what it would cancel: «Да, удалить» or «Нет, оставить» (to `back`)."""
    return Window(
        Format("{text}"),
        Button(Const(texts.DELETE_YES), id="yes", on_click=on_yes),
        SwitchTo(Const(texts.DELETE_NO), id="no", state=back),
        state=state,
        getter=getter,
    )


async def upcoming(
    manager: DialogManager, *, staff_id: int = 0, service_id: int = 0
) -> list[BookingRow]:
    """The specialist's (or the service's) bookings still ahead."""
    rows = await common.bookings(manager).upcoming_all()
    return [
        b
        for b in rows
        if (staff_id and b.staff_id == staff_id) or (service_id and b.service_id == service_id)
    ]


async def lines(manager: DialogManager, rows: list[BookingRow]) -> str:
    """«Записи впереди (2) — они будут отменены, клиентам придёт уведомление: …», or ""."""
    if not rows:
        return texts.AFFECTED_NONE
    tz = (await common.salon(manager).settings()).tz
    listed = "\n".join(
        texts.AFFECTED_LINE.format(
            when=views.when(b.starts_at, tz), service=b.service_name, name=b.customer_name
        )
        for b in rows[:MAX_LISTED]
    )
    more = (
        texts.AFFECTED_MORE.format(count=len(rows) - MAX_LISTED) if len(rows) > MAX_LISTED else ""
    )
    return texts.AFFECTED_TITLE.format(count=len(rows)) + listed + more


MAX_LISTED = 15


async def notify_cancelled(manager: DialogManager, booking: BookingRow) -> bool:
    """Tell the customer the salon cancelled `booking`, with a button to book again; False when
    they cannot be reached (the owner should call them)."""
    tz = (await common.salon(manager).settings()).tz
    delivered = await notify.send(
        manager.middleware_data["bot"],
        booking.customer_id,
        texts.NOTICE_CUSTOMER_CANCELLED_BY_OWNER.format(
            service=booking.service_name, when=views.when(booking.starts_at, tz)
        ),
        reply_markup=keyboards.main_menu(),
    )
    return bool(delivered)


async def cancel_all(manager: DialogManager, rows: list[BookingRow]) -> str:
    """Cancel `rows` (those still standing), tell each customer; the owner's summary."""
    cancelled, unreachable = 0, []
    for row in rows:
        try:
            booking = await common.bookings(manager).cancel_by_owner(row.id)
        except NotAllowed:  # cancelled or moved meanwhile
            continue
        cancelled += 1
        if not await notify_cancelled(manager, booking):
            unreachable.append(booking.customer_phone)
    if not cancelled:
        return ""
    note = texts.AFFECTED_CANCELLED.format(count=cancelled)
    if unreachable:
        note += texts.AFFECTED_CALL.format(phones=", ".join(unreachable))
    return note
