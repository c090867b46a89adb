"""Feeding updates straight to a bot's `Dispatcher` where the in-process Telegram
(`sandbox/telegram/inprocess.py`) cannot play the user: presses on a message the user was never
sent, group chats, edited messages and photos (a forged press in the user's own chat is
`InProcessTelegram.forge_press`). One recording session that answers the Bot API calls
screens make (aiogram-dialog's included) as Telegram would, and builders of a user's updates."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.fsm.state import State
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageText,
    SendMessage,
    TelegramMethod,
)
from aiogram.types import CallbackQuery, Chat, Message, Update, User
from aiogram_dialog.api.entities import DEFAULT_STACK_ID, Stack
from aiogram_dialog.context.storage import StorageProxy

from core.telegram import build_bot

_ids = itertools.count(1)


class RecordingSession(BaseSession):
    """Records every Bot API call in `calls` (and by kind in `sent`, `edits`, `answers`,
    `deleted`); a sent or edited text comes back as a `Message` (aiogram-dialog keeps its id),
    anything else as `True`."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[TelegramMethod[Any]] = []
        self.sent: list[SendMessage] = []
        self.edits: list[EditMessageText] = []
        self.answers: list[AnswerCallbackQuery] = []
        self.deleted: list[int] = []  # message ids
        self.screens: list[SendMessage | EditMessageText] = []  # sent and edited, in order

    async def make_request(self, bot: Bot, method: TelegramMethod[Any], timeout=None) -> Any:
        self.calls.append(method)
        if isinstance(method, AnswerCallbackQuery):
            self.answers.append(method)
        elif isinstance(method, DeleteMessage):
            self.deleted.append(method.message_id)
        if not isinstance(method, SendMessage | EditMessageText):
            return True
        self.screens.append(method)
        if isinstance(method, SendMessage):
            self.sent.append(method)
        else:
            self.edits.append(method)
        return Message(
            message_id=getattr(method, "message_id", None) or 1000 + len(self.sent),
            date=datetime.now(UTC),
            chat=_chat(method.chat_id),
            from_user=User(id=bot.id, is_bot=True, first_name="bot"),
            text=method.text,
            reply_markup=method.reply_markup,
        )

    async def stream_content(self, *args, **kwargs):  # pragma: no cover - not used
        raise NotImplementedError

    async def close(self) -> None:
        pass


def recording_bot(token: str) -> Bot:
    """A bot (our usual defaults) whose calls a fresh `RecordingSession` records."""
    bot = build_bot(token, "http://127.0.0.1:9")
    bot.session = RecordingSession()
    return bot


def _chat(chat_id: int) -> Chat:
    if chat_id < 0:
        return Chat(id=chat_id, type="supergroup", title="Группа")
    return Chat(id=chat_id, type="private")


def _user(user_id: int) -> User:
    return User(id=user_id, is_bot=False, first_name="Б")


def user_message(user_id: int, *, chat_id: int | None = None, **fields: Any) -> Message:
    """A message from `user_id` in their private chat (or in group `chat_id`)."""
    return Message(
        message_id=fields.pop("message_id", None) or next(_ids),
        date=datetime.now(UTC),
        chat=_chat(chat_id or user_id),
        from_user=_user(user_id),
        **fields,
    )


def say(user_id: int, text: str, *, chat_id: int | None = None) -> Update:
    """The user sends `text` to the bot (in a group chat with `chat_id`)."""
    return Update(update_id=next(_ids), message=user_message(user_id, chat_id=chat_id, text=text))


def press(user_id: int, data: str, message_id: int = 1) -> Update:
    """The user presses a button with callback data `data` on bot message `message_id` (any data,
    any message: a forged press, too)."""
    update_id = next(_ids)
    message = Message(message_id=message_id, date=datetime.now(UTC), chat=_chat(user_id), text="…")
    query = CallbackQuery(
        id=str(update_id), from_user=_user(user_id), chat_instance="1", message=message, data=data
    )
    return Update(update_id=update_id, callback_query=query)


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
