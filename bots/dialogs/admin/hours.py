"""A specialist's working hours: the week typed line by line, and one day's exception (other
hours or a day off). Started from the staff card; closes back to it with a note."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from aiogram.types import Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.text import Const

from bots import texts, views
from bots.dialogs.admin import common
from bots.dialogs.states import AdminHours
from bots.errors import NotAllowed
from bots.parsing import DAY_OFF_WORDS, InputError, parse_date, parse_intervals, parse_week
from bots.slots import Interval

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class HoursStart:
    """What the staff card hands to this dialog."""

    staff_id: int

    def as_data(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def of(cls, manager: DialogManager) -> HoursStart:
        return cls(**manager.start_data)


async def _save(message: Message, manager: DialogManager, write, note: str) -> None:
    """Run `write()`; close with `note` for the card, or with the stale notice."""
    try:
        await write()
    except NotAllowed:  # the specialist was deleted meanwhile
        await message.answer(texts.ADMIN_STALE)
        await manager.done()
        return
    await manager.done(note)


async def on_week(message: Message, _widget: Any, manager: DialogManager) -> None:
    week = await common.parsed(message, manager, parse_week)
    if week is None:
        return
    staff_id = HoursStart.of(manager).staff_id
    await _save(
        message,
        manager,
        lambda: common.schedule(manager).set_week(staff_id, week),
        texts.WEEK_SAVED,
    )


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


async def on_exception(message: Message, _widget: Any, manager: DialogManager) -> None:
    today = await common.salon(manager).today()
    found = await common.parsed(message, manager, lambda text: _exception(text, today))
    if found is None:
        return
    day, intervals = found
    staff_id = HoursStart.of(manager).staff_id
    await _save(
        message,
        manager,
        lambda: common.schedule(manager).set_exception(staff_id, day, intervals),
        texts.EXCEPTION_SAVED.format(day=views.day_label(day)),
    )


def dialog() -> Dialog:
    return Dialog(
        Window(Const(texts.ASK_WEEK), *common.text_input(on_week), state=AdminHours.week),
        Window(
            Const(texts.ASK_EXCEPTION), *common.text_input(on_exception), state=AdminHours.exception
        ),
    )
