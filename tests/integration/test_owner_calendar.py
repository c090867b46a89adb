"""The owner's calendar (issue 13, item 2): a day with each specialist's hours and free time,
a week, paging, and a day or week typed in words."""

from __future__ import annotations

from bots import texts
from tests.integration.booking_stand import OWNER, set_up
from tests.integration.test_booking_more import book

ALICE = 7600001


async def open_bookings(salon):
    await salon.tg.ask(salon.username, OWNER, "/admin")
    return await salon.tg.click(salon.username, OWNER, texts.ADMIN_BOOKINGS)


async def test_a_day_shows_bookings_hours_and_free_time_and_pages(salon):
    await set_up(salon)  # Анна and Олег: пн-пт 10:00-13:00, 14:00-18:00
    tg, bot = salon.tg, salon.username
    await book(salon, ALICE, staff="Анна", day="Пн 04.03", at="11:00")
    await open_bookings(salon)
    day = await tg.click(bot, OWNER, texts.TODAY)
    assert day["text"].startswith("📋 Записи на пн, 4 марта:")
    assert "11:00 · Стрижка · Анна" in day["text"]
    assert "👤 Анна: 10:00-13:00, 14:00-18:00 · свободно 10:00-11:00, 12:" in day["text"]
    assert "👤 Олег: 10:00-13:00, 14:00-18:00 · свободно 10:00-13:00, 14:00-18:00" in day["text"]

    day = await tg.click(bot, OWNER, texts.CAL_NEXT)
    assert day["text"].startswith(texts.DAY_EMPTY.format(day="вт, 5 марта"))
    week = await tg.click(bot, OWNER, texts.CAL_WEEK)
    assert week["text"].startswith("🗓 Неделя Пн 04.03 – Вс 10.03")
    monday = week["text"].split("\n\nПн 04.03")[1].split("\n\n")[0]
    assert "Анна: 1 зап., свободно" in monday and "Олег: 0 зап., свободно 7 ч" in monday
    assert "Сб 09.03\n  Анна: выходной\n  Олег: выходной" in week["text"]
    week = await tg.click(bot, OWNER, texts.CAL_NEXT)
    assert week["text"].startswith("🗓 Неделя Пн 11.03 – Вс 17.03")
    day = await tg.click(bot, OWNER, "Ср 13.03")
    assert day["text"].startswith(texts.DAY_EMPTY.format(day="ср, 13 марта"))


async def test_a_day_or_week_typed_in_words(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await open_bookings(salon)
    await tg.click(bot, OWNER, texts.PICK_DATE)
    day = await tg.ask(bot, OWNER, "пятница")  # today is Monday 4 March
    assert day["text"].startswith(texts.DAY_EMPTY.format(day="пт, 8 марта"))
    await open_bookings(salon)
    await tg.click(bot, OWNER, texts.PICK_DATE)
    week = await tg.ask(bot, OWNER, "на следующей неделе")
    assert week["text"].startswith("🗓 Неделя Пн 11.03 – Вс 17.03")
    await open_bookings(salon)
    week = await tg.click(bot, OWNER, texts.THIS_WEEK)
    assert week["text"].startswith("🗓 Неделя Пн 04.03 – Вс 10.03")


async def test_one_specialists_calendar_from_their_card(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await book(salon, ALICE, staff="Анна", day="Пн 04.03", at="11:00")
    await book(salon, ALICE + 1, staff="Олег", day="Пн 04.03", at="12:00", phone="+79990000002")
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_STAFF)
    await tg.click(bot, OWNER, "Олег")
    await tg.click(bot, OWNER, texts.STAFF_CALENDAR_BTN)
    day = await tg.click(bot, OWNER, texts.TODAY)
    assert "12:00 · Стрижка · Олег" in day["text"] and "Анна" not in day["text"]
    week = await tg.click(bot, OWNER, texts.CAL_WEEK)
    assert "Олег: 1 зап." in week["text"] and "Анна" not in week["text"]
