"""The clients dialog: /clients → a page of clients → a client's card → an action → «Да» → what
it gave. `/client client_003` opens the card, `/extend client_003 30` the confirmation, directly.

Buttons edit the screen in place (a card turns into its confirmation, «Отмена» turns it back);
each command sends a new screen."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from uuid import UUID

from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, StartMode, Window
from aiogram_dialog.widgets.kbd import Button, Column, Group, Row
from aiogram_dialog.widgets.text import Const, Format

from core.localtime import date_text
from core.screens import buttons_only, choice
from master import texts, views
from master.dialogs.common import CARD_KEY, CardAction, CardData, card_data, update_card
from master.dialogs.states import ClientCard
from master.handlers.pool import ask_release
from master.services import ClientActionError, ClientService

EXTEND_DAYS = (30, 7)


async def open_clients(manager: DialogManager, **start: Any) -> None:
    """Open the dialog on a fresh stack at the state `start` implies: a page, a card (given
    `client_id`), or a confirmation (given `action` too)."""
    data = CardData(**start)
    state = ClientCard.page
    if data.client_id:
        state = ClientCard.confirm if data.action else ClientCard.card
    await manager.start(state, data=asdict(data), mode=StartMode.RESET_STACK)


async def on_start(start_data: dict, manager: DialogManager) -> None:
    manager.dialog_data[CARD_KEY] = start_data


def _clients(manager: DialogManager) -> ClientService:
    return manager.middleware_data["clients"]


def pool_id_of(slot: str) -> int:
    """`booking-bot-pool-3` → 3."""
    return int(slot.rsplit("-", 1)[1])


def error_text(exc: ClientActionError) -> str:
    return "❌ " + texts.CLIENT_ERRORS.get(exc.code, exc.code).format(detail=exc.detail)


# -- getters: ask the service, the views render ------------------------------------------------


async def get_page(clients: ClientService, dialog_manager: DialogManager, **_) -> dict:
    rows, page, pages, total = await clients.page(card_data(dialog_manager).page)
    update_card(dialog_manager, page=page)  # the page that exists (the list may have shrunk)
    return {
        "text": views.clients_text(rows, page, pages, total),
        "clients": [(r.client_id, f"{r.client_id} · {r.company_name}"[:60]) for r in rows],
        "has_prev": page > 0,
        "has_next": page + 1 < pages,
    }


async def get_card(clients: ClientService, dialog_manager: DialogManager, **_) -> dict:
    client_id = card_data(dialog_manager).client_id
    card = await clients.card(client_id)
    if card is None:
        return {"text": texts.CLIENT_NOT_FOUND.format(client_id=client_id), "found": False}
    slot = card.client.slot
    return {
        "text": views.client_card_text(card),
        "found": True,
        "suspended": card.client.suspended,
        "running": not card.client.suspended,
        "release": texts.BTN_RELEASE.format(pool_id=pool_id_of(slot)) if slot else "",
        "extend": [(d, texts.BTN_EXTEND.format(days=d)) for d in EXTEND_DAYS],
        "orders": [
            (o.id.hex, texts.BTN_RESEND.format(short=o.id.hex[:8])) for o in card.open_orders
        ],
    }


async def get_confirm(dialog_manager: DialogManager, **_) -> dict:
    data = card_data(dialog_manager)
    return {"text": views.confirm_text(data.action, data.client_id, data.days, data.order)}


async def get_result(dialog_manager: DialogManager, **_) -> dict:
    return {"text": card_data(dialog_manager).result}


# -- handlers -----------------------------------------------------------------------------------


async def on_page(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    step = 1 if button.widget_id == "next" else -1
    update_card(manager, page=card_data(manager).page + step)


async def on_client(callback: CallbackQuery, widget: Any, manager: DialogManager, client_id: str):
    update_card(manager, client_id=client_id)
    await manager.switch_to(ClientCard.card)


async def ask(manager: DialogManager, action: CardAction, *, days: int = 0, order: str = ""):
    update_card(manager, action=action, days=days, order=order)
    await manager.switch_to(ClientCard.confirm)


async def on_extend(callback: CallbackQuery, widget: Any, manager: DialogManager, days: int):
    await ask(manager, CardAction.EXTEND, days=days)


async def on_suspend(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await ask(manager, CardAction.SUSPEND)


async def on_resume(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await ask(manager, CardAction.RESUME)


async def on_resend(callback: CallbackQuery, widget: Any, manager: DialogManager, order: str):
    await ask(manager, CardAction.RESEND, order=order)


async def on_release(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """The pool's own confirmation (a new message), as from /pool."""
    card = await _clients(manager).card(card_data(manager).client_id)
    if card is not None and card.client.slot:
        pool = manager.middleware_data["pool"]
        await ask_release(callback.message, pool, pool_id_of(card.client.slot))


async def on_back(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await manager.switch_to(ClientCard.page)


async def on_cancel(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await manager.switch_to(ClientCard.card)


async def on_confirm(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    data = card_data(manager)
    try:
        result = await perform(_clients(manager), data)
    except ClientActionError as exc:
        result = error_text(exc)
    update_card(manager, result=result)
    await manager.switch_to(ClientCard.result)


async def perform(clients: ClientService, data: CardData) -> str:
    """Do the confirmed action; what the operator is told."""
    client_id = data.client_id
    if data.action == CardAction.EXTEND:
        ends_at, started = await clients.extend(client_id, data.days)
        text = texts.EXTENDED.format(client_id=client_id, date=date_text(ends_at))
        if started is not None:
            text += texts.EXTENDED_STARTED.format(slot=started.slot, bot=started.bot_username)
        return text
    if data.action == CardAction.SUSPEND:
        slot = await clients.suspend(client_id)
        released = f", слот {slot} освобождён" if slot else ""
        return texts.SUSPENDED.format(client_id=client_id, slot=released)
    if data.action == CardAction.RESUME:
        started = await clients.resume(client_id)
        extra = (
            texts.RESUMED_STARTED.format(slot=started.slot, bot=started.bot_username)
            if started
            else ""
        )
        return texts.RESUMED.format(client_id=client_id, started=extra)
    resent = await clients.resend_order(UUID(hex=data.order))
    return texts.RESENT.format(short=data.order[:8], client_id=resent or "—")


def build_dialog() -> Dialog:
    return Dialog(
        Window(
            Format("{text}"),
            Column(choice("client", "clients", on_client)),
            Row(
                Button(Const(texts.BTN_PREV), id="prev", on_click=on_page, when="has_prev"),
                Button(Const(texts.BTN_NEXT), id="next", on_click=on_page, when="has_next"),
            ),
            buttons_only(texts.UNKNOWN),
            state=ClientCard.page,
            getter=get_page,
        ),
        Window(
            Format("{text}"),
            Group(
                Row(choice("extend", "extend", on_extend, int)),
                Button(Const(texts.BTN_RESUME), id="resume", on_click=on_resume, when="suspended"),
                Button(Const(texts.BTN_SUSPEND), id="suspend", on_click=on_suspend, when="running"),
                Button(Format("{release}"), id="release", on_click=on_release, when="release"),
                Column(choice("resend", "orders", on_resend)),
                Button(Const(texts.BTN_BACK), id="back", on_click=on_back),
                when="found",
            ),
            buttons_only(texts.UNKNOWN),
            state=ClientCard.card,
            getter=get_card,
        ),
        Window(
            Format("{text}"),
            Row(
                Button(Const(texts.BTN_CONFIRM), id="yes", on_click=on_confirm),
                Button(Const(texts.BTN_CANCEL), id="no", on_click=on_cancel),
            ),
            buttons_only(texts.UNKNOWN),
            state=ClientCard.confirm,
            getter=get_confirm,
        ),
        Window(
            Format("{text}"),
            buttons_only(texts.UNKNOWN),
            state=ClientCard.result,
            getter=get_result,
        ),
        on_start=on_start,
    )
