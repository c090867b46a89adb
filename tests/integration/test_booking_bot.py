"""The tenant booking bot's flows: its real Dispatcher fed by the in-process Telegram sandbox,
on real PostgreSQL and Redis (`booking_stand`). A user action returns when the bot has handled
it, so what the bot did not send is simply not there."""

from __future__ import annotations

import asyncio
import json

from bots import texts
from tests.integration.booking_stand import OWNER, set_up
from tests.integration.test_booking_more import answer_of

ALICE = 7000001


async def test_full_booking_flow(salon):
    tg, bot = salon.tg, salon.username
    reply = await tg.ask(bot, OWNER, "/start")
    assert "/admin" in reply["text"] and "три шага" in reply["text"]  # the setup guide
    reply = await tg.ask(bot, ALICE, "/start")
    assert "Салон Анны" in reply["text"] and "/admin" not in reply["text"]
    reply = await tg.click(bot, ALICE, texts.MENU_BOOK)
    assert reply["text"] == texts.SOON

    ids = await set_up(salon)
    await tg.ask(bot, ALICE, "/start")
    reply = await tg.click(bot, ALICE, texts.MENU_BOOK)
    assert reply["text"] == texts.CHOOSE_SERVICE
    reply = await tg.click(bot, ALICE, "Стрижка")
    assert "Выберите специалиста" in reply["text"]
    reply = await tg.click(bot, ALICE, "Анна")
    assert "Выберите день" in reply["text"]
    reply = await tg.click(bot, ALICE, "Пн 04.03")
    assert "Выберите время" in reply["text"]
    buttons = [b["text"] for row in reply["reply_markup"]["inline_keyboard"] for b in row]
    # 08:00 now + 60 min notice: from 10:00; a break 13-14
    assert buttons[:3] == ["10:00", "10:30", "11:00"] and "12:30" not in buttons
    assert "13:00" not in buttons and "14:00" in buttons
    reply = await tg.click(bot, ALICE, "11:00")
    assert reply["text"] == texts.ASK_NAME
    reply = await tg.ask(bot, ALICE, "1")
    assert "имя" in reply["text"]
    reply = await tg.ask(bot, ALICE, "Алиса")
    assert "номер" in reply["text"]
    reply = await tg.ask(bot, ALICE, "не скажу")
    assert "номер" in reply["text"].lower()
    sent = await tg.send_contact(bot, ALICE, "+79991234567", "Алиса")
    reply = await tg.wait_for_reply(bot, ALICE, after=sent["message_id"])
    assert reply["text"] == texts.CONTACT_SAVED
    summary = await tg.wait_for_reply(bot, ALICE, after=reply["message_id"])
    assert "Проверьте запись" in summary["text"] and "11:00" in summary["text"]
    reply = await tg.click(bot, ALICE, texts.CONFIRM)
    assert "Вы записаны" in reply["text"]
    rows = await salon.fetch(
        "SELECT staff_id, customer_phone, status, starts_at FROM client_001.bookings"
    )
    assert [(r["staff_id"], r["customer_phone"], r["status"]) for r in rows] == [
        (ids["anna"], "+79991234567", "booked")
    ]
    reminders = await salon.fetch("SELECT offset_min FROM client_001.reminders ORDER BY 1")
    assert [r["offset_min"] for r in reminders] == [120]  # 24 h before is already past
    notice = (await tg.transcript(bot, OWNER))[-1]["text"]
    assert "Новая запись" in notice
    assert "Алиса" in notice and "+79991234567" in notice and "11:00" in notice

    # the customer is remembered: the next booking skips name and phone
    reply = await salon.pick_time(ALICE, day="Вт 05.03")
    assert "Проверьте запись" in reply["text"] and "Алиса" in reply["text"]


async def test_confirm_double_tap_books_once(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await _reach_summary(salon, ALICE, "Анна", "10:00")
    message_id, data = await tg._find_button(bot, ALICE, texts.CONFIRM)
    # both taps are handled concurrently, as polling would; when gather returns, both are done
    await asyncio.gather(
        tg.press(bot, ALICE, message_id, data), tg.press(bot, ALICE, message_id, data)
    )
    assert await _has_text(salon, ALICE, "Вы записаны")
    assert len(await salon.fetch("SELECT 1 FROM client_001.bookings")) == 1


async def test_race_for_one_slot_gives_one_booking(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    bob = ALICE + 1
    await _reach_summary(salon, ALICE, "Олег", "10:00")
    await _reach_summary(salon, bob, "Олег", "10:00", phone="+79990000002")
    presses = []
    for user in (ALICE, bob):
        message_id, data = await tg._find_button(bot, user, texts.CONFIRM)
        presses.append(tg.press(bot, user, message_id, data))
    await asyncio.gather(*presses)
    assert await _both_answered(salon, [ALICE, bob])
    rows = await salon.fetch("SELECT customer_id FROM client_001.bookings")
    assert len(rows) == 1
    loser = bob if rows[0]["customer_id"] == ALICE else ALICE
    last = (await tg.transcript(bot, loser))[-1]
    assert texts.SLOT_TAKEN in last["text"]
    buttons = [b["text"] for row in last["reply_markup"]["inline_keyboard"] for b in row]
    assert "10:00" not in buttons and "10:30" not in buttons and "11:00" in buttons


async def test_any_specialist_falls_back_to_the_other_one(salon):
    ids = await set_up(salon)
    tg, bot = salon.tg, salon.username
    summary = await _reach_summary(salon, ALICE, "Любой", "10:00")
    assert "Специалист: Анна (первый свободный)" in summary["text"]  # named before confirming
    await tg.click(bot, ALICE, texts.CONFIRM)
    summary = await _reach_summary(salon, ALICE + 1, "Любой", "10:00", phone="+79990000002")
    assert "Специалист: Олег (первый свободный)" in summary["text"]
    reply = await tg.click(bot, ALICE + 1, texts.CONFIRM)
    assert "Вы записаны" in reply["text"] and "Олег" in reply["text"]
    rows = await salon.fetch("SELECT staff_id FROM client_001.bookings ORDER BY id")
    assert [r["staff_id"] for r in rows] == [ids["anna"], ids["oleg"]]


async def _has_text(salon, user, text):
    return any(text in (m["text"] or "") for m in await salon.tg.transcript(salon.username, user))


async def _both_answered(salon, users):
    for user in users:
        messages = await salon.tg.transcript(salon.username, user)
        if not any(
            "Вы записаны" in (m["text"] or "") or texts.SLOT_TAKEN in (m["text"] or "")
            for m in messages
        ):
            return False
    return True


async def _reach_summary(salon, user, staff, at, phone="+79991234567"):
    reply = await salon.reach_summary(user, staff=staff, at=at, phone=phone)
    assert "Проверьте запись" in reply["text"], reply["text"]
    return reply


async def test_name_and_phone_sent_at_once_are_taken_in_order(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await salon.pick_time(ALICE, "Олег", at="12:00")
    # both arrive together and are handled concurrently, as two updates of one poll would be
    await asyncio.gather(
        tg.send_message(bot, ALICE, "Быстрая Алиса"),
        tg.send_message(bot, ALICE, "+7 999 000-11-22"),
    )
    summary = (await tg.transcript(bot, ALICE))[-1]["text"]
    assert "Имя: Быстрая Алиса" in summary and "Телефон: +79990001122" in summary


async def test_a_command_while_asked_for_a_name_is_a_command(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    reply = await salon.pick_time(ALICE, at="12:00")
    assert reply["text"] == texts.ASK_NAME
    reply = await tg.ask(bot, ALICE, "/my")
    assert reply["text"] == texts.MY_EMPTY
    reply = await tg.ask(bot, ALICE, "Алиса")  # the flow was left: now it is just text
    assert reply["text"] == texts.UNKNOWN


async def test_the_phone_questions_cancel_button_leaves_the_flow(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    reply = await salon.pick_time(ALICE, at="12:00")
    assert reply["text"] == texts.ASK_NAME
    question = await tg.ask(bot, ALICE, "Алиса")
    assert "номер" in question["text"]
    rows = question["reply_markup"]["keyboard"]
    assert rows[0][0]["text"] == texts.SHARE_PHONE and rows[0][0]["request_contact"]
    assert rows[1][0]["text"].startswith(texts.CANCEL)
    sent = await tg.press_reply_button(bot, ALICE, texts.CANCEL)
    reply = await tg.wait_for_reply(bot, ALICE, after=sent["message_id"])
    assert reply["text"] == texts.CANCELLED_INPUT and reply["reply_markup"]["remove_keyboard"]
    reply = await tg.ask(bot, ALICE, "+79991234567")  # the flow was left: now it is just text
    assert reply["text"] == texts.UNKNOWN
    assert await salon.fetch("SELECT 1 FROM client_001.bot_users WHERE phone IS NOT NULL") == []


async def test_the_menu_button_of_another_message_closes_the_open_dialog(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await tg.ask(bot, ALICE, "/start")
    about = await tg.click(bot, ALICE, texts.MENU_ABOUT)  # a new message with «Главное меню»
    await tg.click(bot, ALICE, texts.MENU_BOOK)  # the menu message becomes the booking dialog
    staff = await tg.click(bot, ALICE, "Стрижка")
    assert staff["message_id"] != about["message_id"]
    reply = await tg.click(bot, ALICE, texts.HOME)  # the newest one: under «О нас»
    assert reply["message_id"] == about["message_id"] and "Главное меню" in reply["text"]
    message_id, data = await tg._find_button(bot, ALICE, "Анна")
    assert message_id == staff["message_id"]
    query = await tg.press(bot, ALICE, message_id, data)
    assert await answer_of(salon, ALICE, query) == texts.STALE_BUTTON


async def test_back_from_a_reschedule_and_from_the_cancel_question_shows_the_card(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await _reach_summary(salon, ALICE, "Анна", "12:00")
    await tg.click(bot, ALICE, texts.CONFIRM)
    await tg.ask(bot, ALICE, "/my")
    card = await tg.click(bot, ALICE, "пн, 4 марта, 12:00")
    reply = await tg.click(bot, ALICE, texts.MY_RESCHEDULE)
    assert "Перенос записи" in reply["text"]
    reply = await tg.click(bot, ALICE, texts.BACK)
    assert reply["text"] == card["text"] and reply["reply_markup"] == card["reply_markup"]
    reply = await tg.click(bot, ALICE, texts.MY_CANCEL)
    assert "Точно отменить" in reply["text"]
    reply = await tg.click(bot, ALICE, texts.BACK)
    assert reply["text"] == card["text"] and reply["reply_markup"] == card["reply_markup"]
    reply = await tg.click(bot, ALICE, texts.BACK)
    assert reply["text"] == texts.MY_TITLE


async def test_a_service_removed_meanwhile_is_refused_and_the_list_shown_again(salon):
    ids = await set_up(salon)
    tg, bot = salon.tg, salon.username
    await tg.ask(bot, ALICE, "/start")
    services = await tg.click(bot, ALICE, texts.MENU_BOOK)
    await salon.catalogue.delete_service(ids["color"])
    query = await tg.press_button(bot, ALICE, "Окрашивание")
    assert await answer_of(salon, ALICE, query) == texts.SERVICE_GONE
    reply = await tg.wait_for_reply(bot, ALICE, since=services["seq"])
    buttons = [b["text"] for row in reply["reply_markup"]["inline_keyboard"] for b in row]
    assert reply["text"] == texts.CHOOSE_SERVICE and not any("Окрашивание" in b for b in buttons)
    assert any("Стрижка" in b for b in buttons)


async def test_a_screen_the_bot_no_longer_has_is_stale_once_then_start_works(salon, redis_client):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await tg.ask(bot, ALICE, "/start")
    await tg.click(bot, ALICE, texts.MENU_BOOK)
    # an upgrade removed the screen the customer was on
    [key] = await redis_client.keys(f"client_001:fsm:*{ALICE}:aiogd:context:*")
    context = json.loads(await redis_client.get(key))
    await redis_client.set(key, json.dumps({**context, "state": "BookingSG:gone"}), keepttl=True)
    reply = await tg.ask(bot, ALICE, "/start")
    assert reply["text"] == texts.STALE_BUTTON
    reply = await tg.ask(bot, ALICE, "/start")
    assert "Салон Анны" in reply["text"]
