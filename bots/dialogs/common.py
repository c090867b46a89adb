"""What every dialog of the tenant bot shares: the one answer to an outdated button, and a
message manager that lets a handler answer a button press itself (an alert, a short notice)."""

from __future__ import annotations

from collections import OrderedDict

from aiogram import Bot
from aiogram.types import CallbackQuery, ErrorEvent
from aiogram_dialog import DialogManager
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent, UnknownState
from aiogram_dialog.manager.message_manager import MessageManager

from bots import keyboards, texts

# a button of a dialog that is closed, replaced or someone else's
STALE_DIALOG_ERRORS = (UnknownIntent, UnknownState, OutdatedIntent)


class AnsweringMessageManager(MessageManager):
    """aiogram-dialog answers every button press after its handler ran. A handler that
    answered it itself (through `answer`) is not answered twice: Telegram refuses that."""

    LIMIT = 1000  # ids kept for presses whose dialog failed before aiogram-dialog answered

    def __init__(self) -> None:
        self._answered: OrderedDict[str, None] = OrderedDict()

    def answered(self, query_id: str) -> None:
        self._answered[query_id] = None
        while len(self._answered) > self.LIMIT:
            self._answered.popitem(last=False)

    async def answer_callback(self, bot: Bot, callback_query: CallbackQuery) -> None:
        if callback_query.id in self._answered:
            del self._answered[callback_query.id]
            return
        await super().answer_callback(bot, callback_query)


async def answer(
    callback: CallbackQuery, manager: DialogManager, text: str, *, alert: bool = False
) -> None:
    """Answer the press with `text` (a notice, or an alert the user must close)."""
    await callback.answer(text, show_alert=alert)
    message_manager = getattr(manager, "message_manager", None)
    if isinstance(message_manager, AnsweringMessageManager):
        message_manager.answered(callback.id)


async def on_stale_dialog(event: ErrorEvent) -> None:
    """A button (or a reply to a message) of a dialog that no longer exists: say so and offer
    the start, as the bot does for any outdated button."""
    update = event.update
    if update.callback_query is not None:
        await update.callback_query.answer(texts.STALE_BUTTON, show_alert=True)
    elif update.message is not None:
        await update.message.answer(texts.STALE_BUTTON, reply_markup=keyboards.main_menu())
