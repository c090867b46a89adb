"""The Sales Bot's purchase dialog on its real `Dispatcher`, fed by the in-process Telegram (real
Redis for the dialog's storage): cancelling, outdated buttons, a saved step that no longer
exists."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from aiogram.fsm.state import State, StatesGroup

from sales import texts
from sales.app import build_dispatcher
from sales.repository import Tariff
from sales.validation import InputError
from sandbox.buyer import SalesBuyer
from sandbox.telegram.inprocess import InProcessTelegram
from tests.screens import open_dialog_at

BUYER = 8800003
SALES = "sales_dialogs_bot"
TOKEN = "6100000995:AAsalesDialogs_abcdefghijklmnopqrstuvwx"
MONTH = Tariff(1, "m1", "1 месяц", 30, Decimal("990"), "RUB")
MONTH_BUTTON = "1 месяц — 990 ₽"


class Catalogue:
    async def tariffs(self) -> list[Tariff]:
        return [MONTH]

    async def tariff(self, tariff_id: int) -> Tariff:
        if tariff_id != MONTH.id:
            raise InputError(texts.TARIFF_GONE)
        return MONTH


class Buyer(SalesBuyer):
    """The buyer's side of the chat with the Sales Bot, read back as it looks now."""

    async def bot_messages(self) -> list[dict[str, Any]]:
        return [m for m in await self.transcript() if m["from"] == "bot"]

    async def screen(self) -> dict[str, Any]:
        """The bot's newest message, as it looks now."""
        return (await self.bot_messages())[-1]

    async def forge_press(self, message: dict[str, Any], label: str) -> str:
        """Press `label` of `message` as it looked then (its keyboard may be gone since)."""
        return await self.tg.forge_press(
            SALES, BUYER, message["message_id"], buttons(message)[label]
        )

    async def answer(self, query_id: str) -> tuple[str | None, bool]:
        """The text and alert flag the bot answered the press `query_id` with."""
        for message in await self.transcript():
            for press in message["callbacks"]:
                if press["id"] == query_id:
                    assert press["answered"], "the press was not answered"
                    return press["text"], press["show_alert"]
        raise AssertionError(f"no press {query_id}")


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """The inline buttons of a message: label → callback data."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return {b["text"]: b["callback_data"] for row in rows for b in row if "callback_data" in b}


@pytest.fixture
async def sales(redis_client):
    tg = InProcessTelegram()
    await tg.register_bot(TOKEN, SALES)
    bot = tg.bot(TOKEN)
    dp = build_dispatcher(redis=redis_client, purchase_service=Catalogue())
    tg.attach(bot, dp)
    return Buyer(tg, SALES, BUYER), dp, bot


async def test_cancel_ends_the_purchase_and_its_buttons(sales):
    buyer, _, _ = sales
    await buyer.say("/start")
    await buyer.click("Купить")
    tariffs = await buyer.screen()
    assert list(buttons(tariffs)) == [MONTH_BUTTON, texts.CANCEL]

    await buyer.click(MONTH_BUTTON)
    steps = await buyer.screen()
    assert "Создайте своего бота в @BotFather" in steps["text"]
    assert "1 месяц (30 дн.)" in steps["text"]
    await buyer.click(texts.CANCEL)
    assert (await buyer.screen())["text"] == texts.CANCELLED

    # a button of the closed dialog (pressed on a keyboard the client still shows): the buyer
    # is told to start again, nothing else happens
    sent = len(await buyer.bot_messages())
    query = await buyer.forge_press(tariffs, MONTH_BUTTON)
    assert await buyer.answer(query) == (texts.SESSION_LOST, True)
    assert len(await buyer.bot_messages()) == sent


async def test_a_message_at_a_step_of_buttons_gets_the_usual_hint(sales):
    buyer, _, _ = sales
    await buyer.say("/start")
    await buyer.click("Купить")
    sent = len(await buyer.bot_messages())
    await buyer.say("привет")
    told = [m["text"] for m in (await buyer.bot_messages())[sent:]]
    assert told == [texts.UNKNOWN]  # the step stays
    await buyer.click(MONTH_BUTTON)
    assert "@BotFather" in (await buyer.screen())["text"]


async def test_start_makes_the_open_purchase_outdated(sales):
    buyer, _, _ = sales
    await buyer.say("/start")
    await buyer.click("Купить")
    tariffs = await buyer.screen()
    await buyer.say("/start")
    assert "Тарифы:" in (await buyer.screen())["text"]
    query = await buyer.forge_press(tariffs, MONTH_BUTTON)
    assert (await buyer.answer(query))[0] == texts.SESSION_LOST
    # the welcome's «Купить» starts a new purchase
    await buyer.click("Купить")
    assert (await buyer.screen())["text"] == texts.CHOOSE_TARIFF


class Retired(StatesGroup):
    """A step of an earlier version of the bot, still saved in Redis."""

    step = State()


async def test_a_saved_step_that_no_longer_exists_is_forgotten(sales):
    buyer, dp, bot = sales
    await open_dialog_at(dp, bot, BUYER, Retired.step)

    await buyer.say("Салон")
    assert (await buyer.screen())["text"] == texts.SESSION_LOST
    await buyer.say("Салон")
    assert (await buyer.screen())["text"] == texts.UNKNOWN  # no dialog any more: the usual hint
