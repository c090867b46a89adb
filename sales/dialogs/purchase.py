"""The purchase dialog: tariff → @BotFather steps and the token → company → owner → summary.
«Перейти к оплате» places the order and ends the dialog; the payment message that follows is
a plain one (`sales.handlers.common.show_payment`): its buttons work for as long as the order.

Each step is a new message, as in a chat; the previous step's buttons are removed."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Column
from aiogram_dialog.widgets.text import Const, Format

from core.screens import buttons_only, choice
from sales import texts
from sales.dialogs.common import (
    PurchaseDraft,
    cancel_button,
    draft_of,
    prompt,
    refusal_shown,
    save_draft,
    update_draft,
)
from sales.handlers.common import delete_quietly, pay_or_explain
from sales.purchase import PurchaseService, VerifiedBot
from sales.states import Purchase
from sales.validation import (
    COMPANY_LIMIT,
    InputError,
    format_price,
    parse_company,
    parse_owner_id,
)


def _service(manager: DialogManager) -> PurchaseService:
    return manager.middleware_data["purchase"]


async def start_purchase(manager: DialogManager) -> None:
    """«Купить»: a fresh purchase, whatever dialog was open."""
    await manager.start(Purchase.tariff, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


# -- getters: ask the service, the windows only show -------------------------------------------


async def get_tariffs(purchase: PurchaseService, dialog_manager: DialogManager, **_) -> dict:
    tariffs = await purchase.tariffs()
    return {
        "error": draft_of(dialog_manager).error,
        "tariffs": [
            (
                t.id,
                texts.TARIFF_BUTTON.format(title=t.title, price=format_price(t.price, t.currency)),
            )
            for t in tariffs
        ],
    }


async def get_draft(dialog_manager: DialogManager, **_) -> dict:
    draft = draft_of(dialog_manager)
    return {"error": draft.error, "limit": COMPANY_LIMIT}


async def get_with_tariff(purchase: PurchaseService, dialog_manager: DialogManager, **_) -> dict:
    """The draft and its tariff as it is now (the token step and the summary show them)."""
    draft = draft_of(dialog_manager)
    tariff = await purchase.tariff(draft.tariff_id)
    return {
        "error": draft.error,
        "title": tariff.title,
        "days": tariff.days,
        "price": format_price(tariff.price, tariff.currency),
        "username": draft.username,
        "company": draft.company,
        "owner": draft.owner,
    }


# -- handlers -----------------------------------------------------------------------------------


@refusal_shown
async def on_tariff(
    callback: CallbackQuery, widget: Any, manager: DialogManager, tariff_id: int
) -> None:
    manager.show_mode = ShowMode.SEND
    tariff = await _service(manager).tariff(tariff_id)
    save_draft(manager, PurchaseDraft(tariff_id=tariff.id))
    await manager.switch_to(Purchase.token)


@refusal_shown
async def on_token(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    await delete_quietly(message)
    bot = await _service(manager).verify_token(message.text)
    update_draft(
        manager,
        bot_id=bot.bot_id,
        username=bot.username,
        token_encrypted=bot.token_encrypted,
        fingerprint=bot.fingerprint,
    )
    await message.answer(texts.TOKEN_OK.format(username=bot.username))
    await manager.switch_to(Purchase.company)


@refusal_shown
async def on_company(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    update_draft(manager, company=parse_company(message.text))
    await manager.switch_to(Purchase.owner)


async def to_summary(manager: DialogManager, message: Message, owner: int) -> None:
    draft = update_draft(manager, owner=owner)
    try:
        await _service(manager).tariff(draft.tariff_id)
    except InputError:  # the tariff was withdrawn meanwhile
        await manager.done()
        await message.answer(texts.SESSION_LOST)
        return
    await manager.switch_to(Purchase.confirm)


async def on_owner_me(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.show_mode = ShowMode.SEND
    await to_summary(manager, callback.message, callback.from_user.id)


@refusal_shown
async def on_owner(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    await to_summary(manager, message, parse_owner_id(message.text))


async def on_pay(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    draft = draft_of(manager)
    await manager.done()
    await pay_or_explain(
        callback.message,
        _service(manager).place_order(
            buyer=callback.from_user.id,
            tariff_id=draft.tariff_id,
            bot=VerifiedBot(draft.bot_id, draft.username, draft.token_encrypted, draft.fingerprint),
            company=draft.company,
            owner=draft.owner,
        ),
    )


async def on_start(start_data: Any, manager: DialogManager) -> None:
    save_draft(manager, PurchaseDraft())


def typed_step(state: State, question: str, on_answer, getter, *buttons) -> Window:
    """A step answered by a message (any buttons, then «Отмена», under the question)."""
    return Window(
        prompt(question),
        MessageInput(on_answer),
        *buttons,
        cancel_button(),
        state=state,
        getter=getter,
    )


def build_dialog() -> Dialog:
    return Dialog(
        Window(
            prompt(texts.CHOOSE_TARIFF),
            Column(choice("tariff", "tariffs", on_tariff, int)),
            cancel_button(),
            buttons_only(texts.UNKNOWN),
            state=Purchase.tariff,
            getter=get_tariffs,
        ),
        typed_step(Purchase.token, texts.BOTFATHER_STEPS, on_token, get_with_tariff),
        typed_step(Purchase.company, texts.ASK_COMPANY, on_company, get_draft),
        typed_step(
            Purchase.owner,
            texts.ASK_OWNER,
            on_owner,
            get_draft,
            Button(Const(texts.OWNER_ME), id="owner_me", on_click=on_owner_me),
        ),
        Window(
            Format(texts.SUMMARY),
            Button(Const(texts.PAY_ORDER), id="pay", on_click=on_pay),
            cancel_button(),
            buttons_only(texts.UNKNOWN),
            state=Purchase.confirm,
            getter=get_with_tariff,
        ),
        on_start=on_start,
    )
