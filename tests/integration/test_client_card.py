"""The owner's client card (issue 13, item 5): found by name or phone; visits, bookings ahead,
cancellations, no-shows, what they spent; the owner's note."""

from __future__ import annotations

from datetime import timedelta

from bots import texts
from tests.integration.booking_stand import OWNER, START, set_up
from tests.integration.test_booking_more import book

ALICE = 7700001


async def test_a_customer_is_found_by_name_or_phone_and_their_card_tells_their_history(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await book(salon, ALICE, day="Пн 04.03", at="10:00")  # «Клиент 1», +79991234567
    await book(salon, ALICE, day="Ср 06.03", at="12:00")
    salon.clock.set(START + timedelta(hours=4))  # Monday 12:00: the 10:00 visit happened

    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_CLIENTS)
    reply = await tg.ask(bot, OWNER, "к")
    assert reply["text"].startswith(texts.CLIENT_SEARCH_SHORT)
    found = await tg.ask(bot, OWNER, "никого")
    assert found["text"] == texts.CLIENTS_NONE.format(query="никого")
    await tg.click(bot, OWNER, texts.CLIENTS_AGAIN)
    found = await tg.ask(bot, OWNER, "123 45 67")  # a piece of the phone, typed loosely
    assert found["text"] == texts.CLIENTS_FOUND.format(query="123 45 67")
    card = await tg.click(bot, OWNER, "Клиент 1, +79991234567")
    assert card["text"].startswith("👤 Клиент 1, +79991234567")
    assert "Визитов: 1 (на 1500 ₽)" in card["text"] and "Записей впереди: 1" in card["text"]
    assert "неявок: 0" in card["text"] and "📝 Заметка: нет" in card["text"]

    await tg.click(bot, OWNER, texts.CLIENT_NOTE_BTN)
    card = await tg.ask(bot, OWNER, "Любит мастера Анну")
    assert card["text"].startswith(texts.CLIENT_NOTE_SAVED)
    assert "📝 Заметка: Любит мастера Анну" in card["text"]
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_CLIENTS)
    await tg.ask(bot, OWNER, "клиент")  # by name, any case
    card = await tg.click(bot, OWNER, "Клиент 1")
    assert "📝 Заметка: Любит мастера Анну" in card["text"]


async def test_a_customer_cannot_open_the_client_search(salon):
    await set_up(salon)
    reply = await salon.tg.ask(salon.username, ALICE, "/admin")
    assert texts.ADMIN_CLIENTS not in str(reply.get("reply_markup"))
