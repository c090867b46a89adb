"""Opening time again from a specialist's card: deleting a dated exception (a day off, other
hours) or a blocked range. Every delete asks first; the card's buttons only ask."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiogram.fsm.state import State
from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, SwitchTo
from aiogram_dialog.widgets.text import Const, Format

from bots import texts, views
from bots.dialogs.admin import common
from bots.dialogs.common import answer
from bots.slots import local_interval
from bots.views import fmt_interval


def block_words(block, tz) -> dict[str, str]:
    """«Вт 05.03» and «13:00-14:00» of a blocked range, in the salon's zone."""
    interval = local_interval(block.starts_at, block.ends_at, tz)
    return {
        "day": views.day_label(block.starts_at.astimezone(tz).date()),
        "interval": fmt_interval(interval),
    }


@dataclass(frozen=True)
class Reopening:
    """The confirmations of one dialog (its draft has `staff_id`, `exception_day`, `block_id`);
    `card` is where both return."""

    draft: type
    card: State
    exception: State
    block: State

    async def ask_exception(
        self, callback: CallbackQuery, _widget: Any, manager: DialogManager, day_id: int
    ) -> None:
        try:
            views.day_from_id(day_id)
        except ValueError:  # not a date: a crafted press
            await answer(callback, manager, texts.ADMIN_STALE, alert=True)
            return
        await common.go(manager, self.exception, self.draft, exception_day=day_id)

    async def ask_block(
        self, _callback: CallbackQuery, _widget: Any, manager: DialogManager, block_id: int
    ) -> None:
        await common.go(manager, self.block, self.draft, block_id=block_id)

    async def _exception_getter(self, dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
        day = views.day_from_id(common.draft(dialog_manager, self.draft).exception_day)
        return {"text": texts.EXCEPTION_DELETE_ASK.format(day=views.day_label(day))}

    async def _block_getter(self, dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
        chosen = common.draft(dialog_manager, self.draft)
        blocks = await common.schedule(dialog_manager).blocks(chosen.staff_id)
        block = next((b for b in blocks if b.id == chosen.block_id), None)
        if block is None:
            return {"text": texts.ADMIN_STALE, "found": False}
        tz = (await common.salon(dialog_manager).settings()).tz
        return {"text": texts.BLOCK_DELETE_ASK.format(**block_words(block, tz)), "found": True}

    async def _delete_exception(
        self, _callback: CallbackQuery, _widget: Any, manager: DialogManager
    ) -> None:
        chosen = common.draft(manager, self.draft)
        deleted = await common.schedule(manager).delete_exception(
            chosen.staff_id, views.day_from_id(chosen.exception_day)
        )
        note = texts.EXCEPTION_DELETED if deleted else texts.ADMIN_STALE
        await common.go(manager, self.card, self.draft, note=note)

    async def _delete_block(
        self, _callback: CallbackQuery, _widget: Any, manager: DialogManager
    ) -> None:
        chosen = common.draft(manager, self.draft)
        deleted = await common.schedule(manager).delete_block(chosen.staff_id, chosen.block_id)
        note = texts.BLOCK_DELETED if deleted else texts.ADMIN_STALE
        await common.go(manager, self.card, self.draft, note=note)

    def windows(self) -> list[Window]:
        no = SwitchTo(Const(texts.DELETE_NO), id="no", state=self.card)
        return [
            Window(
                Format("{text}"),
                Button(Const(texts.DELETE_YES), id="yes", on_click=self._delete_exception),
                no,
                state=self.exception,
                getter=self._exception_getter,
            ),
            Window(
                Format("{text}"),
                Button(
                    Const(texts.REOPEN_YES), id="yes", on_click=self._delete_block, when="found"
                ),
                no,
                state=self.block,
                getter=self._block_getter,
            ),
        ]
