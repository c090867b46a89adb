"""What the owner's dialogs share: who may open them, which events are theirs, the typed
dialog data, the «Назад» buttons and the handling of typed input."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

from aiogram.enums import ContentType
from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.api.internal import CONTEXT_KEY
from aiogram_dialog.utils import remove_intent_id
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Cancel, Column, Select, SwitchTo
from aiogram_dialog.widgets.text import Const, Format

from bots import texts
from bots.context import TenantContext
from bots.dialogs.states import ADMIN_INPUTS
from bots.parsing import InputError

if TYPE_CHECKING:
    from bots.services import (
        BookingService,
        CatalogueService,
        ReportService,
        SalonService,
        ScheduleService,
    )


class IsOwner(BaseFilter):
    """Only the tenant's owner (`admin_telegram_id`) passes."""

    async def __call__(self, event: TelegramObject, tenant: TenantContext) -> bool:
        user = getattr(event, "from_user", None)
        return user is not None and user.id == tenant.admin_telegram_id


class DialogButton(BaseFilter):
    """A press of a dialog's button (its data carries the dialog's id): other buttons of the
    chat (the customers' menu) are not the owner's dialog's, even while it is open."""

    async def __call__(self, query: CallbackQuery) -> bool:
        intent_id, _ = remove_intent_id(query.data or "")
        return intent_id is not None


class AwaitingInput(BaseFilter):
    """A message is the dialog's only where it asked for text (`inputs`: the owner's, or a
    specialist's), and a command never is (/start, /cancel, /my keep working while the owner
    is asked for something)."""

    def __init__(self, inputs: frozenset = ADMIN_INPUTS) -> None:
        self.inputs = inputs

    async def __call__(self, message: Message, **data: Any) -> bool:
        context = data.get(CONTEXT_KEY)
        if context is None or context.state not in self.inputs:
            return False
        return not (message.text or "").startswith("/")


# --- typed dialog data ---------------------------------------------------------------------


@dataclass
class Draft:
    """Base of each dialog's data; `note` is said once above the next screen («Сохранено ✅»)."""

    note: str = ""


D = TypeVar("D", bound=Draft)
T = TypeVar("T")
_KEY = "draft"


def draft(manager: DialogManager, cls: type[D]) -> D:
    return cls(**manager.dialog_data.get(_KEY, {}))


def keep(manager: DialogManager, cls: type[D], **changes: Any) -> D:
    value = replace(draft(manager, cls), **changes)
    manager.dialog_data[_KEY] = asdict(value)
    return value


async def go(manager: DialogManager, state, cls: type[D], **changes: Any) -> None:
    """Keep `changes` in the dialog's data and show `state`."""
    keep(manager, cls, **changes)
    await manager.switch_to(state)


def take_note(manager: DialogManager, cls: type[Draft]) -> str:
    """The pending note with its blank line, once: the next screen is shown without it."""
    note = draft(manager, cls).note
    if not note:
        return ""
    keep(manager, cls, note="")
    return note + "\n\n"


# --- the services, as the Dispatcher injects them into handlers ----------------------------


def salon(manager: DialogManager) -> SalonService:
    return manager.middleware_data["salon"]


def catalogue(manager: DialogManager) -> CatalogueService:
    return manager.middleware_data["catalogue"]


def schedule(manager: DialogManager) -> ScheduleService:
    return manager.middleware_data["schedule"]


def bookings(manager: DialogManager) -> BookingService:
    return manager.middleware_data["booking"]


def reports(manager: DialogManager) -> ReportService:
    return manager.middleware_data["reports"]


# --- buttons -------------------------------------------------------------------------------


def back_to_menu() -> Cancel:
    return Cancel(Const(texts.BACK), id="back")


def back_to(state) -> SwitchTo:
    return SwitchTo(Const(texts.BACK), id="back", state=state)


# --- typed input ---------------------------------------------------------------------------


async def reject(message: Message, manager: DialogManager, reason: object) -> None:
    """Bad input: say why under the question, which stays where it is."""
    await message.answer(f"{reason}\n\n{texts.ADMIN_HINT_INPUT}")
    manager.show_mode = ShowMode.NO_UPDATE


async def _not_text(message: Message, _widget: object, manager: DialogManager) -> None:
    await message.answer(texts.ADMIN_HINT_INPUT)
    manager.show_mode = ShowMode.NO_UPDATE


def text_input(handler) -> list[MessageInput]:
    """`handler` gets the owner's text; anything else (a photo, a sticker) gets the hint."""
    return [MessageInput(handler, content_types=ContentType.TEXT), MessageInput(_not_text)]


async def parsed(message: Message, manager: DialogManager, parse: Callable[[str], T]) -> T | None:
    """`parse(text)`, or None after telling the owner what is wrong with it."""
    try:
        return parse(message.text)
    except InputError as exc:
        await reject(message, manager, exc)
        return None


# --- lists of buttons ----------------------------------------------------------------------


def choices(id: str, items: str, on_click) -> Column:
    """One button per `(id, label)` pair of the getter's `items`, one under another."""
    return Column(
        Select(
            Format("{item[1]}"),
            id=id,
            item_id_getter=lambda pair: pair[0],
            items=items,
            type_factory=int,
            on_click=on_click,
        )
    )


def named(id: str, items: str, on_click) -> Column:
    """One button per row (a service, a specialist) of the getter's `items`, by its name."""
    return Column(
        Select(
            Format("{item.name}"),
            id=id,
            item_id_getter=lambda row: row.id,
            items=items,
            type_factory=int,
            on_click=on_click,
        )
    )
