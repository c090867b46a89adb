"""What the Sales Bot's dialogs share: the typed purchase draft, the «Отмена» button, a step's
prompt (or the error its last answer got)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, replace

from aiogram import F
from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.kbd import Button
from aiogram_dialog.widgets.text import Const, Format, Multi

from sales import texts
from sales.validation import InputError

DRAFT_KEY = "draft"


@dataclass(frozen=True)
class PurchaseDraft:
    """What the buyer has entered so far; `error` is what the last answer was refused with (the
    step shows it instead of its question until the next answer)."""

    tariff_id: int = 0
    bot_id: int = 0
    username: str = ""
    token_encrypted: str = ""  # never the plain token
    fingerprint: str = ""
    company: str = ""
    owner: int = 0
    error: str = ""


def draft_of(manager: DialogManager) -> PurchaseDraft:
    return PurchaseDraft(**manager.dialog_data[DRAFT_KEY])


def save_draft(manager: DialogManager, draft: PurchaseDraft) -> None:
    manager.dialog_data[DRAFT_KEY] = asdict(draft)


def update_draft(manager: DialogManager, **changes) -> PurchaseDraft:
    """Change some fields (and clear the last error unless `error` is given)."""
    draft = replace(draft_of(manager), **{"error": "", **changes})
    save_draft(manager, draft)
    return draft


def refusal_shown(handler: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """For a step's answer handler: an `InputError` it raises is kept in the draft, and the
    step, shown again, shows it instead of its question."""

    @functools.wraps(handler)
    async def handle(event, widget, manager: DialogManager, *args) -> None:
        try:
            await handler(event, widget, manager, *args)
        except InputError as error:
            update_draft(manager, error=error.text)

    return handle


def prompt(template: str) -> Multi:
    """A step's question, or — after a refused answer — the reason (the step then asks again)."""
    return Multi(Format("{error}", when=F["error"]), Format(template, when=~F["error"]))


async def on_cancel(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await manager.done()
    await callback.message.answer(texts.CANCELLED)


def cancel_button() -> Button:
    return Button(Const(texts.CANCEL), id="cancel", on_click=on_cancel)
