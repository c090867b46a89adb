"""The Sales Bot's purchase flow: its real Dispatcher fed by the in-process Telegram sandbox, on
real PostgreSQL and Redis, with the YooKassa stand-in over HTTP (the service's gateway talks to
it as to YooKassa). A buyer's message returns when the bot has handled it. The purchase up to a
running tenant bot, the webhook race and the pool's full queue stay end-to-end
(tests/e2e/test_sales_e2e.py): they need pool workers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest_asyncio

from core.crypto import TokenCipher
from sales import texts
from sandbox.telegram.inprocess import InProcessTelegram
from tests.e2e.conftest import fetch, new_token
from tests.e2e.sales_stand import SalesStand, running_sales


@dataclass
class Shop:
    """What `running_sales` needs of a stand, with the Telegram in-process."""

    env: dict[str, str]
    dsn: str
    tg: InProcessTelegram
    cipher: TokenCipher

    async def fetch(self, sql: str, *args):
        return await fetch(self.dsn, sql, *args)


@pytest_asyncio.fixture
async def stand(env_for_servers, pg_dsn) -> Shop:
    key = TokenCipher.generate_key()
    env = {
        **env_for_servers,
        "TELEGRAM_API_BASE": "http://127.0.0.1:9",  # unused: every Bot is the in-process one
        "TOKEN_ENCRYPTION_KEY": key,
        "LOG_LEVEL": "INFO",
    }
    return Shop(env, pg_dsn, InProcessTelegram(), TokenCipher(key))


@pytest_asyncio.fixture
async def sales(stand: Shop) -> AsyncIterator[SalesStand]:
    async with running_sales(stand) as sales_stand:
        yield sales_stand


async def test_bad_input_at_every_step_is_refused_and_nothing_is_lost(stand, sales):
    taken, taken_name = new_token()
    await stand.tg.register_bot(taken, taken_name)
    # `taken` runs for a live tenant (as if bought earlier).
    conn_rows = await stand.fetch(
        "INSERT INTO platform.subscriptions (client_id, buyer_telegram_id, status)"
        " VALUES ('client_900', 1, 'active') RETURNING client_id"
    )
    assert conn_rows
    await stand.fetch(
        "INSERT INTO platform.tenants (client_id, company_name, admin_telegram_id)"
        " VALUES ('client_900', 'Чужой салон', 1)"
    )
    await stand.fetch(
        "INSERT INTO platform.tenant_bots (client_id, bot_id, bot_username, token_encrypted,"
        " token_fingerprint) VALUES ('client_900', 1, $1, $2, $3)",
        taken_name,
        stand.cipher.encrypt(taken),
        stand.cipher.fingerprint(taken),
    )
    token, username = new_token()
    unregistered, _ = new_token()
    await stand.tg.register_bot(token, username)
    buyer = sales.buyer(stand.tg)

    await buyer.say("/start")
    await buyer.expect("30 дн.")
    await buyer.click("Купить")
    await buyer.expect("Выберите тариф")
    await buyer.click("1 год")
    await buyer.expect("@BotFather")
    for bad, answer in [
        ("привет", "не похоже на токен"),
        ("123:abc", "не похоже на токен"),
        (unregistered, "Telegram не принял этот токен"),
        (taken, "уже подключён к нашему сервису"),
    ]:
        await buyer.say(bad)
        await buyer.expect(answer)
    await buyer.say(token)
    await buyer.expect(f"Бот @{username} найден")
    await buyer.say("Б" * 300)
    await buyer.expect("Слишком длинное название: 300 символов")
    await buyer.say("   ")
    await buyer.expect("Название не может быть пустым")
    await buyer.say("Барбершоп «Борода»")
    await buyer.expect("Telegram ID владельца")
    for bad in ("abc", "-5", "12.5", "١٢٣"):
        await buyer.say(bad)
        await buyer.expect("Telegram ID — это число")
    await buyer.say("123456789")
    summary = await buyer.expect("Проверьте заказ")
    assert "Барбершоп «Борода»" in summary["text"] and "123456789" in summary["text"]
    assert "1 год (365 дн.)" in summary["text"] and "8 990 ₽" in summary["text"]

    # every message that held a token is gone from the chat; nothing was ordered yet
    for message in await buyer.transcript():
        if message["from"] == "user" and ":" in (message["text"] or ""):
            assert message["deleted"], message["text"]
    assert await stand.fetch("SELECT 1 FROM platform.orders") == []

    await buyer.click("Перейти к оплате")
    await buyer.expect("Заказ №")
    order = (await stand.fetch("SELECT * FROM platform.orders"))[0]
    assert (order["status"], order["company_name"], order["admin_telegram_id"], order["days"]) == (
        "pending",
        "Барбершоп «Борода»",
        123456789,
        365,
    )
    assert str(order["amount"]) == "8990.00"
    payment = (await sales.yk.payments())[0]
    assert payment["metadata"]["order_id"] == str(order["id"])
    assert payment["amount"] == {"value": "8990.00", "currency": "RUB"}
    assert payment["confirmation"]["return_url"] == "https://t.me/botpool_sales_bot"


async def test_a_paid_order_with_no_free_slot_is_queued_and_the_buyer_told(stand, sales):
    token, username = new_token()
    await stand.tg.register_bot(token, username)
    buyer = sales.buyer(stand.tg)
    payment_id = await buyer.order(token, "Студия йоги")
    # YooKassa notifies the service's webhook; the service answers the buyer on its own
    await sales.yk.succeed(payment_id)
    await buyer.expect(texts.QUEUED[:40])
    orders = await stand.fetch("SELECT status, payment_id FROM platform.orders")
    assert [(o["status"], o["payment_id"]) for o in orders] == [("queued", payment_id)]
    mine = await buyer.mybots()  # named by its order: the bot has no tenant rows yet
    assert f"⏳ @{username} — Студия йоги\n    {texts.STATUS_QUEUED}" in mine["text"]


async def test_help_explains_the_purchase_and_the_menu_offers_it(stand, sales):
    from tests.e2e.sales_stand import SALES_BOT

    reply = await stand.tg.ask(SALES_BOT, 6300001, "/help")
    assert reply["text"] == texts.HELP
    reply = await stand.tg.ask(SALES_BOT, 6300001, "что это?")
    assert "/help" in reply["text"]
    menu = await sales.service.bot.get_my_commands()
    assert [c.command for c in menu] == ["start", "mybots", "help"]


async def test_a_tariff_withdrawn_mid_purchase_ends_it_with_the_reason(stand, sales):
    buyer = sales.buyer(stand.tg)
    await buyer.until_token_step()
    await stand.fetch("UPDATE platform.tariffs SET active = false")  # the operator withdraws it
    await buyer.say("не токен")  # the token step is shown again: its tariff is gone
    gone = await buyer.expect("тариф больше недоступен")
    assert gone["text"] == texts.TARIFF_GONE
    await buyer.say("Студия йоги")
    reply = await buyer.expect("Не понял")  # the purchase is over: no step takes it
    assert reply["text"] == texts.UNKNOWN
