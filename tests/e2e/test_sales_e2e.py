"""The Sales Bot for real: Telegram and YooKassa stand-ins, real pool workers, PostgreSQL, Redis."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from sales import texts
from sandbox.buyer import payment_id_of
from tests.e2e.conftest import new_token

pytestmark = pytest.mark.e2e
CUSTOMER = 4243001


async def new_bots(stand, n: int) -> list[tuple[str, str]]:
    """`n` fresh bots, registered with the Telegram stand-in: (token, username) each."""
    bots = [new_token() for _ in range(n)]
    for token, username in bots:
        await stand.tg.register_bot(token, username)
    return bots


async def count(stand, sql: str, *args) -> int:
    rows = await stand.fetch(sql, *args)
    return rows[0][0]


async def test_purchase_from_start_to_the_tenant_bot_answering(stand, sales):
    token, username = new_token()
    await stand.tg.register_bot(token, username)
    stand.start_worker(1)
    await stand.wait_status(1, "waiting")
    buyer = sales.buyer(stand.tg)

    payment_id = await buyer.order(token, "Салон Анны")
    transcript = await buyer.transcript()
    token_messages = [m for m in transcript if m["from"] == "user" and m["text"] == token]
    assert token_messages and all(m["deleted"] for m in token_messages)

    delivered = (await sales.yk.succeed(payment_id))["delivered"]
    assert delivered == [200]
    notice = await buyer.expect("🎉 ВАШ БОТ ГОТОВ!", timeout=30)
    assert notice["text"] == f"🎉 ВАШ БОТ ГОТОВ!\n\n🤖 Бот: @{username}\n📅 Подписка: 30 дней"
    buttons = [b for row in notice["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons[0]["url"] == f"https://t.me/{username}"

    reply = await stand.tg.ask(username, CUSTOMER, "/start", timeout=15)
    assert "Салон Анны" in reply["text"]

    # Webhook replayed 5 times (all at once and again): still one payment, one activation.
    assert await sales.yk.notify(payment_id, times=5) == [200] * 5
    await sales.service.processor.drain()
    assert await count(stand, "SELECT count(*) FROM platform.payments") == 1
    assert await count(stand, "SELECT count(*) FROM platform.slot_assignments") == 1
    history = await stand.fetch("SELECT event FROM platform.activation_history")
    assert [r["event"] for r in history] == ["activated"]
    orders = await stand.fetch("SELECT status, client_id, slot FROM platform.orders")
    assert [(r["status"], r["client_id"], r["slot"]) for r in orders] == [
        ("active", "client_001", "booking-bot-pool-1")
    ]
    sub = (
        await stand.fetch("SELECT status, ends_at - starts_at AS d FROM platform.subscriptions")
    )[0]
    assert sub["status"] == "active" and sub["d"].days == 30
    assert (
        await count(
            stand,
            "SELECT count(*) FROM platform.orders WHERE token_encrypted LIKE $1",
            f"%{token}%",
        )
        == 0
    )

    # /mybots shows it.
    mine = await buyer.mybots()
    assert f"@{username}" in mine["text"] and "работает, подписка до" in mine["text"]


async def _post_webhook(url: str, body: dict, *, source: str = "127.0.0.1") -> int:
    connector = aiohttp.TCPConnector(local_addr=(source, 0))
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.post(url, json=body) as response:
            return response.status


async def test_webhook_and_poller_race_activate_once_and_forgeries_are_rejected(stand, sales):
    (token, username), (other, _) = await new_bots(stand, 2)
    stand.start_worker(1)
    await stand.wait_status(1, "waiting")
    buyer, victim = sales.buyer(stand.tg), sales.buyer(stand.tg)
    payment_id = await buyer.order(token, "Студия ногтей")
    pending_id = await victim.order(other, "Салон Веры")
    twin = sales.buyer(stand.tg)  # orders the same token before the first buyer pays
    twin_payment = await twin.order(token, "Двойник")

    # Forged notifications about the victim's unpaid order: all rejected.
    forged = {
        "type": "notification",
        "event": "payment.succeeded",
        "object": {
            "id": pending_id,
            "status": "succeeded",
            "paid": True,
            "amount": {"value": "990.00", "currency": "RUB"},
        },
    }
    assert await _post_webhook(sales.webhook_url, forged, source="127.0.0.2") == 403
    assert await _post_webhook(sales.webhook_url, forged) == 200  # re-fetched: still pending
    unknown = {
        **forged,
        "object": {**forged["object"], "id": "2f0e0000-000f-5000-9000-1234567890ab"},
    }
    assert await _post_webhook(sales.webhook_url, unknown) == 404
    assert await _post_webhook(sales.webhook_url, {"hello": "world"}) == 400
    # A real payment for 1 ₽ that claims the victim's order in its metadata.
    victim_order = (
        await stand.fetch("SELECT id FROM platform.orders WHERE payment_id = $1", pending_id)
    )[0]["id"]
    cheap = sales.yk_state.create(
        "forged-key",
        {
            "amount": {"value": "1.00", "currency": "RUB"},
            "capture": True,
            "metadata": {"order_id": str(victim_order)},
        },
    )
    assert (await sales.yk.succeed(cheap["id"]))["delivered"] == [422]
    victim_status = await stand.fetch(
        "SELECT status FROM platform.orders WHERE id = $1", victim_order
    )
    assert victim_status[0]["status"] == "pending"
    alerts = await stand.fetch("SELECT kind FROM platform.alerts")
    assert [a["kind"] for a in alerts] == ["payment_mismatch"]

    # The buyer pays; the notification, two pollers and the «check» button race.
    await sales.yk.succeed(payment_id, notify=False)
    processor = sales.service.processor
    results = await asyncio.gather(
        sales.yk.notify(payment_id, times=3),
        processor.poll_pending(),
        processor.poll_pending(),
        sales.yk.notify(payment_id, times=2),
    )
    assert results[0] == [200] * 3 and results[3] == [200] * 2
    await buyer.expect("🎉 ВАШ БОТ ГОТОВ!", timeout=30)
    await processor.drain()
    assert await count(stand, "SELECT count(*) FROM platform.payments") == 1
    assert await count(stand, "SELECT count(*) FROM platform.slot_assignments") == 1
    assert await count(stand, "SELECT count(*) FROM platform.subscriptions") == 1
    notices = [m for m in await buyer.transcript() if "ВАШ БОТ ГОТОВ" in (m["text"] or "")]
    assert len(notices) == 1
    assert (await stand.tg.ask(username, CUSTOMER, "/start"))["text"].count("Студия ногтей")
    assert await count(stand, "SELECT count(*) FROM platform.orders WHERE status = 'pending'") == 2

    # The twin pays too: the token went to the first payment; the twin is asked for another.
    await sales.yk.succeed(twin_payment)
    await twin.expect("уже подключён к нашему сервису другим заказом", timeout=30)
    assert await count(stand, "SELECT count(*) FROM platform.payments") == 2
    assert await count(stand, "SELECT count(*) FROM platform.slot_assignments") == 1


async def test_yookassa_timeout_then_retry_and_a_revoked_token_then_a_new_one(stand, sales):
    (token, _), (token2, username2) = await new_bots(stand, 2)
    stand.start_worker(1)
    buyer = sales.buyer(stand.tg)
    await buyer.until_summary(token, "Кабинет массажа")

    # YooKassa answers only after 6 s; we wait 3 s, tell the buyer, keep the order.
    await sales.yk.fault(delay=6, count=1)
    await buyer.click("Перейти к оплате")
    slow = await buyer.expect("ЮKassa сейчас не отвечает")
    assert "Повторить" in str(slow["reply_markup"])
    order = (await stand.fetch("SELECT id, status, payment_id FROM platform.orders"))[0]
    assert (order["status"], order["payment_id"]) == ("new", None)
    await asyncio.sleep(2.5)  # the slow request did create a payment at YooKassa meanwhile
    await buyer.click("Повторить")
    payment_id = payment_id_of(await buyer.expect("Заказ №"))
    assert len(await sales.yk.payments()) == 1  # the same Idempotence-Key: no second payment
    assert (await stand.fetch("SELECT payment_id FROM platform.orders"))[0]["payment_id"] == (
        payment_id
    )

    # The owner revokes the token before paying: activation fails, payment kept, new token asked.
    await stand.wait_status(1, "waiting")
    assert await buyer.press_for_alert("Проверить оплату") == texts.PAYMENT_NOT_YET
    await stand.tg.revoke_bot(token)
    await sales.yk.succeed(payment_id, notify=False)  # no webhook: the buyer's button finds it
    assert await buyer.press_for_alert("Проверить оплату") == texts.PAYMENT_CONFIRMED
    await buyer.expect("запустить бота не удалось", timeout=30)
    assert (await stand.fetch("SELECT status FROM platform.orders"))[0]["status"] == "needs_token"
    assert await count(stand, "SELECT count(*) FROM platform.payments") == 1
    await stand.wait_status(1, "waiting")
    await buyer.send_new_token("не токен", button="Прислать новый токен")
    await buyer.expect("не похоже на токен")
    await buyer.say(token2)
    await buyer.expect("Токен принят")
    notice = await buyer.expect("🎉 ВАШ БОТ ГОТОВ!", timeout=30)
    assert f"@{username2}" in notice["text"]
    reply = await stand.tg.ask(username2, CUSTOMER, "/start", timeout=15)
    assert "Кабинет массажа" in reply["text"]
    order = (await stand.fetch("SELECT status, client_id FROM platform.orders"))[0]
    assert (order["status"], order["client_id"]) == ("active", "client_001")


async def test_pool_full_queue_expiry_grace_release_and_renewal_with_data(stand, sales):
    (first, first_name), (second, _) = await new_bots(stand, 2)
    stand.start_worker(1)
    await stand.wait_status(1, "waiting")
    anna, vera = sales.buyer(stand.tg), sales.buyer(stand.tg)
    lifecycle = sales.service.lifecycle

    await sales.yk.succeed(await anna.order(first, "Салон Анны"))
    await anna.expect("🎉 ВАШ БОТ ГОТОВ!", timeout=30)
    await stand.tg.ask(first_name, CUSTOMER, "/start")  # a customer: data in client_001

    # The only slot is busy: Vera's paid order waits in the queue; the operator is alerted.
    await sales.yk.succeed(await vera.order(second, "Салон Веры"))
    await vera.expect("ваш бот в очереди", timeout=30)
    assert (
        await stand.fetch(
            "SELECT status FROM platform.orders WHERE company_name = $1", "Салон Веры"
        )
    )[0]["status"] == "queued"
    assert [a["kind"] for a in await stand.fetch("SELECT kind FROM platform.alerts")] == [
        "pool_full"
    ]

    # Anna's subscription runs out: reminders, then grace (bot still up), then release.
    ends = (
        await stand.fetch(
            "SELECT ends_at FROM platform.subscriptions WHERE client_id = 'client_001'"
        )
    )[0]["ends_at"]
    assert (await lifecycle.tick(ends - timedelta(days=2, hours=12)))["reminded"] == 1
    await anna.expect("заканчивается")
    assert (await lifecycle.tick(ends - timedelta(days=2)))["reminded"] == 0
    assert (await lifecycle.tick(ends - timedelta(hours=20)))["reminded"] == 1
    await anna.expect("через 1 дн.")
    assert (await lifecycle.tick(ends + timedelta(minutes=1)))["grace"] == 1
    await anna.expect("Подписка на бота")
    assert "Салон Анны" in (await stand.tg.ask(first_name, CUSTOMER, "/start"))["text"]
    assert (await lifecycle.tick(ends + timedelta(days=2)))["released"] == 0
    assert (await lifecycle.tick(ends + timedelta(days=3, minutes=1)))["released"] == 1
    await anna.expect("остановлен")

    # The freed slot goes to Vera's queued order at once.
    await vera.expect("🎉 ВАШ БОТ ГОТОВ!", timeout=30)
    await stand.wait_status(1, "active", client_id="client_002")
    mine = await anna.mybots()
    assert "остановлен" in mine["text"] and "данные сохранены до" in mine["text"]

    # Anna renews while released: paid, queued (pool full), then the pool grows → back with data.
    await anna.click("Продлить")
    await anna.expect("Выберите срок")
    await anna.click("3 месяца")
    renewal = payment_id_of(await anna.expect("Заказ №"))
    await sales.yk.succeed(renewal)
    await anna.expect("в очереди", timeout=30)
    stand.start_worker(2)
    notice = await anna.expect("🎉 ВАШ БОТ ГОТОВ!", timeout=60)
    assert notice["text"] == f"🎉 ВАШ БОТ ГОТОВ!\n\n🤖 Бот: @{first_name}\n📅 Подписка: 90 дней"
    await stand.wait_status(2, "active", client_id="client_001")
    reply = await stand.tg.ask(first_name, CUSTOMER, "/start", timeout=15)
    assert "Салон Анны" in reply["text"]
    users = await stand.fetch("SELECT telegram_id FROM client_001.bot_users")
    assert [u["telegram_id"] for u in users] == [CUSTOMER]  # the data came back
    sub = (
        await stand.fetch(
            "SELECT status, ends_at FROM platform.subscriptions WHERE client_id = 'client_001'"
        )
    )[0]
    assert sub["status"] == "active" and sub["ends_at"] > datetime.now(UTC) + timedelta(days=89)

    # Renewing a running bot just extends it.
    await anna.say("/mybots")
    await anna.expect("работает")
    await anna.click("Продлить")
    await anna.expect("Выберите срок")
    await anna.click("1 месяц")
    await sales.yk.succeed(payment_id_of(await anna.expect("Заказ №")))
    extended = await anna.expect("продлена до", timeout=30)
    assert f"@{first_name}" in extended["text"]
    assert (
        await count(
            stand, "SELECT count(*) FROM platform.slot_assignments WHERE released_at IS NULL"
        )
        == 2
    )


async def test_replace_the_token_of_a_running_bot_keeps_its_data(stand, sales):
    (token, username), (token2, username2) = await new_bots(stand, 2)
    stand.start_worker(1)
    buyer = sales.buyer(stand.tg)
    await sales.yk.succeed(await buyer.order(token, "Школа танцев"))
    await buyer.expect("🎉 ВАШ БОТ ГОТОВ!", timeout=30)
    await stand.tg.ask(username, CUSTOMER, "/start")

    # Someone else cannot take this token now.
    intruder = sales.buyer(stand.tg)
    await intruder.until_token_step()
    await intruder.say(token)
    await intruder.expect("уже подключён")

    await buyer.mybots()
    await buyer.send_new_token(
        token
    )  # its own current token is not "someone else's"; still a valid swap
    await buyer.expect("Токен принят")
    await buyer.expect("снова работает", timeout=30)
    await buyer.mybots()
    await buyer.send_new_token(token2)
    await buyer.expect("Токен принят")
    done = await buyer.expect("снова работает", timeout=30)
    assert f"@{username2}" in done["text"]
    reply = await stand.tg.ask(username2, CUSTOMER, "/start", timeout=15)
    assert "Школа танцев" in reply["text"]
    users = await stand.fetch("SELECT telegram_id FROM client_001.bot_users")
    assert [u["telegram_id"] for u in users] == [CUSTOMER]
    bot = (await stand.fetch("SELECT bot_username, token_encrypted FROM platform.tenant_bots"))[0]
    assert bot["bot_username"] == username2
    assert stand.cipher.decrypt(bot["token_encrypted"]) == token2
