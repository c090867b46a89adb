"""My bookings, reminders, the owner's screens, bad input and flooding: the tenant bot's real
Dispatcher fed by the in-process Telegram sandbox (`booking_stand`). Reminders go out when the
test runs a round of the bot's reminder loop, at the test's clock."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from bots import texts
from core.keys import ratelimit
from tests.integration.booking_stand import OWNER, START, running_salon, set_up

ALICE = 7100001
BOB = 7100002


async def answer_of(salon, user: int, query_id: str) -> str | None:
    """The text the bot answered the button press `query_id` with (the press must be answered)."""
    for m in await salon.tg.transcript(salon.username, user):
        for cb in m["callbacks"]:
            if cb["id"] == query_id:
                assert cb["answered"], f"the press of {m['message_id']} was not answered"
                return cb["text"]
    raise AssertionError(f"no button press {query_id} in the chat")


async def texts_of(salon, user: int) -> list[str]:
    return [m["text"] or "" for m in await salon.tg.transcript(salon.username, user)]


async def book(salon, user, staff="Анна", day="Пн 04.03", at="10:00", phone="+79991234567"):
    name = f"Клиент {user % 100}"
    await salon.reach_summary(user, name=name, phone=phone, staff=staff, day=day, at=at)
    reply = await salon.tg.click(salon.username, user, texts.CONFIRM)
    assert "Вы записаны" in reply["text"], reply["text"]


async def test_reschedule_then_cancel_with_owner_notices_and_cutoff(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await tg.ask(bot, OWNER, "/start")
    await book(salon, ALICE, day="Вт 05.03", at="10:00")
    reply = await tg.ask(bot, ALICE, "/my")
    assert reply["text"] == texts.MY_TITLE
    reply = await tg.click(bot, ALICE, "вт, 5 марта, 10:00")
    assert "Стрижка" in reply["text"] and "ожидается" in reply["text"]
    reply = await tg.click(bot, ALICE, texts.MY_RESCHEDULE)
    assert "Перенос записи" in reply["text"]
    await tg.click(bot, ALICE, "Ср 06.03")
    reply = await tg.click(bot, ALICE, "15:30")
    assert "с вт, 5 марта, 10:00" in reply["text"] and "на ср, 6 марта, 15:30" in reply["text"]
    reply = await tg.click(bot, ALICE, texts.MY_RESCHEDULE_YES)
    assert "Запись перенесена" in reply["text"]
    rows = await salon.fetch(
        "SELECT b.starts_at, b.status, r.offset_min, r.due_at FROM client_001.bookings b"
        " JOIN client_001.reminders r ON r.booking_id = b.id ORDER BY r.offset_min"
    )
    assert {r["starts_at"] for r in rows} == {START + timedelta(days=2, hours=7, minutes=30)}
    assert [(r["offset_min"], r["due_at"]) for r in rows] == [
        (120, START + timedelta(days=2, hours=5, minutes=30)),
        (1440, START + timedelta(days=1, hours=7, minutes=30)),
    ]
    assert await _contains(salon, OWNER, "Перенос записи")  # the owner's notice

    # cancel: ask, confirm; the owner hears about it
    await tg.ask(bot, ALICE, "/my")
    await tg.click(bot, ALICE, "ср, 6 марта, 15:30")
    reply = await tg.click(bot, ALICE, texts.MY_CANCEL)
    assert "Точно отменить" in reply["text"]
    reply = await tg.click(bot, ALICE, texts.MY_CANCEL_YES)
    assert "отменена" in reply["text"]
    assert [r["status"] for r in await salon.fetch("SELECT status FROM client_001.bookings")] == [
        "cancelled"
    ]
    states = await salon.fetch("SELECT state FROM client_001.reminders")
    assert {r["state"] for r in states} == {"skipped"}
    assert await _contains(salon, OWNER, "Клиент отменил")  # the owner's notice
    reply = await tg.ask(bot, ALICE, "/my")
    assert reply["text"] == texts.MY_EMPTY

    # within the cut-off (2 h by default) neither cancel nor reschedule is possible
    await book(salon, ALICE, day="Пн 04.03", at="10:30")
    await tg.ask(bot, ALICE, "/my")
    card = await tg.click(bot, ALICE, "пн, 4 марта, 10:30")  # 08:00 now: still allowed
    salon.clock.set(START + timedelta(hours=1))  # 09:00, 1.5 h before
    query = await tg.press_button(bot, ALICE, texts.MY_CANCEL)
    assert "не позже чем за 2 ч" in await answer_of(salon, ALICE, query)
    query = await tg.press_button(bot, ALICE, texts.MY_RESCHEDULE)
    assert "не позже чем за 2 ч" in await answer_of(salon, ALICE, query)
    await tg.ask(bot, ALICE, "/my")
    reply = await tg.click(bot, ALICE, "пн, 4 марта, 10:30")
    buttons = [b["text"] for row in reply["reply_markup"]["inline_keyboard"] for b in row]
    assert texts.MY_CANCEL not in buttons and texts.MY_RESCHEDULE not in buttons
    assert card["message_id"] != reply["message_id"]
    statuses = await salon.fetch("SELECT status FROM client_001.bookings ORDER BY id")
    assert [r["status"] for r in statuses] == ["cancelled", "booked"]


async def test_reminders_go_out_once_with_buttons_and_blocked_customers_are_marked(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await book(salon, ALICE, day="Вт 05.03", at="10:00")
    await book(salon, BOB, staff="Олег", day="Вт 05.03", at="10:00", phone="+79990000002")
    for _ in range(3):  # several reminder rounds: nothing is due yet
        assert await salon.reminder_round() == 0
    assert not any("Напоминаем" in t for t in await texts_of(salon, ALICE))

    await tg.block(bot, BOB)
    salon.clock.set(START + timedelta(hours=2))  # Monday 10:00: 24 h before
    assert await salon.reminder_round() == 1  # Alice's; Bob blocked the bot
    assert await _reminder_states(salon, {"sent", "failed"})  # both processed
    for _ in range(3):  # later rounds send nothing again
        assert await salon.reminder_round() == 0
    assert sum("Напоминаем" in t for t in await texts_of(salon, ALICE)) == 1
    rows = await salon.fetch(
        "SELECT b.customer_id, r.state FROM client_001.reminders r"
        " JOIN client_001.bookings b ON b.id = r.booking_id WHERE r.offset_min = 1440"
    )
    assert {r["customer_id"]: r["state"] for r in rows} == {ALICE: "sent", BOB: "failed"}
    unreachable = await salon.fetch(
        "SELECT telegram_id FROM client_001.bot_users WHERE unreachable_at IS NOT NULL"
    )
    assert [r["telegram_id"] for r in unreachable] == [BOB]
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_BOOKINGS)
    reply = await tg.click(bot, OWNER, texts.TOMORROW)
    lines = reply["text"].splitlines()
    bob_line = next(line for line in lines if "+79990000002" in line)
    alice_line = next(line for line in lines if "+79991234567" in line)
    assert texts.UNREACHABLE_MARK.strip() in bob_line
    assert texts.UNREACHABLE_MARK.strip() not in alice_line

    reply = await tg.click(bot, ALICE, texts.REMINDER_CONFIRM)
    assert "Ждём вас" in reply["text"]
    status = await salon.fetch(
        "SELECT status FROM client_001.bookings WHERE customer_id = $1", ALICE
    )
    assert status[0]["status"] == "confirmed"

    salon.clock.set(START + timedelta(days=1))  # Tuesday 08:00: 2 h before
    # the first reminder was edited into «Ждём вас»; a second one arrives, once
    assert await salon.reminder_round() == 1
    for _ in range(3):
        assert await salon.reminder_round() == 0
    got = await texts_of(salon, ALICE)
    assert sum("Напоминаем" in t for t in got) == 1 and sum("Ждём вас" in t for t in got) == 1
    # «Отменить» under the reminder: inside the cut-off now, so it explains
    message_id, data = await tg._find_button(bot, ALICE, texts.REMINDER_CANCEL)
    query = await tg.press(bot, ALICE, message_id, data)
    assert "не позже чем за 2 ч" in await answer_of(salon, ALICE, query)


async def test_owner_sets_up_the_salon_and_manages_bookings(salon):
    tg, bot = salon.tg, salon.username
    reply = await tg.ask(bot, ALICE, "/admin")
    assert reply["text"] == texts.ADMIN_ONLY
    reply = await tg.ask(bot, OWNER, "/admin")
    assert "Управление «Салон Анны»" in reply["text"] and "⬜" in reply["text"]

    await tg.click(bot, OWNER, texts.ADMIN_SERVICES)
    reply = await tg.click(bot, OWNER, texts.ADMIN_ADD_SERVICE)
    assert "название; длительность" in reply["text"]
    reply = await tg.ask(bot, OWNER, "Маникюр 90 2000")
    assert "три значения" in reply["text"]
    reply = await tg.ask(bot, OWNER, "Маникюр; 90; 2000")
    assert texts.SERVICE_SAVED in reply["text"] and "Маникюр · 90 мин · 2000 ₽" in reply["text"]
    await tg.click(bot, OWNER, "Маникюр")
    await tg.click(bot, OWNER, texts.EDIT)
    reply = await tg.ask(bot, OWNER, "Маникюр; 60; 1800")
    assert "Маникюр · 60 мин · 1800 ₽" in reply["text"]

    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_STAFF)
    await tg.click(bot, OWNER, texts.ADMIN_ADD_STAFF)
    reply = await tg.ask(bot, OWNER, "Мария")
    assert "Мария" in reply["text"] and "выходной" in reply["text"]
    reply = await tg.click(bot, OWNER, texts.STAFF_SERVICES_BTN)
    reply = await tg.click(bot, OWNER, "Маникюр")
    assert any(
        b["text"] == "✅ Маникюр" for row in reply["reply_markup"]["inline_keyboard"] for b in row
    )
    await tg.click(bot, OWNER, texts.BACK)
    await tg.click(bot, OWNER, texts.STAFF_HOURS_BTN)
    reply = await tg.ask(bot, OWNER, "пн-пт 25:00-26:00")
    assert "Нет такого времени" in reply["text"]
    reply = await tg.ask(bot, OWNER, "пн-пт 10:00-13:00, 14:00-19:00\nсб 11:00-15:00")
    assert texts.WEEK_SAVED in reply["text"] and "пн 10:00-13:00, 14:00-19:00" in reply["text"]
    await tg.click(bot, OWNER, texts.STAFF_EXC_BTN)
    reply = await tg.ask(bot, OWNER, "31.02 выходной")
    assert "Нет такой даты" in reply["text"]
    reply = await tg.ask(bot, OWNER, "05.03 выходной")
    assert "Исключение на Вт 05.03" in reply["text"]
    hours = await salon.fetch("SELECT count(*) AS n FROM client_001.working_hours")
    assert hours[0]["n"] == 11

    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_SETTINGS)
    reply = await tg.click(bot, OWNER, "Часовой пояс")
    assert "Europe/Moscow" in reply["text"]
    reply = await tg.ask(bot, OWNER, "Mars/Olympus")
    assert "Не знаю часовой пояс" in reply["text"]
    reply = await tg.ask(bot, OWNER, "Asia/Yekaterinburg")
    assert "Часовой пояс: Asia/Yekaterinburg" in reply["text"]
    await tg.click(bot, OWNER, "Адрес")
    reply = await tg.ask(bot, OWNER, "Екатеринбург, ул. Ленина, 1")
    stored = await salon.fetch("SELECT key, value FROM client_001.settings ORDER BY key")
    assert {r["key"] for r in stored} >= {"timezone", "address"}

    # customers can book now; Tuesday is the exception day off
    await tg.ask(bot, ALICE, "/start")
    await tg.click(bot, ALICE, texts.MENU_BOOK)
    await tg.click(bot, ALICE, "Маникюр")
    reply = await tg.click(bot, ALICE, "Мария")
    days = [b["text"] for row in reply["reply_markup"]["inline_keyboard"] for b in row]
    assert "Пн 04.03" in days and "Вт 05.03" not in days and "Ср 06.03" in days
    reply = await tg.click(bot, ALICE, "Пн 04.03")
    times = [b["text"] for row in reply["reply_markup"]["inline_keyboard"] for b in row]
    # now is 10:00 in Yekaterinburg; 60 min notice → 11:00 is the first
    assert times[0] == "11:00" and "13:00" not in times
    await tg.click(bot, ALICE, "11:00")
    await tg.ask(bot, ALICE, "Алиса")
    sent = await tg.ask(bot, ALICE, "8 999 123 45 67")
    await tg.wait_for_reply(bot, ALICE, after=sent["message_id"])
    await tg.click(bot, ALICE, texts.CONFIRM)
    reply = await tg.ask(bot, ALICE, "/start")
    reply = await tg.click(bot, ALICE, texts.MENU_ABOUT)
    assert "Екатеринбург, ул. Ленина, 1" in reply["text"]

    # bookings of the day, cancel with a notice
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_BOOKINGS)
    reply = await tg.click(bot, OWNER, texts.TODAY)
    assert "11:00 · Маникюр · Мария" in reply["text"] and "Алиса, +79991234567" in reply["text"]
    reply = await tg.click(bot, OWNER, "❌ 11:00 Алиса")
    assert "Клиент получит уведомление" in reply["text"]
    reply = await tg.click(bot, OWNER, texts.BK_CANCEL_YES)
    assert texts.BK_CANCELLED in reply["text"]
    assert await _contains(salon, ALICE, "отменена салоном")  # the customer's notice

    # another booking, it happens without the customer: no-show
    await tg.click(bot, ALICE, texts.HOME)
    await tg.click(bot, ALICE, texts.MENU_BOOK)
    await tg.click(bot, ALICE, "Маникюр")
    await tg.click(bot, ALICE, "Мария")
    await tg.click(bot, ALICE, "Пн 04.03")
    await tg.click(bot, ALICE, "15:00")
    await tg.click(bot, ALICE, texts.CONFIRM)
    salon.clock.set(START + timedelta(hours=6))  # 16:00 local
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_BOOKINGS)
    await tg.click(bot, OWNER, texts.TODAY)
    reply = await tg.click(bot, OWNER, "Неявка 15:00")
    assert texts.BK_NOSHOW in reply["text"] and "(неявка)" in reply["text"]

    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_STATS)
    reply = await tg.click(bot, OWNER, texts.STATS_7)
    assert "Записей: 2" in reply["text"] and "Отмен: 1" in reply["text"]
    assert "Неявок: 1" in reply["text"] and "Выручка: 0 ₽" in reply["text"]
    reply = await tg.click(bot, OWNER, texts.CSV_BTN)
    assert reply["document"] is not None
    data = await tg.download(reply["document"]["file_id"])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["id", "дата", "время"]
    assert sorted((r[2], r[8]) for r in rows[1:]) == [("11:00", "отменена"), ("15:00", "неявка")]


async def test_bad_input_stale_buttons_and_unknown_commands(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    reply = await tg.ask(bot, ALICE, "/nonsense")
    assert reply["text"] == texts.UNKNOWN_COMMAND
    reply = await tg.ask(bot, ALICE, "привет")
    assert reply["text"] == texts.UNKNOWN
    await tg.ask(bot, ALICE, "/start")
    await tg.click(bot, ALICE, texts.MENU_BOOK)
    await tg.click(bot, ALICE, "Стрижка")
    reply = await tg.ask(bot, ALICE, "хочу к Анне")
    assert reply["text"] == texts.INPUT_EXPECTED_BUTTON
    await tg.click(bot, ALICE, "Анна")
    await tg.click(bot, ALICE, "Пн 04.03")
    reply = await tg.ask(bot, ALICE, "/start")  # /start in the middle: back to the menu
    assert "Салон Анны" in reply["text"]
    # a time button from the abandoned flow is stale now
    query = await tg.press_button(bot, ALICE, "10:00")
    assert await answer_of(salon, ALICE, query) == texts.STALE_BUTTON
    assert await salon.fetch("SELECT 1 FROM client_001.bookings") == []
    # a foreign contact is refused
    await tg.click(bot, ALICE, texts.MENU_BOOK)
    await tg.click(bot, ALICE, "Стрижка")
    await tg.click(bot, ALICE, "Анна")
    await tg.click(bot, ALICE, "Пн 04.03")
    await tg.click(bot, ALICE, "10:00")
    await tg.ask(bot, ALICE, "Алиса")
    contact = {"phone_number": "+79990000009", "first_name": "X", "user_id": 42}
    sent = await tg.send_message(bot, ALICE, contact=contact)
    reply = await tg.wait_for_reply(bot, ALICE, after=sent["message_id"])
    assert reply["text"] == texts.FOREIGN_CONTACT
    reply = await tg.press_reply_button(bot, ALICE, texts.SHARE_PHONE, phone="375291112233")
    reply = await tg.wait_for_reply(bot, ALICE, after=reply["message_id"])
    assert reply["text"] == texts.CONTACT_SAVED
    summary = await tg.wait_for_reply(bot, ALICE, after=reply["message_id"])
    assert "Телефон: +375291112233" in summary["text"]  # a contact comes without «+»
    customer = await salon.fetch(
        "SELECT phone FROM client_001.bot_users WHERE telegram_id=$1", ALICE
    )
    assert customer[0]["phone"] == "+375291112233"  # remembered for the next booking


async def test_a_flooding_user_is_slowed_down_and_others_are_not(pg_dsn, redis_client):
    async with running_salon(pg_dsn, redis_client, ratelimit=5) as salon:
        tg, bot = salon.tg, salon.username
        for i in range(9):
            await tg.send_message(bot, ALICE, f"спам {i}")
        reply = await tg.ask(bot, BOB, "/start")
        assert "Салон Анны" in reply["text"]
        got = await texts_of(salon, ALICE)
        assert got.count(texts.RATE_LIMITED) == 1
        assert got.count(texts.UNKNOWN) == 5
        assert int(await redis_client.get(ratelimit("client_001", ALICE))) == 9
        assert await redis_client.pttl(ratelimit("client_001", ALICE)) > 0


async def _contains(salon, user, text):
    return any(text in t for t in await texts_of(salon, user))


async def _reminder_states(salon, wanted):
    rows = await salon.fetch("SELECT state FROM client_001.reminders WHERE offset_min = 1440")
    return {r["state"] for r in rows} == wanted


async def test_cancel_under_a_reminder_asks_on_the_reminder_and_cancels(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await book(salon, ALICE, day="Вт 05.03", at="15:00")  # its dialog stays open («Вы записаны»)
    salon.clock.set(START + timedelta(hours=7))  # Monday 15:00: 24 h before
    assert await salon.reminder_round() == 1
    reminder = (await tg.transcript(bot, ALICE))[-1]
    assert "Напоминаем" in reminder["text"]
    reply = await tg.click(bot, ALICE, texts.REMINDER_CANCEL)
    assert reply["message_id"] == reminder["message_id"] and "Точно отменить" in reply["text"]
    reply = await tg.click(bot, ALICE, texts.MY_CANCEL_YES)
    assert reply["text"] == texts.MY_CANCELLED.format(when="вт, 5 марта, 15:00")
    rows = await salon.fetch("SELECT status FROM client_001.bookings")
    assert [r["status"] for r in rows] == ["cancelled"]
