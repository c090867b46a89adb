"""A specialist's working hours: the week typed line by line, one day's exception (other
hours or a day off), and time closed for booking. Started from the staff card; closes back to
it with a note. A specialist closes their own time with the same screens (`own_block_dialog`,
started from /staff), each in its own dialog whose group names the check `confirm`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, SwitchTo
from aiogram_dialog.widgets.text import Const, Format

from bots import texts, views
from bots.dialogs.admin import affected, common
from bots.dialogs.common import answer
from bots.dialogs.states import AdminHours, StaffHours
from bots.errors import NotAllowed, Stranded
from bots.parsing import DAY_OFF_WORDS, InputError, parse_date, parse_intervals, parse_week
from bots.slots import Interval
from bots.views import fmt_interval
from core.text import clean_text


@dataclass(frozen=True)
class HoursStart:
    """What the staff card hands to this dialog."""

    staff_id: int

    def as_data(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def of(cls, manager: DialogManager) -> HoursStart:
        return cls(**manager.start_data)


def _exception(text: str, today: date) -> tuple[date, list[Interval]]:
    """«31.12 выходной» / «08.03 10:00-15:00»: the day and its hours (none: a day off)."""
    head, _, rest = text.strip().partition(" ")
    day = parse_date(head, today)
    rest = rest.strip()
    if not rest:
        raise InputError(texts.EXCEPTION_HOURS_MISSING)
    intervals = [] if rest.lower() in DAY_OFF_WORDS else parse_intervals(rest)
    if day < today:
        raise InputError(texts.EXCEPTION_PAST)
    return day, intervals


_PENDING = "change"


def _block(text: str, today: date) -> tuple[date, Interval, str]:
    """«05.03 13:00-14:00 обед»: the day, the range, a note (may be empty)."""
    head, _, rest = text.strip().partition(" ")
    day = parse_date(head, today)
    span, _, note = rest.strip().partition(" ")
    if not span:
        raise InputError(texts.BLOCK_HOURS_MISSING)
    intervals = parse_intervals(span)
    if len(intervals) != 1:
        raise InputError(texts.BLOCK_HOURS_MISSING)
    interval = intervals[0]
    if day < today:
        raise InputError(texts.EXCEPTION_PAST)
    note = clean_text(note)
    if len(note) > 100:
        raise InputError(texts.BLOCK_NOTE_LONG)
    return day, interval, note


@dataclass(frozen=True)
class Change:
    """New hours typed by the owner: the week, or one day's exception; `stranded()` are the
    bookings ahead it would leave outside working hours, `save()` writes it."""

    manager: DialogManager
    text: str
    kind: str  # "week" | "exception" | "block"

    @property
    def staff_id(self) -> int:
        return HoursStart.of(self.manager).staff_id

    async def parsed(self):
        if self.kind == "week":
            return parse_week(self.text)
        today = await common.salon(self.manager).today()
        return (_block if self.kind == "block" else _exception)(self.text, today)

    async def stranded(self):
        schedule, value = common.schedule(self.manager), await self.parsed()
        if self.kind == "week":
            return await schedule.stranded_by_week(self.staff_id, value)
        if self.kind == "block":
            return await schedule.stranded_by_block(self.staff_id, *value[:2])
        return await schedule.stranded_by_exception(self.staff_id, *value)

    async def save(self, *, strict: bool) -> str:
        """`strict`: the owner was shown nothing stranded, so bookings made meanwhile that it
        would strand stop it (Stranded, nothing saved)."""
        schedule, value = common.schedule(self.manager), await self.parsed()
        if self.kind == "week":
            await schedule.set_week(self.staff_id, value, strict=strict)
            return texts.WEEK_SAVED
        if self.kind == "block":
            day, interval, note = value
            await schedule.add_block(self.staff_id, day, interval, note, strict=strict)
            return texts.BLOCK_SAVED.format(
                day=views.day_label(day), interval=fmt_interval(interval)
            )
        day, intervals = value
        await schedule.set_exception(self.staff_id, day, intervals, strict=strict)
        return texts.EXCEPTION_SAVED.format(day=views.day_label(day))


async def _apply(
    manager: DialogManager, change: Change, settle: affected.Settle | None = None
) -> str | None:
    """Save `change`; then `settle` the bookings it strands (cancel them, or move them to
    another specialist), each customer told. The note for the card, or None when the
    specialist was deleted meanwhile."""
    try:
        note = await change.save(strict=settle is None)
    except NotAllowed:
        return None
    if settle is not None:
        settled = await settle(manager, await change.stranded())
        note += f" {settled}" if settled else ""
    return note


async def _close(manager: DialogManager, note: str | None, say) -> None:
    """Back to the staff card with `note`; or, the specialist being gone, say so."""
    if note is None:
        await say(texts.ADMIN_STALE)
    await manager.done(note)


async def _typed(message: Message, manager: DialogManager, kind: str) -> None:
    """New hours are saved at once, unless they strand bookings: those are shown first."""
    change = Change(manager, message.text, kind)
    try:
        stranded = await change.stranded()
    except InputError as exc:
        await common.reject(message, manager, exc)
        return
    if not stranded:
        try:
            await _close(manager, await _apply(manager, change), message.answer)
            return
        except Stranded:  # a booking made meanwhile: shown like any other, nothing saved
            pass
    manager.dialog_data[_PENDING] = {"text": message.text, "kind": kind}
    await manager.switch_to(manager.current_context().state.group.confirm)


def _pending(manager: DialogManager) -> Change:
    return Change(manager, **manager.dialog_data[_PENDING])


async def confirm_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    rows = await _pending(dialog_manager).stranded()
    return {"text": texts.HOURS_STRAND + await affected.lines(dialog_manager, rows)}


async def move_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    rows = await _pending(dialog_manager).stranded()
    return {"text": texts.HOURS_STRAND + await affected.plan(dialog_manager, rows)}


async def _settle(callback: CallbackQuery, manager: DialogManager, settle: affected.Settle) -> None:
    """Save the pending hours and `settle` what they strand; the dialog closes, so a second
    press of the same button finds it gone (answered as outdated) and does nothing twice."""
    note = await _apply(manager, _pending(manager), settle)
    await _close(manager, note, lambda text: answer(callback, manager, text, alert=True))


async def on_confirm(callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await _settle(callback, manager, affected.cancel_all)


async def on_move(callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await _settle(callback, manager, affected.move_all)


async def on_give_up(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await manager.done(texts.HOURS_NOT_SAVED)


async def on_week(message: Message, _widget: Any, manager: DialogManager) -> None:
    await _typed(message, manager, "week")


async def on_exception(message: Message, _widget: Any, manager: DialogManager) -> None:
    await _typed(message, manager, "exception")


async def on_block(message: Message, _widget: Any, manager: DialogManager) -> None:
    await _typed(message, manager, "block")


def _block_window(state) -> Window:
    return Window(Const(texts.ASK_BLOCK), *common.text_input(on_block), state=state)


def _confirm_window(state, move=None) -> Window:
    """New hours strand bookings: save and cancel them, give up, or (`move`: the owner's
    choice) see who could take them."""
    moving = [SwitchTo(Const(texts.MOVE_BTN), id="mv", state=move)] if move is not None else []
    return Window(
        Format("{text}"),
        Button(Const(texts.HOURS_SAVE_AND_CANCEL), id="yes", on_click=on_confirm),
        *moving,
        Button(Const(texts.HOURS_GIVE_UP), id="no", on_click=on_give_up),
        state=state,
        getter=confirm_getter,
    )


def dialog() -> Dialog:
    return Dialog(
        Window(Const(texts.ASK_WEEK), *common.text_input(on_week), state=AdminHours.week),
        Window(
            Const(texts.ASK_EXCEPTION), *common.text_input(on_exception), state=AdminHours.exception
        ),
        _block_window(AdminHours.block),
        _confirm_window(AdminHours.confirm, AdminHours.move),
        Window(
            Format("{text}"),
            Button(Const(texts.HOURS_SAVE_AND_MOVE), id="mvyes", on_click=on_move),
            Button(Const(texts.HOURS_GIVE_UP), id="no", on_click=on_give_up),
            common.back_to(AdminHours.confirm),
            state=AdminHours.move,
            getter=move_getter,
        ),
    )


def own_block_dialog() -> Dialog:
    """A specialist closing their own time (/staff): the owner's question and check; moving
    the bookings it strands to colleagues stays the owner's."""
    return Dialog(_block_window(StaffHours.block), _confirm_window(StaffHours.confirm))
