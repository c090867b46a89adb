"""The fake Telegram without HTTP: a bot's `Dispatcher` is fed real `Update`s in the test's own
event loop, and its Bot API calls run against the same chat model and validation as the HTTP
stand-in (`state.py`, `validation.py`, the method table of `app.py`), so a run here is as strict
as one over HTTP: unknown methods and parameters, "message is not modified", edits of missing
messages, button data limits, users who never pressed Start.

    tg = InProcessTelegram()
    tg.register_bot(token, "salon_bot")
    bot = tg.bot(token)
    tg.attach(bot, build_dispatcher(...))
    reply = await tg.ask("salon_bot", 42, "/start")   # the update is handled when this returns
    await tg.click("salon_bot", 42, "Записаться")

A user action feeds its update straight to `dp.feed_update` and returns when the handler has
finished, so the bot's replies are already in the transcript: no polling, no waiting. Two actions
gathered together are handled concurrently, as polling would (`handle_as_tasks`).
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Update
from aiohttp.web_request import FileField
from multidict import CIMultiDict, CIMultiDictProxy

from core.telegram import bot_with_session
from sandbox.telegram.app import Params, call_method
from sandbox.telegram.client import SandboxError, SandboxTimeoutError, UserActions
from sandbox.telegram.errors import ControlError
from sandbox.telegram.state import BotAccount, SandboxState


@dataclass(slots=True)
class Request:
    """A Bot API call the session made: the method and its parameters (files by name)."""

    method: str
    params: dict[str, Any]
    status: int


class SandboxSession(BaseSession):
    """An aiogram session that answers from a `SandboxState` in-process and records each call
    in `requests`. The parameters are serialised exactly as `AiohttpSession` posts them."""

    def __init__(self, state: SandboxState) -> None:
        super().__init__()
        self.state = state
        self.requests: list[Request] = []

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        values: dict[str, Any] = {}
        files: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            value = self.prepare_value(value, bot=bot, files=files)
            if value:  # AiohttpSession.build_form_data leaves out empty values the same way
                values[key] = value
        uploads = {}
        for key, input_file in files.items():
            data = b"".join([chunk async for chunk in input_file.read(bot)])
            uploads[key] = FileField(
                name=key,
                filename=input_file.filename or key,
                file=io.BytesIO(data),
                content_type="application/octet-stream",
                headers=CIMultiDictProxy(CIMultiDict()),
            )
        params = Params(values, uploads)

        async def read() -> Params:
            return params

        name = method.__api_method__
        status, body = await call_method(self.state, bot.token, name, read)
        self.requests.append(Request(name, {**values, **{k: "<file>" for k in uploads}}, status))
        response = self.check_response(
            bot=bot, method=method, status_code=status, content=json.dumps(body)
        )
        return response.result  # type: ignore[return-value]

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        # the stand-in has no getFile either: a bot that downloads files is not served by it
        raise NotImplementedError("the Telegram sandbox serves no file downloads to bots")
        yield b""  # pragma: no cover  (makes this an async generator, as the base class)

    async def close(self) -> None:
        return None


@dataclass(slots=True)
class _Attached:
    bot: Bot
    dp: Dispatcher
    data: dict[str, Any] = field(default_factory=dict)


class InProcessTelegram(UserActions):
    """Plays Telegram users against bots attached to it; the same helpers as
    `SandboxTelegram` (`ask`, `click`, `press_button`, `send_contact`, `transcript`, ...)."""

    def __init__(self, state: SandboxState | None = None) -> None:
        self.state = state if state is not None else SandboxState()
        self._attached: dict[int, _Attached] = {}

    # --- bots ------------------------------------------------------------------------------

    def bot(self, token: str) -> Bot:
        """A `Bot` whose calls go to this fake Telegram (our usual defaults)."""
        return bot_with_session(token, SandboxSession(self.state))

    def attach(self, bot: Bot, dp: Dispatcher, **data: Any) -> None:
        """From now on the bot's updates go to `dp` (with `data` as polling's keyword data).
        Like polling, the bot only gets the update types its handlers use."""
        account = self._account(bot.token)
        account.allowed_updates = dp.resolve_used_update_types()
        self._attached[account.id] = _Attached(bot, dp, {"dispatcher": dp, "bots": [bot], **data})

    def detach(self, bot: Bot) -> None:
        self._attached.pop(self._account(bot.token).id, None)

    def _account(self, token: str) -> BotAccount:
        account = self.state.bot_by_token(token)
        if account is None:
            raise SandboxError(404, "register the bot's token first")
        return account

    async def register_bot(
        self, token: str, username: str, first_name: str | None = None
    ) -> dict[str, Any]:
        bot = self._control(self.state.register_bot, token, username, first_name)
        return {"id": bot.id, "username": bot.username, "first_name": bot.first_name}

    async def revoke_bot(self, token: str) -> dict[str, Any]:
        bot = self._control(self.state.revoke_bot, token)
        return {"id": bot.id, "username": bot.username, "revoked": True}

    async def create_user(
        self, user_id: int, first_name: str | None = None, username: str | None = None
    ) -> dict[str, Any]:
        return self._control(self.state.ensure_user, user_id, first_name, username).to_api()

    async def block(self, bot: str, user_id: int, blocked: bool = True) -> dict[str, Any]:
        account = self._by_name(bot)
        result = self._control(self.state.block, account, user_id, blocked)
        await self._deliver(account)
        return result

    async def stats(self) -> dict[str, Any]:
        return self.state.stats()

    def requests(self, bot: Bot) -> list[Request]:
        """Every Bot API call `bot` made so far (a `SandboxSession`'s record)."""
        return bot.session.requests  # type: ignore[attr-defined]

    # --- what a user does ------------------------------------------------------------------

    async def _message(self, body: dict[str, Any]) -> dict[str, Any]:
        account = self._by_name(body.pop("bot"))
        message = self._control(self.state.user_sends, account, body.pop("user_id"), **body)
        await self._deliver(account)
        return message

    async def _press(
        self, bot: str, user_id: int, message_id: int, data: str, *, forged: bool = False
    ) -> dict[str, Any]:
        account = self._by_name(bot)
        pressed = self._control(
            self.state.user_presses, account, user_id, message_id, data, forged=forged
        )
        await self._deliver(account)
        return pressed

    async def forge_press(self, bot: str, user_id: int, message_id: int, data: str) -> str:
        """A press with any `data` on bot message `message_id` of the user's chat, whether or
        not the message (still) has that button; returns the callback query id."""
        return (await self._press(bot, user_id, message_id, data, forged=True))["callback_query_id"]

    async def _deliver(self, account: BotAccount) -> None:
        """Feed the bot's pending updates to its Dispatcher, in order, and return when they are
        handled. A bot nobody attached keeps them pending, as one that is not running."""
        attached = self._attached.get(account.id)
        if attached is None:
            return
        updates = list(account.updates)
        account.updates.clear()
        for raw in updates:
            update = Update.model_validate(raw, context={"bot": attached.bot})
            result = await attached.dp.feed_update(attached.bot, update, **attached.data)
            if isinstance(result, TelegramMethod):  # a handler answered "as a webhook would"
                await attached.bot(result)

    # --- what a user sees ------------------------------------------------------------------

    async def transcript(self, bot: str, user_id: int) -> list[dict[str, Any]]:
        return self.state.transcript(self._by_name(bot), user_id)

    async def wait_for_reply(
        self,
        bot: str,
        user_id: int,
        after: int = 0,
        timeout: float | None = None,
        *,
        since: int | None = None,
    ) -> dict[str, Any]:
        """The first bot message (or edit) after message `after` — or after event `since`.
        Updates are handled before a user action returns, so by default this does not wait:
        no reply now means no reply. Pass `timeout` only for work the bot does on its own
        (a task it started); then this waits for the chat to change, up to `timeout` s."""
        account = self._by_name(bot)
        chat = self.state.chat(account, user_id)
        cursor = chat.cursor_after(after) if since is None else since
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (timeout or 0.0)
        while True:
            waiter = chat.signal.waiter()
            reply = chat.bot_reply(cursor)
            if reply is not None:
                return reply
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                async with asyncio.timeout(remaining):
                    await waiter.wait()
            except TimeoutError:
                break
        last = self.state.last_lines(account, user_id)
        raise SandboxTimeoutError(
            408,
            f"no message from @{account.username} to user {user_id} (after message {after}, "
            f"event {cursor}); last messages: {last or 'none'}",
        )

    async def download(self, file_id: str) -> bytes:
        stored = self.state.files.get(file_id)
        if stored is None:
            raise SandboxError(404, f"no file {file_id}")
        return stored.data

    # --- helpers ---------------------------------------------------------------------------

    def _by_name(self, bot: str) -> BotAccount:
        return self._control(self.state.bot_by_username, bot)

    @staticmethod
    def _control(func, *args, **kwargs):
        """Run a control action; its refusal is a `SandboxError`, as over HTTP."""
        try:
            return func(*args, **kwargs)
        except ControlError as error:
            raise SandboxError(error.status, error.message) from None
