"""The Master Bot's client card, fed update by update to its real `Dispatcher` (no network: a
recording session and a stand-in `ClientService`): the screens, their buttons, who may press."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

import pytest

from core.status import OrderKind, OrderStatus
from master import texts
from master.app import build_dispatcher
from master.repository import ClientCard, ClientRow, OrderRow, PaymentRow
from master.services import AlreadySuspended
from tests.screens import buttons, press, recording_bot, say

ADMIN, STRANGER = 7001, 7002
ORDER = UUID("0123456789abcdef0123456789abcdef")
ENDS = datetime(2027, 1, 31, tzinfo=UTC)


class Clients:
    """Two clients; records what it was asked to do."""

    def __init__(self) -> None:
        self.done: list[tuple] = []
        self.suspended = False

    def row(self) -> ClientRow:
        return ClientRow(
            "client_001", "Салон", "salon_bot", "booking-bot-pool-1", "active", ENDS, self.suspended
        )

    async def page(self, number: int):
        return [self.row()], 0, 1, 1

    async def card(self, client_id: str) -> ClientCard | None:
        if client_id != "client_001":
            return None
        payment = PaymentRow("p1", Decimal("990"), "RUB", ENDS, OrderKind.NEW)
        order = OrderRow(ORDER, OrderKind.NEW, OrderStatus.QUEUED, ENDS, None)
        return ClientCard(self.row(), ADMIN, 42, [payment], [order])

    async def suspend(self, client_id: str) -> str | None:
        if self.suspended:
            raise AlreadySuspended
        self.suspended = True
        self.done.append(("suspend", client_id))
        return "booking-bot-pool-1"

    async def resend_order(self, order_id: UUID) -> str:
        self.done.append(("resend", order_id))
        return "client_001"


class Pool:
    async def slot(self, pool_id: int) -> dict | None:
        slot = {"container_id": "booking-bot-pool-1", "client_id": "client_001"}
        return {**slot, "bot_username": "salon_bot"} if pool_id == 1 else None


@pytest.fixture
def master():
    clients = Clients()
    dp = build_dispatcher(Pool(), clients, admin_ids={ADMIN}, alert_threshold=0.8)
    bot = recording_bot("6100000994:AAmasterScreens_abcdefghijklmnopqrstuvwx")
    return dp, bot, clients


async def test_list_card_confirm_cancel_and_do(master):
    dp, bot, clients = master
    screens = bot.session.screens
    await dp.feed_update(bot, say(ADMIN, "/clients"))
    assert "👥 Клиенты: 1 · страница 1/1" in screens[-1].text
    await dp.feed_update(bot, press(ADMIN, buttons(screens[-1])["client_001 · Салон"], 1001))
    card = screens[-1]
    assert "👤 client_001 · «Салон»" in card.text and "990,00 ₽ · new" in card.text
    assert list(buttons(card)) == [
        "➕ 30 дн.",
        "➕ 7 дн.",
        texts.BTN_SUSPEND,
        "🔓 Освободить 1",
        "🔁 Заказ 01234567",
        texts.BTN_BACK,
    ]
    await dp.feed_update(bot, press(ADMIN, buttons(card)[texts.BTN_SUSPEND], 1001))
    assert screens[-1].text.startswith("Приостановить client_001?")
    await dp.feed_update(bot, press(ADMIN, buttons(screens[-1])[texts.BTN_CANCEL], 1001))
    assert screens[-1].text == card.text  # back to the card
    assert clients.done == []

    await dp.feed_update(bot, press(ADMIN, buttons(screens[-1])["🔁 Заказ 01234567"], 1001))
    assert screens[-1].text == "Отправить заказ 01234567 клиента client_001 на активацию заново?"
    await dp.feed_update(bot, press(ADMIN, buttons(screens[-1])[texts.BTN_CONFIRM], 1001))
    assert screens[-1].text.startswith("🔁 Заказ 01234567 (client_001) отправлен")
    assert buttons(screens[-1]) == {}  # nothing left to press
    assert clients.done == [("resend", ORDER)]
    screens_before = len(screens)
    await dp.feed_update(bot, say(ADMIN, "привет"))
    assert [s.text for s in screens[screens_before:]] == [texts.UNKNOWN]  # as with no screen
    assert all(e.message_id == 1001 for e in bot.session.edits)  # one screen, edited in place


async def test_an_action_that_fails_says_why(master):
    dp, bot, clients = master
    clients.suspended = True
    await dp.feed_update(bot, say(ADMIN, "/client 1"))
    card = buttons(bot.session.screens[-1])
    assert texts.BTN_RESUME in card and texts.BTN_SUSPEND not in card

    clients.suspended = False
    await dp.feed_update(bot, say(ADMIN, "/client client_001"))
    await dp.feed_update(bot, press(ADMIN, buttons(bot.session.screens[-1])[texts.BTN_SUSPEND]))
    clients.suspended = True  # another operator was quicker
    await dp.feed_update(bot, press(ADMIN, buttons(bot.session.screens[-1])[texts.BTN_CONFIRM]))
    assert bot.session.screens[-1].text == "❌ " + texts.CLIENT_ERRORS["already_suspended"]
    assert clients.done == []


async def test_release_from_the_card_asks_as_the_pool_screen_does(master):
    dp, bot, _ = master
    await dp.feed_update(bot, say(ADMIN, "/client 1"))
    await dp.feed_update(bot, press(ADMIN, buttons(bot.session.sent[-1])["🔓 Освободить 1"], 1001))
    ask = bot.session.sent[-1]
    assert ask.text.startswith("Освободить слот booking-bot-pool-1 (client_001, @salon_bot)")
    assert list(buttons(ask)) == [texts.BTN_CONFIRM_RELEASE, texts.BTN_CANCEL]


async def test_commands_that_open_a_screen_directly(master):
    dp, bot, _ = master
    await dp.feed_update(bot, say(ADMIN, "/extend client_001 30"))
    ask = bot.session.sent[-1]
    assert ask.text == "Продлить подписку client_001 на 30 дн.?"
    assert list(buttons(ask)) == [texts.BTN_CONFIRM, texts.BTN_CANCEL]
    await dp.feed_update(bot, say(ADMIN, "/client client_999"))
    missing = bot.session.sent[-1]
    assert (missing.text, buttons(missing)) == ("Клиент client_999 не найден.", {})
    await dp.feed_update(bot, say(ADMIN, "/client abc"))
    assert bot.session.sent[-1].text == texts.CLIENT_USAGE


async def test_outdated_buttons_and_strangers(master):
    dp, bot, clients = master
    await dp.feed_update(bot, say(ADMIN, "/client 1"))
    old = buttons(bot.session.sent[-1])
    await dp.feed_update(bot, say(ADMIN, "/clients"))  # a new screen: the card is outdated
    await dp.feed_update(bot, press(ADMIN, old[texts.BTN_SUSPEND], 1001))
    answer = bot.session.answers[-1]
    assert (answer.text, answer.show_alert) == (texts.STALE_BUTTON, True)

    calls = len(bot.session.screens) + len(bot.session.answers)
    await dp.feed_update(bot, say(STRANGER, "/client 1"))
    await dp.feed_update(bot, press(STRANGER, buttons(bot.session.sent[-1])["client_001 · Салон"]))
    assert len(bot.session.screens) + len(bot.session.answers) == calls  # not a word
    assert clients.done == []
