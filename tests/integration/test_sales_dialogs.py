"""The Sales Bot's purchase dialog fed update by update to its real `Dispatcher` (real Redis for
the dialog's storage): cancelling, outdated buttons, a saved step that no longer exists."""

from __future__ import annotations

from decimal import Decimal

import pytest
from aiogram.fsm.state import State, StatesGroup

from sales import texts
from sales.app import build_dispatcher
from sales.callbacks import MenuAction, MenuCallback
from sales.repository import Tariff
from sales.validation import InputError
from tests.screens import buttons, open_dialog_at, press, recording_bot, say

BUYER = 8800003
MONTH = Tariff(1, "m1", "1 месяц", 30, Decimal("990"), "RUB")
BUY = MenuCallback(action=MenuAction.BUY).pack()


class Catalogue:
    async def tariffs(self) -> list[Tariff]:
        return [MONTH]

    async def tariff(self, tariff_id: int) -> Tariff:
        if tariff_id != MONTH.id:
            raise InputError(texts.TARIFF_GONE)
        return MONTH


@pytest.fixture
async def sales_bot(redis_client):
    dp = build_dispatcher(redis=redis_client, purchase_service=Catalogue())
    bot = recording_bot("6100000995:AAsalesDialogs_abcdefghijklmnopqrstuvwx")
    return dp, bot


async def test_cancel_ends_the_purchase_and_its_buttons(sales_bot):
    dp, bot = sales_bot
    await dp.feed_update(bot, press(BUYER, BUY))
    tariffs = buttons(bot.session.sent[-1])
    assert list(tariffs) == ["1 месяц — 990 ₽", texts.CANCEL]

    await dp.feed_update(bot, press(BUYER, tariffs["1 месяц — 990 ₽"]))
    steps = bot.session.sent[-1]
    assert "Создайте своего бота в @BotFather" in steps.text and "1 месяц (30 дн.)" in steps.text
    await dp.feed_update(bot, press(BUYER, buttons(steps)[texts.CANCEL]))
    assert bot.session.sent[-1].text == texts.CANCELLED

    # a button of the closed dialog: the buyer is told to start again, nothing else happens
    sent = len(bot.session.sent)
    await dp.feed_update(bot, press(BUYER, tariffs["1 месяц — 990 ₽"]))
    answer = bot.session.answers[-1]
    assert (answer.text, answer.show_alert) == (texts.SESSION_LOST, True)
    assert len(bot.session.sent) == sent


async def test_a_message_at_a_step_of_buttons_gets_the_usual_hint(sales_bot):
    dp, bot = sales_bot
    await dp.feed_update(bot, press(BUYER, BUY))
    sent = len(bot.session.sent)
    await dp.feed_update(bot, say(BUYER, "привет"))
    assert [m.text for m in bot.session.sent[sent:]] == [texts.UNKNOWN]  # the step stays
    await dp.feed_update(bot, press(BUYER, buttons(bot.session.sent[sent - 1])["1 месяц — 990 ₽"]))
    assert "@BotFather" in bot.session.sent[-1].text


async def test_start_makes_the_open_purchase_outdated(sales_bot):
    dp, bot = sales_bot
    await dp.feed_update(bot, press(BUYER, BUY))
    old = buttons(bot.session.sent[-1])
    await dp.feed_update(bot, say(BUYER, "/start"))
    assert "Тарифы:" in bot.session.sent[-1].text
    await dp.feed_update(bot, press(BUYER, old["1 месяц — 990 ₽"]))
    assert bot.session.answers[-1].text == texts.SESSION_LOST
    # the welcome's «Купить» starts a new purchase
    await dp.feed_update(bot, press(BUYER, BUY))
    assert bot.session.sent[-1].text == texts.CHOOSE_TARIFF


class Retired(StatesGroup):
    """A step of an earlier version of the bot, still saved in Redis."""

    step = State()


async def test_a_saved_step_that_no_longer_exists_is_forgotten(sales_bot):
    dp, bot = sales_bot
    await open_dialog_at(dp, bot, BUYER, Retired.step)

    await dp.feed_update(bot, say(BUYER, "Салон"))
    assert bot.session.sent[-1].text == texts.SESSION_LOST
    await dp.feed_update(bot, say(BUYER, "Салон"))
    assert bot.session.sent[-1].text == texts.UNKNOWN  # no dialog any more: the usual hint
