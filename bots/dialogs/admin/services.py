"""The owner's services: the list, a card, add, edit and delete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Row, SwitchTo
from aiogram_dialog.widgets.text import Const, Format

from bots import texts
from bots.dialogs.admin import affected, common
from bots.dialogs.common import answer
from bots.dialogs.states import AdminServices
from bots.parsing import parse_service

if TYPE_CHECKING:
    from bots.services import CatalogueService


@dataclass
class ServiceDraft(common.Draft):
    service_id: int = 0  # the card's service; 0 in the form: a new one


async def list_getter(
    dialog_manager: DialogManager, catalogue: CatalogueService, **_: Any
) -> dict[str, Any]:
    items = await catalogue.services()
    text = texts.SERVICES_TITLE.format(count=len(items)) if items else texts.SERVICES_EMPTY
    for s in items:
        text += "\n• " + texts.SERVICE_BUTTON.format(
            name=s.name, duration=s.duration_min, price=s.price
        )
    return {"text": common.take_note(dialog_manager, ServiceDraft) + text, "services": items}


async def card_getter(
    dialog_manager: DialogManager, catalogue: CatalogueService, **_: Any
) -> dict[str, Any]:
    s = await catalogue.service(common.draft(dialog_manager, ServiceDraft).service_id)
    if s is None:
        return {"text": texts.ADMIN_STALE, "found": False}
    text = texts.SERVICE_CARD.format(name=s.name, duration=s.duration_min, price=s.price)
    return {"text": text, "found": True}


async def form_getter(
    dialog_manager: DialogManager, catalogue: CatalogueService, **_: Any
) -> dict[str, Any]:
    service_id = common.draft(dialog_manager, ServiceDraft).service_id
    s = await catalogue.service(service_id) if service_id else None
    if s is None:
        return {"text": texts.ASK_SERVICE}
    now = texts.SERVICE_NOW.format(name=s.name, duration=s.duration_min, price=s.price)
    return {"text": texts.ASK_SERVICE + now}


async def open_card(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, service_id: int
) -> None:
    if await common.catalogue(manager).service(service_id) is None:
        await answer(callback, manager, texts.ADMIN_STALE, alert=True)
        return
    await common.go(manager, AdminServices.card, ServiceDraft, service_id=service_id)


async def add(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await common.go(manager, AdminServices.form, ServiceDraft, service_id=0)


async def _service_name(manager: DialogManager, service_id: int) -> str | None:
    service = await common.catalogue(manager).service(service_id)
    return service.name if service else None


async def _listed(manager: DialogManager, note: str) -> None:
    await common.go(manager, AdminServices.list, ServiceDraft, note=note)


DELETION = affected.Deletion(
    ask=texts.SERVICE_DELETE_ASK,
    done=texts.SERVICE_DELETED,
    owns="service_id",
    chosen=lambda manager: common.draft(manager, ServiceDraft).service_id,
    name=_service_name,
    deactivate=lambda manager, service_id: common.catalogue(manager).delete_service(service_id),
    listed=_listed,
)


async def edit(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await manager.switch_to(AdminServices.form)


async def on_service(message: Message, _widget: Any, manager: DialogManager) -> None:
    parsed = await common.parsed(message, manager, parse_service)
    if parsed is None:
        return
    catalogue = common.catalogue(manager)
    service_id = common.draft(manager, ServiceDraft).service_id
    if not service_id:
        await catalogue.add_service(parsed.name, parsed.duration_min, parsed.price)
        note = texts.SERVICE_SAVED
    elif await catalogue.update_service(service_id, parsed.name, parsed.duration_min, parsed.price):
        note = texts.SERVICE_SAVED
    else:
        note = texts.ADMIN_STALE  # deleted meanwhile
    await common.go(manager, AdminServices.list, ServiceDraft, note=note)


def dialog() -> Dialog:
    return Dialog(
        Window(
            Format("{text}"),
            common.named("sv", "services", open_card),
            Button(Const(texts.ADMIN_ADD_SERVICE), id="add", on_click=add),
            common.back_to_menu(),
            state=AdminServices.list,
            getter=list_getter,
        ),
        Window(
            Format("{text}"),
            Row(
                Button(Const(texts.EDIT), id="edit", on_click=edit, when="found"),
                SwitchTo(Const(texts.DELETE), id="del", state=AdminServices.delete, when="found"),
            ),
            common.back_to(AdminServices.list),
            state=AdminServices.card,
            getter=card_getter,
        ),
        Window(
            Format("{text}"),
            *common.text_input(on_service),
            state=AdminServices.form,
            getter=form_getter,
        ),
        affected.confirm_delete(DELETION, AdminServices.delete, AdminServices.card),
    )
