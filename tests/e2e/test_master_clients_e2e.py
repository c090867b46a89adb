"""The Master Bot's client side for real: purchases through the Sales service and YooKassa
stand-in, then the operator's /clients, /client, extend, suspend, resume, re-send, /stats and the
payment and waiting-order alerts."""

from __future__ import annotations

import re

import aiohttp
import pytest

from core.localtime import date_text
from sandbox.harness import ModuleProcess, wait_until
from sandbox.localservers import find_free_port
from tests.e2e.conftest import new_token
from tests.e2e.master_stand import operator_texts, wait_for_alert

pytestmark = pytest.mark.e2e
ADMIN = 1000101
CUSTOMER = 1000103
MASTER_TOKEN = "7099999998:AAmasterBotToken_clients_abcdefghijklm"
MASTER_BOT = "pool_master_clients_bot"


async def bot_texts(stand) -> list[str]:
    return await operator_texts(stand.tg, MASTER_BOT, ADMIN)


async def wait_alert(stand, needle: str, timeout: float = 30) -> None:
    await wait_for_alert(stand.tg, MASTER_BOT, ADMIN, needle, timeout)


async def buy(stand, sales, token: str, company: str) -> str:
    buyer = sales.buyer(stand.tg)
    payment_id = await buyer.order(token, company)
    await sales.yk.succeed(payment_id)
    return payment_id


async def test_operator_manages_clients_and_gets_sales_alerts(stand, sales, tmp_path):
    await stand.tg.register_bot(MASTER_TOKEN, MASTER_BOT)
    (t1, u1), (t2, u2) = new_token(), new_token()
    for token, username in ((t1, u1), (t2, u2)):
        await stand.tg.register_bot(token, username)
    w1 = stand.start_worker(1)
    await stand.wait_status(1, "waiting")
    metrics_port = find_free_port()
    master = ModuleProcess(
        "master",
        {
            **stand.env,
            "BOT_TOKEN_MASTER": MASTER_TOKEN,
            "ADMIN_IDS_MASTER": str(ADMIN),
            "MASTER_METRICS_PORT": str(metrics_port),
            "ALERT_INTERVAL": "0.5",
            "POOL_ALERT_THRESHOLD": "1",
        },
        tmp_path / "master.log",
    ).start()
    try:
        assert "/clients" in (await stand.tg.ask(MASTER_BOT, ADMIN, "/start", timeout=20))["text"]

        await buy(stand, sales, t1, "Салон Первый")
        await stand.wait_status(1, "active", client_id="client_001")

        async def subscription_active():
            rows = await stand.fetch("SELECT status FROM platform.subscriptions")
            return [r["status"] for r in rows] == ["active"]

        await wait_until(subscription_active, timeout=20, what="the subscription to start")

        # /clients → the card: owner, bot, slot, subscription, payments.
        listing = await stand.tg.ask(MASTER_BOT, ADMIN, "/clients", timeout=10)
        assert "👥 Клиенты: 1 · страница 1/1" in listing["text"]
        assert f"🟢 client_001 · Салон Первый · @{u1} · активна до" in listing["text"]
        card = await stand.tg.click(MASTER_BOT, ADMIN, "client_001 · Салон Первый")
        assert "Слот: booking-bot-pool-1" in card["text"] and "990,00 ₽ · new" in card["text"]
        before = (
            await stand.fetch(
                "SELECT ends_at FROM platform.subscriptions WHERE client_id = 'client_001'"
            )
        )[0]["ends_at"]

        # Extend by 30 days, with a confirmation.
        ask = await stand.tg.click(MASTER_BOT, ADMIN, "➕ 30 дн.")
        assert ask["text"] == "Продлить подписку client_001 на 30 дн.?"
        done = await stand.tg.click(MASTER_BOT, ADMIN, "✅ Да")
        after = (
            await stand.fetch(
                "SELECT ends_at FROM platform.subscriptions WHERE client_id = 'client_001'"
            )
        )[0]["ends_at"]
        assert (after - before).days == 30
        assert done["text"] == f"➕ Подписка client_001 продлена до {date_text(after)}."  # in МСК

        # Suspend: the bot stops and stays stopped; resume: back in a slot, with its data.
        await stand.tg.ask(MASTER_BOT, ADMIN, "/client client_001", timeout=10)
        await stand.tg.click(MASTER_BOT, ADMIN, "⏸ Приостановить")
        done = await stand.tg.click(MASTER_BOT, ADMIN, "✅ Да")
        assert done["text"] == "⏸ client_001 приостановлен, слот booking-bot-pool-1 освобождён."
        await stand.wait_status(1, "waiting")
        suspended = await stand.fetch(
            "SELECT suspended_at FROM platform.tenants WHERE client_id = 'client_001'"
        )
        assert suspended[0]["suspended_at"] is not None
        card = await stand.tg.ask(MASTER_BOT, ADMIN, "/client 1", timeout=10)
        assert "⏸ Приостановлен оператором" in card["text"] and "Слот: не запущен" in card["text"]
        await stand.tg.click(MASTER_BOT, ADMIN, "▶️ Возобновить")
        done = await stand.tg.click(MASTER_BOT, ADMIN, "✅ Да")
        assert done["text"] == f"▶️ client_001 возобновлён: booking-bot-pool-1, @{u1}."
        reply = await stand.tg.ask(u1, CUSTOMER, "/start", timeout=15)
        assert "Салон Первый" in reply["text"]

        # No free slot: the paid order waits, the operator is told once; re-sent from the card
        # and activated once a slot exists; the alert clears.
        await buy(stand, sales, t2, "Салон Второй")
        await wait_alert(stand, "⏳ Оплаченные заказы ждут свободный слот: 1.")
        card = await stand.tg.ask(MASTER_BOT, ADMIN, "/client client_002", timeout=10)
        assert "⏳ Незавершённые заказы:" in card["text"] and "queued" in card["text"]
        order = (
            await stand.fetch("SELECT id FROM platform.orders WHERE client_id = 'client_002'")
        )[0]["id"]
        await stand.tg.click(MASTER_BOT, ADMIN, f"🔁 Заказ {order.hex[:8]}")
        done = await stand.tg.click(MASTER_BOT, ADMIN, "✅ Да")
        assert done["text"].startswith(f"🔁 Заказ {order.hex[:8]} (client_002) отправлен")
        stand.start_worker(2)
        await stand.wait_status(2, "active", timeout=60, client_id="client_002")
        await wait_alert(stand, "✅ Снято: ⏳ Оплаченные заказы ждут свободный слот")

        # A notification that does not match its order is rejected: one alert.
        cheap = sales.yk_state.create(
            "mismatch-key",
            {
                "amount": {"value": "1.00", "currency": "RUB"},
                "capture": True,
                "metadata": {"order_id": str(order)},
            },
        )
        assert (await sales.yk.succeed(cheap["id"]))["delivered"] == [422]
        await wait_alert(stand, "💳 Платёж не сошёлся с заказом")
        delivered = await stand.fetch("SELECT delivered_at FROM platform.alerts")
        assert delivered and all(r["delivered_at"] is not None for r in delivered)

        texts = await bot_texts(stand)
        assert sum(t.startswith("⏳ Оплаченные заказы ждут") for t in texts) == 1
        assert sum(t.startswith("💳") for t in texts) == 1

        stats = await stand.tg.ask(MASTER_BOT, ADMIN, "/stats", timeout=10)
        assert "Выручка: за 24 ч 1 980,00 ₽" in stats["text"]
        assert "Оплаченные заказы ждут слот: 0" in stats["text"]
        assert re.search(r"Загрузка по часам:\n\d\d\.\d\d \d\d:00  \d+ %", stats["text"])

        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{metrics_port}/metrics") as response:
                body = await response.text()
        assert 'bot_pool_payments_total{outcome="succeeded"} 2.0' in body
        assert 'bot_pool_payments_total{outcome="rejected"} 1.0' in body
        assert "bot_pool_waiting_orders 0.0" in body

        # Bad input gets a clear answer.
        assert (await stand.tg.ask(MASTER_BOT, ADMIN, "/client abc", timeout=10))["text"] == (
            "Укажите клиента: /client client_003"
        )
        missing = await stand.tg.ask(MASTER_BOT, ADMIN, "/client client_999", timeout=10)
        assert missing["text"] == "Клиент client_999 не найден."
        usage = await stand.tg.ask(MASTER_BOT, ADMIN, "/extend client_001 lots", timeout=10)
        assert usage["text"].startswith("Формат: /extend client_003 30")
        assert w1.running()
    finally:
        master.terminate(timeout=15)
