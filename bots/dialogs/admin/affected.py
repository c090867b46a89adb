"""Edits that touch customers' bookings (deleting a specialist or a service, new hours): the
upcoming bookings an edit would strand are shown before it is made, and cancelled with it, each
customer told, with a button to book again — or, for a specialist's bookings, moved to another
specialist free at the very time (the plan shown first), those nobody can take cancelled."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager, ShowMode, Window
from aiogram_dialog.widgets.kbd import Button, SwitchTo
from aiogram_dialog.widgets.text import Const, Format

from bots import outbox, texts, views
from bots.dialogs.admin import common
from bots.dialogs.common import answer, tell_salon, user_id
from bots.errors import NotAllowed

if TYPE_CHECKING:
    from bots.repository import BookingRow
    from bots.services import Tell


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
    ask_move: str = ""  # «Удалить мастера «{name}» и перенести его записи?{affected}»


Settle = Callable[[DialogManager, "list[BookingRow]"], Awaitable[str]]


def confirm_delete(deletion: Deletion, state, back, move=None) -> Window:
    """«Удалить …?» with the bookings it would cancel: «Да, удалить» deactivates it (nobody can
    book it any more), then cancels them, each customer told; «Нет, оставить» goes `back`;
    with a `move` state (a specialist's bookings), «Перенести к другому специалисту» shows
    the plan of moving them first (`confirm_move`)."""
    widgets = [
        Button(Const(texts.DELETE_YES), id="yes", on_click=_delete_then(deletion, cancel_all))
    ]
    if move is not None:
        widgets.append(SwitchTo(Const(texts.MOVE_BTN), id="mv", state=move, when="movable"))
    return Window(
        Format("{text}"),
        *widgets,
        SwitchTo(Const(texts.DELETE_NO), id="no", state=back),
        state=state,
        getter=_asking(deletion, deletion.ask, lines),
    )


def confirm_move(deletion: Deletion, state, back) -> Window:
    """«Удалить … и перенести его записи?» with who takes each booking: «Да, удалить и
    перенести» deactivates it, moves what another specialist can take and cancels the rest,
    each customer told; «Нет, оставить» goes `back`."""
    return Window(
        Format("{text}"),
        Button(Const(texts.DELETE_AND_MOVE), id="mvyes", on_click=_delete_then(deletion, move_all)),
        SwitchTo(Const(texts.DELETE_NO), id="no", state=back),
        state=state,
        getter=_asking(deletion, deletion.ask_move, plan),
    )


def _asking(deletion: Deletion, question: str, describe: Settle):
    """The getter of a deletion's question: `question` with `describe(its bookings ahead)`."""

    async def getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
        target = deletion.chosen(dialog_manager)
        rows = await upcoming(dialog_manager, **{deletion.owns: target})
        name = await deletion.name(dialog_manager, target) or "—"
        affected = await describe(dialog_manager, rows)
        return {"text": question.format(name=name, affected=affected), "movable": bool(rows)}

    return getter


def _delete_then(deletion: Deletion, settle: Settle):
    """The «Да» of a deletion: deactivate (once: a second press finds it gone and is told so),
    then `settle` its bookings ahead; back to the list. The summary (whom to call) is a message
    of its own, the list a new one under it: a double tap's second press, which redraws the
    list, cannot wipe it."""

    async def on_yes(callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
        target = deletion.chosen(manager)
        if not await deletion.deactivate(manager, target):
            await answer(callback, manager, texts.ADMIN_STALE, alert=True)
            return
        note = await settle(manager, await upcoming(manager, **{deletion.owns: target}))
        await answer(callback, manager, deletion.done)
        if note:
            await callback.message.answer(note)
            manager.show_mode = ShowMode.SEND
        await deletion.listed(manager, "")

    return on_yes


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
    return await _listing(manager, texts.AFFECTED_TITLE, [(b, "") for b in rows])


async def plan(manager: DialogManager, rows: list[BookingRow]) -> str:
    """«Перенос к другим мастерам (2) …: • … → Олег, • … → некому перенести», or that there
    are no bookings ahead."""
    if not rows:
        return texts.AFFECTED_NONE
    moves = await common.bookings(manager).move_plan(rows)
    return await _listing(
        manager,
        texts.MOVE_TITLE,
        [
            (m.booking, texts.MOVE_TO.format(staff=m.to.name) if m.to else texts.MOVE_NOBODY)
            for m in moves
        ],
    )


async def _listing(manager: DialogManager, title: str, items: list[tuple[BookingRow, str]]) -> str:
    tz = (await common.salon(manager).settings()).tz
    listed = "\n".join(
        texts.AFFECTED_LINE.format(
            when=views.when(b.starts_at, tz), service=b.service_name, name=b.customer_name
        )
        + suffix
        for b, suffix in items[:MAX_LISTED]
    )
    more = (
        texts.AFFECTED_MORE.format(count=len(items) - MAX_LISTED) if len(items) > MAX_LISTED else ""
    )
    return title.format(count=len(items)) + listed + more


MAX_LISTED = 15


async def _notice(manager: DialogManager, template: str) -> Tell:
    """The customer's notice (`template`: its service, time and specialist) about their booking
    as the salon changes it; queued in that change's transaction (NoticeService)."""
    tz = (await common.salon(manager).settings()).tz
    return lambda b: template.format(
        service=b.service_name, when=views.when(b.starts_at, tz), staff=b.staff_name
    )


async def _delivered(manager: DialogManager, booking: BookingRow) -> bool:
    """Send the customer's notice the change of `booking` queued (with the menu: to book again,
    or see their bookings); False when they were not told (the owner should call them). Left
    unsent (the worker died first), it goes out with the bot's next background round."""
    notices = manager.middleware_data["notices"]
    return await outbox.send_for(manager.middleware_data["bot"], notices, booking.id)


async def cancel_telling(manager: DialogManager, booking_id: int) -> BookingRow:
    """Cancel a booking for the salon, its customer's notice queued with it (NotAllowed: it
    is not standing any more); `notify_cancelled` sends it."""
    tell = await _notice(manager, texts.NOTICE_CUSTOMER_CANCELLED_BY_OWNER)
    return await common.bookings(manager).cancel_by_owner(booking_id, tell)


async def notify_cancelled(manager: DialogManager, booking: BookingRow) -> bool:
    """After `cancel_telling`: tell the customer (with a button to book again) and the
    booking's specialist (the owner too when a specialist closing their time cancelled it);
    False when the customer cannot be reached (the owner should call them)."""
    delivered = await _delivered(manager, booking)
    tz = (await common.salon(manager).settings()).tz
    by_owner = user_id(manager) == manager.middleware_data["tenant"].admin_telegram_id
    await tell_salon(
        manager,
        booking,
        None if by_owner else views.owner_notice(texts.NOTICE_CANCELLED_BY_STAFF, booking, tz),
        views.owner_notice(texts.STAFF_NOTICE_CANCELLED_BY_SALON, booking, tz),
    )
    return delivered


async def _cancel(manager: DialogManager, rows: list[BookingRow]) -> tuple[int, list[str]]:
    """Cancel `rows` (those still standing), tell each customer: how many, and the phones of
    those who could not be told."""
    cancelled, unreachable = 0, []
    for row in rows:
        try:
            booking = await cancel_telling(manager, row.id)
        except NotAllowed:  # cancelled or moved meanwhile
            continue
        cancelled += 1
        if not await notify_cancelled(manager, booking):
            unreachable.append(booking.customer_phone)
    return cancelled, unreachable


def _call(unreachable: list[str]) -> str:
    return texts.AFFECTED_CALL.format(phones=", ".join(unreachable)) if unreachable else ""


async def cancel_all(manager: DialogManager, rows: list[BookingRow]) -> str:
    """Cancel `rows` (those still standing), tell each customer; the owner's summary."""
    cancelled, unreachable = await _cancel(manager, rows)
    if not cancelled:
        return ""
    return texts.AFFECTED_CANCELLED.format(count=cancelled) + _call(unreachable)


async def _tell_both_specialists(manager: DialogManager, old: BookingRow, new: BookingRow) -> None:
    """A booking moved from one specialist to another: each of them hears of it."""
    tz = (await common.salon(manager).settings()).tz
    away = views.owner_notice(texts.STAFF_NOTICE_MOVED_AWAY, old, tz, to=new.staff_name)
    await tell_salon(manager, old, None, away)
    await tell_salon(
        manager, new, None, views.owner_notice(texts.STAFF_NOTICE_MOVED_TO_YOU, new, tz)
    )


async def move_all(manager: DialogManager, rows: list[BookingRow]) -> str:
    """Move each of `rows` (still standing) to another specialist free at its very time, each
    customer told who takes them; cancel those nobody can take, each customer told; the
    owner's summary (how many moved and cancelled, whom to call)."""
    moved, unreachable, left = 0, [], []
    tell = await _notice(manager, texts.NOTICE_CUSTOMER_MOVED_BY_OWNER)
    for row in rows:
        try:
            booking = await common.bookings(manager).move_to_other(row, tell)
        except NotAllowed:  # cancelled, moved or started meanwhile
            continue
        if booking is None:
            left.append(row)
            continue
        moved += 1
        if not await _delivered(manager, booking):
            unreachable.append(booking.customer_phone)
        await _tell_both_specialists(manager, row, booking)
    cancelled, not_told = await _cancel(manager, left)
    if not moved and not cancelled:
        return ""
    return texts.AFFECTED_MOVED.format(moved=moved, cancelled=cancelled) + _call(
        unreachable + not_told
    )
