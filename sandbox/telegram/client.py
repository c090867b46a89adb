"""`SandboxTelegram`: plays Telegram users against the fake Telegram's control API.

async with SandboxTelegram(url) as tg:
    await tg.register_bot("123:ABC", "salon_bot")
    reply = await tg.ask("salon_bot", 42, "/start")
    await tg.click("salon_bot", 42, "Записаться")
"""

from __future__ import annotations

from typing import Any

import aiohttp


class SandboxError(Exception):
    """The control API refused a request; `description` is the server's explanation."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(f"{description} (HTTP {status})")
        self.status = status
        self.description = description


class SandboxTimeoutError(SandboxError, TimeoutError):
    """The bot did not answer within the timeout."""


REPLY_TIMEOUT = 10.0  # how long the HTTP client waits for a bot's reply unless told


def _bot(bot: str) -> str:
    return bot.removeprefix("@")


def _where(bot: str, user_id: int) -> str:
    return f"the chat of @{_bot(bot)} with user {user_id}"


def find_inline_button(messages: list[dict[str, Any]], text: str, where: str) -> tuple[int, str]:
    """The (message id, callback data) of the inline button whose text equals (or contains)
    `text`, on the newest bot message of a transcript that has one."""
    messages = [
        m
        for m in reversed(messages)
        if m["from"] == "bot"
        and not m["deleted"]
        and m["reply_markup"]
        and "inline_keyboard" in m["reply_markup"]
    ]
    wanted = text.casefold()
    for message in messages:
        buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
        match = next((b for b in buttons if b["text"] == text), None) or next(
            (b for b in buttons if wanted in b["text"].casefold()), None
        )
        if match is None:
            continue
        if "callback_data" not in match:
            raise SandboxError(
                400, f"button {match['text']!r} sends no callback (it is not a data button)"
            )
        return message["message_id"], match["callback_data"]
    available = "; ".join(
        f"#{m['message_id']}: "
        + ", ".join(repr(b["text"]) for row in m["reply_markup"]["inline_keyboard"] for b in row)
        for m in messages[:3]
    )
    raise SandboxError(
        404, f"no inline button {text!r} in {where}; buttons there: {available or 'none'}"
    )


def find_reply_button(messages: list[dict[str, Any]], text: str, where: str) -> dict[str, Any]:
    """The button of the chat's current reply keyboard whose text equals (or contains) `text`."""
    for message in reversed(messages):
        markup = message["reply_markup"] or {}
        if message["from"] != "bot" or message["deleted"] or not markup:
            continue
        if "remove_keyboard" in markup:
            break
        if "keyboard" not in markup:
            continue
        buttons = [b for row in markup["keyboard"] for b in row]
        match = next((b for b in buttons if b["text"] == text), None) or next(
            (b for b in buttons if text.casefold() in b["text"].casefold()), None
        )
        if match is None:
            names = ", ".join(repr(b["text"]) for b in buttons)
            raise SandboxError(404, f"no reply button {text!r}; the keyboard has: {names}")
        return match
    raise SandboxError(404, f"{where} has no reply keyboard")


class UserActions:
    """What a user does, built on a client's primitives — `_message(body)` (the user sends a
    message: the control API's body), `_press(...)`, `transcript(...)`, `wait_for_reply(...)`.
    The HTTP client below and the in-process one (`sandbox.telegram.inprocess`) share these,
    so a test reads the same against either."""

    async def send_message(
        self,
        bot: str,
        user_id: int,
        text: str | None = None,
        *,
        contact: dict[str, Any] | None = None,
        first_name: str | None = None,
        username: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """The user writes `text` (or shares `contact`, anyone's) to the bot; returns the
        Telegram Message created."""
        body = {
            "bot": _bot(bot),
            "user_id": user_id,
            "text": text,
            "contact": contact,
            "first_name": first_name,
            "username": username,
            "reply_to_message_id": reply_to_message_id,
        }
        return await self._message({k: v for k, v in body.items() if v is not None})

    async def send_contact(
        self,
        bot: str,
        user_id: int,
        phone: str,
        first_name: str | None = None,
        *,
        username: str | None = None,
    ) -> dict[str, Any]:
        """The user shares their own contact (what a `request_contact` button does)."""
        contact = {"phone_number": phone, "first_name": first_name, "user_id": user_id}
        return await self.send_message(
            bot, user_id, contact=contact, first_name=first_name, username=username
        )

    async def press(self, bot: str, user_id: int, message_id: int, data: str) -> str:
        """Press the inline button with `data` on bot message `message_id`; returns the query id."""
        result = await self._press(bot, user_id, message_id, data)
        return result["callback_query_id"]

    async def _find_button(self, bot: str, user_id: int, text: str) -> tuple[int, str]:
        return find_inline_button(await self.transcript(bot, user_id), text, _where(bot, user_id))

    async def press_button(self, bot: str, user_id: int, text: str) -> str:
        """Press the inline button whose text equals (or contains) `text` on the newest bot
        message that has one; returns the callback query id."""
        message_id, data = await self._find_button(bot, user_id, text)
        return await self.press(bot, user_id, message_id, data)

    async def click(
        self, bot: str, user_id: int, text: str, timeout: float | None = None
    ) -> dict[str, Any]:
        """Press a button like `press_button` and return the bot's next message or edit
        (`timeout`: as `wait_for_reply`)."""
        message_id, data = await self._find_button(bot, user_id, text)
        pressed = await self._press(bot, user_id, message_id, data)
        return await self.wait_for_reply(bot, user_id, since=pressed["seq"], timeout=timeout)

    async def press_reply_button(
        self, bot: str, user_id: int, text: str, *, phone: str = "+79990000000"
    ) -> dict[str, Any]:
        """Press a button of the chat's current reply keyboard: it sends its text, or the
        user's contact for a `request_contact` button."""
        where = _where(bot, user_id)
        match = find_reply_button(await self.transcript(bot, user_id), text, where)
        if match.get("request_contact"):
            return await self.send_contact(bot, user_id, phone)
        return await self.send_message(bot, user_id, match["text"])

    async def ask(
        self,
        bot: str,
        user_id: int,
        text: str,
        timeout: float | None = None,
        *,
        first_name: str | None = None,
        username: str | None = None,
    ) -> dict[str, Any]:
        """Send `text` and return the bot's next message (`timeout`: as `wait_for_reply`)."""
        sent = await self.send_message(bot, user_id, text, first_name=first_name, username=username)
        return await self.wait_for_reply(bot, user_id, after=sent["message_id"], timeout=timeout)


class SandboxTelegram(UserActions):
    def __init__(
        self,
        base_url: str,
        *,
        session: aiohttp.ClientSession | None = None,
        request_timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._own_session = session is None
        self._timeout = request_timeout

    async def __aenter__(self) -> SandboxTelegram:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        query = {k: str(v) for k, v in (params or {}).items() if v is not None}
        async with self._session.request(
            method,
            f"{self.base_url}/_sandbox/{path}",
            json=json,
            params=query,
            timeout=aiohttp.ClientTimeout(total=timeout or self._timeout),
        ) as response:
            try:
                body = await response.json(content_type=None)
            except ValueError:
                body = None
            if response.status >= 400:
                description = (
                    body.get("error") if isinstance(body, dict) else None
                ) or f"{method} /_sandbox/{path} failed"
                error = SandboxTimeoutError if response.status == 408 else SandboxError
                raise error(response.status, description)
            return body

    # --- bots and users --------------------------------------------------------------------

    async def register_bot(
        self, token: str, username: str, first_name: str | None = None
    ) -> dict[str, Any]:
        """Register a bot (as @BotFather would); idempotent for the same token."""
        body = {"token": token, "username": _bot(username), "first_name": first_name}
        return await self._request("POST", "bots", json=body)

    async def revoke_bot(self, token: str) -> dict[str, Any]:
        """Revoke a token: every later call with it, and a long poll in flight, gets 401."""
        return await self._request("POST", "bots/revoke", json={"token": token})

    async def create_user(
        self, user_id: int, first_name: str | None = None, username: str | None = None
    ) -> dict[str, Any]:
        """Make a Telegram user known without starting any bot."""
        body = {"user_id": user_id, "first_name": first_name, "username": username}
        return await self._request("POST", "users", json=body)

    async def block(self, bot: str, user_id: int, blocked: bool = True) -> dict[str, Any]:
        body = {"bot": _bot(bot), "user_id": user_id, "blocked": blocked}
        return await self._request("POST", "users/block", json=body)

    async def stats(self) -> dict[str, Any]:
        return await self._request("GET", "stats")

    # --- what a user does ------------------------------------------------------------------

    async def _message(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self._request("POST", "updates/message", json=body)

    async def _press(self, bot: str, user_id: int, message_id: int, data: str) -> dict[str, Any]:
        body = {"bot": _bot(bot), "user_id": user_id, "message_id": message_id, "data": data}
        return await self._request("POST", "updates/callback", json=body)

    # --- what a user sees ------------------------------------------------------------------

    async def transcript(self, bot: str, user_id: int) -> list[dict[str, Any]]:
        """Every message of the chat in order, from the user and from the bot."""
        return await self._request(
            "GET", "transcript", params={"bot": _bot(bot), "user_id": user_id}
        )

    async def wait_for_reply(
        self,
        bot: str,
        user_id: int,
        after: int = 0,
        timeout: float | None = None,
        *,
        since: int | None = None,
    ) -> dict[str, Any]:
        """The first bot message (or edit) after message `after` — or after event `since` —
        as soon as it exists; raises `SandboxTimeoutError` after `timeout` seconds (10 s
        unless given: the bot runs elsewhere and answers when it answers)."""
        timeout = REPLY_TIMEOUT if timeout is None else timeout
        params = {
            "bot": _bot(bot),
            "user_id": user_id,
            "after": after,
            "since": since,
            "timeout": timeout,
        }
        return await self._request("GET", "wait", params=params, timeout=timeout + 10)

    async def download(self, file_id: str) -> bytes:
        """The bytes of a document or photo a bot sent."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.get(f"{self.base_url}/_sandbox/files/{file_id}") as response:
            if response.status != 200:
                raise SandboxError(response.status, f"no file {file_id}")
            return await response.read()
