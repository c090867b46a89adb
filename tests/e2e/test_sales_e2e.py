"""The Sales Bot for real: Telegram and YooKassa stand-ins, real pool workers, PostgreSQL, Redis."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import new_token

pytestmark = pytest.mark.e2e
CUSTOMER = 4243001


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
    await buyer.say("/mybots")
    mine = await buyer.expect("Ваши боты")
    assert f"@{username}" in mine["text"] and "работает, подписка до" in mine["text"]
