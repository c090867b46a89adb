"""The owner's client card: a customer found by a piece of their name or phone; their visits,
bookings ahead, cancellations, no-shows, what they spent, and the owner's note on them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Row, SwitchTo
from aiogram_dialog.widgets.text import Const, Format

from bots import texts, views
from bots.dialogs.admin import common
from bots.dialogs.common import answer
from bots.dialogs.states import AdminClients, BookingSG
from bots.errors import NotAllowed
from bots.parsing import InputError
from core.text import clean_text

if TYPE_CHECKING:
    from bots.services import ClientService, SalonService

NOTE_LIMIT = 1000


@dataclass
class ClientDraft(common.Draft):
    query: str = ""  # what was searched
    customer_id: int = 0  # the card shown


def _clients(manager: DialogManager) -> ClientService:
    return manager.middleware_data["clients"]


def _search_text(text: str) -> str:
    text = clean_text(text)
    if len(text) < 2:
        raise InputError(texts.CLIENT_SEARCH_SHORT)
    return text


async def on_search(message: Message, _widget: Any, manager: DialogManager) -> None:
    query = await common.parsed(message, manager, _search_text)
    if query is not None:
        await common.go(manager, AdminClients.found, ClientDraft, query=query)


async def found_getter(dialog_manager: DialogManager, clients: ClientService, **_: Any):
    query = common.draft(dialog_manager, ClientDraft).query
    rows = await clients.find(query)
    if not rows:
        return {"text": texts.CLIENTS_NONE.format(query=query), "clients": []}
    return {
        "text": texts.CLIENTS_FOUND.format(query=query),
        "clients": [(r.customer_id, f"{r.name}, {r.phone}") for r in rows],
    }


async def open_card(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, customer_id: int
) -> None:
    await common.go(manager, AdminClients.card, ClientDraft, customer_id=customer_id)


async def card_getter(
    dialog_manager: DialogManager, clients: ClientService, salon: SalonService, **_: Any
) -> dict[str, Any]:
    card = await clients.card(common.draft(dialog_manager, ClientDraft).customer_id)
    if card is None:
        return {"text": texts.ADMIN_STALE}
    tz = (await salon.settings()).tz
    text = texts.CLIENT_CARD.format(
        name=card.name,
        phone=card.phone + (texts.WALK_IN_MARK if card.walk_in else ""),
        visits=card.visits,
        spent=card.spent,
        last=views.when(card.last_visit, tz) if card.last_visit else texts.NONE,
        ahead=card.ahead,
        by_customer=card.cancelled_by_customer,
        by_salon=card.cancelled_by_salon,
        no_shows=card.no_shows,
        note=card.note or texts.NONE,
    )
    return {"text": common.take_note(dialog_manager, ClientDraft) + text}


async def book_client(callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    """«📝 Записать»: the booking screens, for this client (name and phone already known)."""
    card = await _clients(manager).card(common.draft(manager, ClientDraft).customer_id)
    if card is None:
        await answer(callback, manager, texts.ADMIN_STALE, alert=True)
        return
    await manager.start(
        BookingSG.service, data={"for_client": True, "name": card.name, "phone": card.phone}
    )


def _note_text(text: str) -> str:
    note = clean_text(text)
    if len(note) > NOTE_LIMIT:
        raise InputError(texts.CLIENT_NOTE_LONG.format(limit=NOTE_LIMIT))
    return "" if note == "-" else note


async def on_note(message: Message, _widget: Any, manager: DialogManager) -> None:
    note = await common.parsed(message, manager, _note_text)
    if note is None:
        return
    try:
        await _clients(manager).set_note(common.draft(manager, ClientDraft).customer_id, note)
    except NotAllowed:
        await common.go(manager, AdminClients.card, ClientDraft, note=texts.ADMIN_STALE)
        return
    await common.go(manager, AdminClients.card, ClientDraft, note=texts.CLIENT_NOTE_SAVED)


def dialog() -> Dialog:
    return Dialog(
        Window(Const(texts.ASK_CLIENT), *common.text_input(on_search), state=AdminClients.search),
        Window(
            Format("{text}"),
            common.choices("cl", "clients", open_card),
            SwitchTo(Const(texts.CLIENTS_AGAIN), id="again", state=AdminClients.search),
            common.back_to_menu(),
            state=AdminClients.found,
            getter=found_getter,
        ),
        Window(
            Format("{text}"),
            Row(
                Button(Const(texts.CLIENT_BOOK_BTN), id="book", on_click=book_client),
                SwitchTo(Const(texts.CLIENT_NOTE_BTN), id="note", state=AdminClients.note),
            ),
            common.back_to(AdminClients.found),
            state=AdminClients.card,
            getter=card_getter,
        ),
        Window(Const(texts.ASK_CLIENT_NOTE), *common.text_input(on_note), state=AdminClients.note),
    )
