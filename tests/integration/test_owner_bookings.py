"""The owner books a client who called or walked in (issue 13, item 3): by name and phone, with
the same rules and race safety as a customer's booking; a client who uses the bot is told, one
who does not is booked under the phone and gets reminders once they share it with the bot."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bots import texts
from tests.integration.booking_stand import OWNER, START, set_up
from tests.integration.test_booking_more import book, texts_of

ALICE = 7700001  # a customer of the bot: «Клиент 1», +79991234567
MARIA = 7700042  # Maria, who called the salon and starts the bot later
MARIA_PHONE = "+79990001122"
TUESDAY_10 = START + timedelta(days=1, hours=2)  # Tue 05.03 10:00 Moscow


async def owner_picks_time(salon) -> dict:
    """/admin → «📝 Записать клиента» → a haircut with Anna on Tuesday at 10:00: the reply."""
    tg, bot = salon.tg, salon.username
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_BOOK_CLIENT)
    await tg.click(bot, OWNER, "Стрижка")
    await tg.click(bot, OWNER, "Анна")
    await tg.click(bot, OWNER, "Вт 05.03")
    return await tg.click(bot, OWNER, "10:00")


async def owner_summary(salon, *, name="Мария", phone="8 (999) 000-11-22", contact=None) -> None:
    """`owner_picks_time`, then the client's name and phone (typed, or a contact the owner
    forwards): the summary is on screen."""
    tg, bot = salon.tg, salon.username
    asked = await owner_picks_time(salon)
    assert asked["text"] == texts.ASK_CLIENT_NAME
    asked = await tg.ask(bot, OWNER, name)
    assert asked["text"] == texts.ASK_CLIENT_PHONE
    assert "Поделиться" not in str(asked.get("reply_markup"))  # the owner's own number: no
    sent = await tg.send_message(bot, OWNER, None if contact else phone, contact=contact)
    taken = await tg.wait_for_reply(bot, OWNER, after=sent["message_id"])
    assert taken["text"].startswith(texts.CLIENT_PHONE_TAKEN.format(phone="+7"))


async def test_a_walk_in_is_booked_by_phone_and_gets_reminders_once_they_share_it(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await owner_summary(salon)
    done = await tg.click(bot, OWNER, texts.CONFIRM)
    assert done["text"].startswith("Клиент записан ✅\n\n👤 Мария, +79990001122")
    assert done["text"].endswith(texts.CLIENT_NOT_IN_BOT)
    rows = await salon.fetch("SELECT customer_id, customer_name, status FROM client_001.bookings")
    assert [(r["customer_name"], r["status"]) for r in rows] == [("Мария", "booked")]
    walk_in = rows[0]["customer_id"]
    assert walk_in < 0
    assert await salon.fetch("SELECT 1 FROM client_001.notices") == []  # no chat: nothing queued
    back = await tg.click(bot, OWNER, texts.BACK_TO_ADMIN)
    assert texts.ADMIN_BOOK_CLIENT in str(back["reply_markup"])  # the /admin menu again

    await tg.click(bot, OWNER, texts.ADMIN_BOOKINGS)
    day = await tg.click(bot, OWNER, texts.TOMORROW)
    assert "Мария" in day["text"] and texts.WALK_IN_MARK in day["text"]

    # the day-before reminder is due, but there is nobody to send it to: it waits
    salon.clock.set(TUESDAY_10 - timedelta(days=1))
    assert await salon.reminder_round() == 0
    states = await salon.fetch("SELECT offset_min, state FROM client_001.reminders")
    assert {(r["offset_min"], r["state"]) for r in states} == {(1440, "pending"), (120, "pending")}

    # Maria starts the bot and shares that phone: the booking is hers, the reminder goes out
    await salon.reach_summary(MARIA, name="Маша", phone="+7 999 000 11 22", day="Ср 06.03")
    assert any(texts.WALK_IN_ADOPTED.strip() in t for t in await texts_of(salon, MARIA))
    mine = await tg.ask(bot, MARIA, "/my")
    assert mine["text"] == texts.MY_TITLE and "вт, 5 марта, 10:00" in str(mine["reply_markup"])
    assert await salon.fetch("SELECT 1 FROM client_001.bot_users WHERE telegram_id < 0") == []
    assert await salon.reminder_round() == 1
    assert any("Напоминаем" in t for t in await texts_of(salon, MARIA))


async def test_a_client_who_uses_the_bot_is_booked_under_their_account_and_told(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await book(salon, ALICE, day="Ср 06.03", at="12:00")  # «Клиент 1», +79991234567
    await owner_summary(salon, name="Алиса", phone="+7 999 123-45-67")
    done = await tg.click(bot, OWNER, texts.CONFIRM)
    assert done["text"].endswith(texts.CLIENT_TOLD)
    told = await texts_of(salon, ALICE)
    assert told[-1].startswith("Вас записали ✅") and "вт, 5 марта, 10:00" in told[-1]
    sent = await salon.fetch("SELECT chat_id, state FROM client_001.notices")
    assert [(r["chat_id"], r["state"]) for r in sent] == [(ALICE, "sent")]  # queued, then sent
    rows = await salon.fetch(
        "SELECT customer_id FROM client_001.bookings WHERE starts_at = $1", TUESDAY_10
    )
    assert [r["customer_id"] for r in rows] == [ALICE]
    # what the owner typed is on the booking; the customer's own contact stays theirs
    contact = await salon.fetch(
        "SELECT full_name FROM client_001.bot_users WHERE telegram_id = $1", ALICE
    )
    assert contact[0]["full_name"] == "Клиент 1"
    assert not any("Новая запись" in t for t in await texts_of(salon, OWNER))  # no notice to self


async def test_an_owner_booking_and_a_customer_booking_race_for_one_time_and_one_wins(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    # the owner forwards the client's contact from the phone book (someone else's contact)
    contact = {"phone_number": "79995556677", "first_name": "Пётр", "user_id": 7700777}
    await owner_summary(salon, name="Пётр", contact=contact)
    await salon.reach_summary(ALICE, day="Вт 05.03", at="10:00")
    owner, customer = await asyncio.gather(
        tg.click(bot, OWNER, texts.CONFIRM), tg.click(bot, ALICE, texts.CONFIRM)
    )
    outcomes = sorted([owner["text"].split("\n")[0], customer["text"].split("\n")[0]])
    won = [t for t in outcomes if t in ("Клиент записан ✅", "Готово! Вы записаны ✅")]
    assert len(won) == 1, outcomes
    assert texts.SLOT_TAKEN in outcomes, outcomes  # the other one is told, with other times
    rows = await salon.fetch(
        "SELECT customer_phone FROM client_001.bookings WHERE starts_at = $1 AND staff_id = "
        "(SELECT id FROM client_001.staff WHERE name = 'Анна')",
        TUESDAY_10,
    )
    assert len(rows) == 1 and rows[0]["customer_phone"] in ("+79995556677", "+79991234567")


async def test_the_client_card_books_that_client_again_and_keeps_their_note(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await owner_summary(salon)
    await tg.click(bot, OWNER, texts.CONFIRM)

    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_CLIENTS)
    await tg.ask(bot, OWNER, "мария")
    card = await tg.click(bot, OWNER, "Мария, +79990001122")
    assert card["text"].startswith(f"👤 Мария, +79990001122{texts.WALK_IN_MARK}")
    await tg.click(bot, OWNER, texts.CLIENT_NOTE_BTN)
    await tg.ask(bot, OWNER, "Звонит заранее")
    await tg.click(bot, OWNER, texts.CLIENT_BOOK_BTN)
    await tg.click(bot, OWNER, "Стрижка")
    await tg.click(bot, OWNER, "Олег")
    await tg.click(bot, OWNER, "Ср 06.03")
    summary = await tg.click(bot, OWNER, "12:00")  # name and phone known: straight to the summary
    assert "Имя: Мария\nТелефон: +79990001122" in summary["text"]
    assert "📅 Когда: ср, 6 марта, 12:00 (МСК)" in summary["text"]  # the salon's zone, named
    await tg.click(bot, OWNER, texts.CONFIRM)
    back = await tg.click(bot, OWNER, texts.BACK_TO_ADMIN)
    assert back["text"].startswith("👤 Мария") and "Записей впереди: 2" in back["text"]
    ids = await salon.fetch("SELECT DISTINCT customer_id FROM client_001.bookings")
    assert len(ids) == 1 and ids[0]["customer_id"] < 0  # one walk-in, found by the phone

    # when Maria shares that phone, her card is hers, with the owner's note
    await salon.reach_summary(MARIA, name="Маша", phone=MARIA_PHONE, day="Чт 07.03")
    notes = await salon.fetch("SELECT customer_id, note FROM client_001.client_notes")
    assert [(r["customer_id"], r["note"]) for r in notes] == [(MARIA, "Звонит заранее")]


async def test_cancel_while_booking_a_client_returns_to_admin(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await owner_picks_time(salon)
    menu = await tg.ask(bot, OWNER, "/cancel")  # at the client's name: back to /admin
    assert texts.ADMIN_BOOK_CLIENT in str(menu["reply_markup"])
    assert await salon.fetch("SELECT 1 FROM client_001.bot_users WHERE telegram_id < 0") == []
