"""Feeding updates straight to a bot's `Dispatcher`: a session that answers the Bot API calls
screens make (aiogram-dialog's included) as Telegram would, and builders of a user's updates."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.fsm.state import State
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from aiogram.types import CallbackQuery, Chat, Message, Update, User
from aiogram_dialog.api.entities import DEFAULT_STACK_ID, Stack
from aiogram_dialog.context.storage import StorageProxy

_ids = itertools.count(1)


class ScreenSession(BaseSession):
    """Records what the bot sends, edits and answers to button presses; a sent or edited text
    comes back as a `Message` (aiogram-dialog keeps its id), anything else as `True`."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[SendMessage] = []
        self.edits: list[EditMessageText] = []
        self.answers: list[AnswerCallbackQuery] = []
        self.screens: list[SendMessage | EditMessageText] = []  # sent and edited, in order

    async def make_request(self, bot, method, timeout=None):
        if isinstance(method, SendMessage | EditMessageText):
            self.screens.append(method)
            if isinstance(method, SendMessage):
                self.sent.append(method)
            else:
                self.edits.append(method)
            return Message(
                message_id=getattr(method, "message_id", None) or 1000 + len(self.sent),
                date=datetime.now(UTC),
                chat=Chat(id=method.chat_id, type="private"),
                text=method.text,
                reply_markup=method.reply_markup,
            )
        if isinstance(method, AnswerCallbackQuery):
            self.answers.append(method)
        return True

    async def stream_content(self, *args, **kwargs):  # pragma: no cover - not used
        raise NotImplementedError

    async def close(self) -> None:
        pass


def _user(user_id: int) -> tuple[User, Chat]:
    return User(id=user_id, is_bot=False, first_name="Б"), Chat(id=user_id, type="private")


def say(user_id: int, text: str) -> Update:
    user, chat = _user(user_id)
    message = Message(
        message_id=next(_ids), date=datetime.now(UTC), chat=chat, from_user=user, text=text
    )
    return Update(update_id=next(_ids), message=message)


def press(user_id: int, data: str, message_id: int = 1) -> Update:
    """The user presses a button with callback data `data` on bot message `message_id`."""
    user, chat = _user(user_id)
    message = Message(message_id=message_id, date=datetime.now(UTC), chat=chat, text="…")
    query = CallbackQuery(
        id=str(next(_ids)), from_user=user, chat_instance="1", message=message, data=data
    )
    return Update(update_id=next(_ids), callback_query=query)


def buttons(method: SendMessage | EditMessageText) -> dict[str, str]:
    """The inline buttons of a sent message: label → callback data."""
    markup = method.reply_markup
    return (
        {b.text: b.callback_data for row in markup.inline_keyboard for b in row} if markup else {}
    )


async def open_dialog_at(
    dp: Dispatcher, bot: Bot, user_id: int, state: State, dialog_data: dict | None = None
) -> StorageProxy:
    """Save a dialog at `state` for `user_id` as aiogram-dialog would (the private chat's default
    stack); returns the storage proxy to read it back with."""
    proxy = StorageProxy(
        storage=dp.storage,
        events_isolation=SimpleEventIsolation(),
        user_id=user_id,
        chat_id=user_id,
        thread_id=None,
        business_connection_id=None,
        bot=bot,
        state_groups={state.group.__full_group_name__: state.group},
    )
    stack = Stack(_id=DEFAULT_STACK_ID)
    context = stack.push(state, None)
    context.dialog_data = dialog_data or {}
    await proxy.save_context(context)
    await proxy.save_stack(stack)
    return proxy


async def dialog_state(proxy: StorageProxy) -> State:
    """The state of the dialog on top of the user's default stack."""
    stack = await proxy.load_stack()
    await proxy.unlock()
    return (await proxy.load_context(stack.last_intent_id())).state
