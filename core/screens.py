"""What every bot's screens share: a choice among (id, label) pairs, windows that take no
message, the one error handler for outdated dialog buttons, and the router that answers whatever
no other handler took."""

from __future__ import annotations

import contextlib
import secrets

from aiogram import Dispatcher, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import CallbackQuery, ErrorEvent, Message
from aiogram_dialog import DialogManager, ShowMode, setup_dialogs
from aiogram_dialog.api.entities import stack as dialog_stack
from aiogram_dialog.api.exceptions import UnknownIntent, UnknownState
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Select
from aiogram_dialog.widgets.text import Format


def setup_screens(dp: Dispatcher, **options) -> None:
    """aiogram-dialog on `dp` (`setup_dialogs(dp, **options)`), with intent ids that do not repeat.

    aiogram-dialog 2.6 names each dialog it opens `time in seconds + randint(0, 99)`: two dialogs
    one user opens within a second share their id once in a hundred times, and a press on the
    older one's buttons then runs in the newer one (seen: an outdated «Добавить услугу» redrew a
    new /admin menu instead of saying the button is outdated; upstream:
    Tishka17/aiogram_dialog#501). Ours are random over the same six characters."""
    dialog_stack.new_id = _new_intent_id  # Stack.push looks it up at each call
    setup_dialogs(dp, **options)


_INTENT_IDS = 62**6  # six characters of aiogram-dialog's alphabet, as its own ids have


def _new_intent_id() -> str:
    return dialog_stack.id_to_str(secrets.randbelow(_INTENT_IDS))


def choice(widget_id: str, items: str, on_click, type_factory=str) -> Select:
    """Buttons for the window data's `items`, a list of (id, label) pairs; a press calls
    `on_click(callback, widget, manager, id)`."""
    return Select(
        Format("{item[1]}"),
        id=widget_id,
        item_id_getter=lambda item: item[0],
        items=items,
        type_factory=type_factory,
        on_click=on_click,
    )


def buttons_only(hint: str) -> MessageInput:
    """For a window that waits for a button: a message gets `hint` (what the bot says to a
    message it does not understand) and the window stays as it is, not sent again."""

    async def on_message(message: Message, widget: MessageInput, manager: DialogManager) -> None:
        manager.show_mode = ShowMode.NO_UPDATE
        await message.answer(hint)

    return MessageInput(on_message)


def register_refusal_handler(dp: Dispatcher, refusal: type[Exception]) -> None:
    """A refusal (`refusal`, its text for the user) that no step caught — a getter finding its
    data gone while it draws a screen (a tariff withdrawn mid-purchase): the open dialog ends
    and the user reads why, instead of a generic error."""

    async def on_refusal(event: ErrorEvent, dialog_manager: DialogManager | None = None) -> None:
        if dialog_manager is not None and dialog_manager.has_context():
            await dialog_manager.reset_stack(remove_keyboard=False)
        query, message = event.update.callback_query, event.update.message
        with contextlib.suppress(TelegramAPIError):
            if query is not None:
                await query.answer()
                await query.message.answer(str(event.exception))
            elif message is not None:
                await message.answer(str(event.exception))

    dp.errors.register(on_refusal, ExceptionTypeFilter(refusal))


def register_outdated_handler(dp: Dispatcher, text: str) -> None:
    """A button of a dialog that is over or expired (`UnknownIntent`), or a dialog saved by a
    version that no longer has its step (`UnknownState`): the user gets `text` (which says how
    to start again) — as a pop-up for a button, as a message otherwise. A dialog that cannot be
    loaded any more is dropped; a live one is left as it is."""

    async def on_outdated(event: ErrorEvent, dialog_manager: DialogManager | None = None) -> None:
        if isinstance(event.exception, UnknownState) and dialog_manager is not None:
            await dialog_manager.reset_stack(remove_keyboard=False)
        query = event.update.callback_query
        if query is not None:
            with contextlib.suppress(TelegramAPIError):
                await query.answer(text, show_alert=True)
        elif event.update.message is not None:
            await event.update.message.answer(text)

    dp.errors.register(on_outdated, ExceptionTypeFilter(UnknownIntent, UnknownState))


def fallback_router(unknown: str, stale: str) -> Router:
    """Include last: a message nobody handled gets the `unknown` hint; a button nobody handled
    (from an old version, or a plain screen that is gone) the `stale` pop-up."""
    router = Router(name="fallback")

    @router.message()
    async def unknown_message(message: Message) -> None:
        await message.answer(unknown)

    @router.callback_query()
    async def stale_button(query: CallbackQuery) -> None:
        await query.answer(stale, show_alert=True)

    return router
