"""`SalesBuyer`: a simulated business owner talking to the Sales Bot through the Telegram
sandbox — used by the e2e tests, `make demo` and `make bench-sales`."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandbox.telegram.client import SandboxTimeoutError, UserActions


class SalesBuyer:
    def __init__(self, tg: UserActions, sales_bot: str, user_id: int) -> None:
        self.tg = tg
        self.bot = sales_bot
        self.user_id = user_id
        self.seen = 0  # the chat's event number of the last bot message or edit looked at

    async def say(self, text: str) -> dict[str, Any]:
        sent = await self.tg.send_message(self.bot, self.user_id, text)
        return sent

    async def click(self, button: str) -> None:
        await self.tg.press_button(self.bot, self.user_id, button)

    async def press_for_alert(self, button: str, timeout: float = 10) -> str:
        """Press a button whose answer is a pop-up (answerCallbackQuery); return its text."""
        query_id = await self.tg.press_button(self.bot, self.user_id, button)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in await self.transcript():
                for query in message.get("callbacks") or []:
                    if query.get("id") == query_id and query.get("answered"):
                        return query.get("text") or ""
            await asyncio.sleep(0.05)
        raise AssertionError(f"the button {button!r} got no answer within {timeout:g} s")

    async def expect(self, contains: str, timeout: float = 20) -> dict[str, Any]:
        """The next bot message or edit whose text contains `contains` (skipping others: each
        message and each edit is looked at once, so a screen that drops its buttons when the
        next one is sent is passed over)."""
        deadline = time.monotonic() + timeout
        seen: list[str] = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"the Sales Bot sent no message containing {contains!r}; it sent: {seen}"
                )
            try:
                message = await self.tg.wait_for_reply(
                    self.bot, self.user_id, since=self.seen, timeout=left
                )
            except SandboxTimeoutError:
                continue
            self.seen = max(self.seen, message["seq"])
            text = message.get("text") or ""
            if contains in text:
                return message
            seen.append(text[:80])

    async def transcript(self) -> list[dict[str, Any]]:
        return await self.tg.transcript(self.bot, self.user_id)

    async def until_token_step(self, tariff: str = "1 месяц") -> dict[str, Any]:
        """/start → «Купить» → tariff → the message that asks for the bot's token."""
        await self.say("/start")
        await self.expect("Тарифы")
        await self.click("Купить")
        await self.expect("Выберите тариф")
        await self.click(tariff)
        return await self.expect("@BotFather")

    async def mybots(self) -> dict[str, Any]:
        """/mybots → the list of the buyer's bots."""
        await self.say("/mybots")
        return await self.expect("Ваши боты")

    async def send_new_token(self, token: str, button: str = "Заменить токен") -> dict[str, Any]:
        """Press `button` («Заменить токен» of /mybots, «Прислать новый токен» after a failed
        activation), then send `token` when asked; returns the message sent."""
        await self.click(button)
        await self.expect("Пришлите новый токен")
        return await self.say(token)

    async def until_summary(
        self, token: str, company: str, *, tariff: str = "1 месяц", owner: int | None = None
    ) -> dict[str, Any]:
        """/start → «Купить» → tariff → token → company → owner → the summary message."""
        await self.until_token_step(tariff)
        await self.say(token)
        await self.expect("Как называется")
        await self.say(company)
        await self.expect("Telegram ID владельца")
        if owner is None:
            await self.click("Это я")
        else:
            await self.say(str(owner))
        return await self.expect("Проверьте заказ")

    async def order(self, token: str, company: str, **kwargs) -> str:
        """Up to the «Оплатить» button; returns the YooKassa payment id."""
        await self.until_summary(token, company, **kwargs)
        await self.click("Перейти к оплате")
        return payment_id_of(await self.expect("Заказ №"))


def payment_id_of(message: dict[str, Any]) -> str:
    """The payment id in the confirmation URL of the «Оплатить» button."""
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            if "url" in button and "orderId=" in button["url"]:
                return parse_qs(urlsplit(button["url"]).query)["orderId"][0]
    raise AssertionError(f"no payment button in {message.get('text')!r}")
