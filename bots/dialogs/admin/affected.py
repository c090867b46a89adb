"""Edits that touch customers' bookings (deleting a specialist or a service): the upcoming
bookings an edit would strand are shown before it is made, and cancelled with it, each customer
told, with a button to book again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, SwitchTo
from aiogram_dialog.widgets.text import Const

from bots import keyboards, notify, texts, views
from bots.dialogs.admin import common
from bots.dialogs.common import answer, tell_salon, user_id
from bots.errors import NotAllowed

if TYPE_CHECKING:
    from bots.repository import BookingRow


@dataclass(frozen=True)
class Deletion:
    """Deleting a specialist or a service: what is asked and said, how it is found, deactivated
    and which bookings are its own (`owns`: the booking field holding its id)."""

    ask: str  # «Удалить мастера «{name}»?{affected}»
    done: str
    owns: str  # "staff_id" | "service_id"
    chosen: Callable[[DialogManager], int]
    name: Callable[[DialogManager, int], Awaitable[str | None]]
    deactivate: Callable[[DialogManager, int], Awaitable[bool]]
    listed: Callable[[DialogManager, str], Awaitable[None]]  # back to the list, with a note


def confirm_delete(deletion: Deletion, state, back) -> Window:
    """«Удалить …?» with the bookings it would cancel: «Да, удалить» deactivates it (nobody can
    book it any more), then cancels them, each customer told; «Нет, оставить» goes `back`."""

    async def getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
        target = deletion.chosen(dialog_manager)
        rows = await upcoming(dialog_manager, **{deletion.owns: target})
        name = await deletion.name(dialog_manager, target) or "—"
        return {"text": deletion.ask.format(name=name, affected=await lines(dialog_manager, rows))}

    async def on_yes(callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
        target = deletion.chosen(manager)
        if not await deletion.deactivate(manager, target):
            await answer(callback, manager, texts.ADMIN_STALE, alert=True)
            return
        note = await cancel_all(manager, await upcoming(manager, **{deletion.owns: target}))
        await answer(callback, manager, deletion.done)
        await deletion.listed(manager, note)

    return common.question(
        state,
        getter,
        Button(Const(texts.DELETE_YES), id="yes", on_click=on_yes),
        SwitchTo(Const(texts.DELETE_NO), id="no", state=back),
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
    """Tell the customer the salon cancelled `booking`, with a button to book again, and the
    booking's specialist (the owner too when a specialist closing their time cancelled it);
    False when the customer cannot be reached (the owner should call them)."""
    tz = (await common.salon(manager).settings()).tz
    delivered = await notify.send(
        manager.middleware_data["bot"],
        booking.customer_id,
        texts.NOTICE_CUSTOMER_CANCELLED_BY_OWNER.format(
            service=booking.service_name, when=views.when(booking.starts_at, tz)
        ),
        reply_markup=keyboards.main_menu(),
    )
    by_owner = user_id(manager) == manager.middleware_data["tenant"].admin_telegram_id
    await tell_salon(
        manager,
        booking,
        None if by_owner else views.owner_notice(texts.NOTICE_CANCELLED_BY_STAFF, booking, tz),
        views.owner_notice(texts.STAFF_NOTICE_CANCELLED_BY_SALON, booking, tz),
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
