"""The owner's reports: revenue counts visits that happened, upcoming bookings are expected
revenue apart; any period, the coming days too, exported as CSV (issue 13, item 6)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from bots import texts
from tests.integration.booking_stand import OWNER, START, set_up
from tests.integration.test_booking_more import book

ALICE, BORIS = 7400001, 7400002


async def open_stats(salon):
    await salon.tg.ask(salon.username, OWNER, "/admin")
    return await salon.tg.click(salon.username, OWNER, texts.ADMIN_STATS)


async def csv_rows(salon, reply) -> list[list[str]]:
    data = await salon.tg.download(reply["document"]["file_id"])
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))[1:]


async def test_revenue_counts_visits_that_happened_and_upcoming_ones_apart(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await book(salon, ALICE, day="Пн 04.03", at="10:00")  # today, a haircut: 1500 ₽
    await book(salon, BORIS, day="Ср 06.03", at="12:00", phone="+79990000002")

    await open_stats(salon)
    reply = await tg.click(bot, OWNER, texts.STATS_7)  # the last 7 days, today included
    assert "Записей: 1" in reply["text"] and "Выручка: 0 ₽" in reply["text"]
    assert "Впереди: 1 зап., ожидается 1500 ₽" in reply["text"]
    reply = await tg.click(bot, OWNER, texts.STATS_NEXT_30)
    assert "04.03.2030 – 02.04.2030" in reply["text"] and "Записей: 2" in reply["text"]
    assert "Впереди: 2 зап., ожидается 3000 ₽" in reply["text"]
    reply = await tg.click(bot, OWNER, texts.CSV_BTN)  # upcoming bookings are exported
    assert sorted((r[1], r[2]) for r in await csv_rows(salon, reply)) == [
        ("04.03.2030", "10:00"),
        ("06.03.2030", "12:00"),
    ]

    salon.clock.set(START + timedelta(hours=4))  # 12:00 local: the 10:00 visit has happened
    await open_stats(salon)
    reply = await tg.click(bot, OWNER, texts.STATS_7)
    assert "Выручка: 1500 ₽" in reply["text"] and "Впереди" not in reply["text"]
    assert "• Стрижка: 1 — 1500 ₽" in reply["text"]


async def test_any_typed_period_and_clear_refusals(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await book(salon, ALICE, day="Ср 06.03", at="12:00")
    await open_stats(salon)
    reply = await tg.click(bot, OWNER, texts.STATS_RANGE)
    assert reply["text"] == texts.STATS_ASK_RANGE
    reply = await tg.ask(bot, OWNER, "10.03-05.03.2030")
    assert reply["text"].startswith(texts.RANGE_BACKWARDS)
    reply = await tg.ask(bot, OWNER, "когда-нибудь")
    assert "Пишите так" in reply["text"] or "Пример" in reply["text"]
    reply = await tg.ask(bot, OWNER, "05.03 - 07.03")
    assert "05.03.2030 – 07.03.2030" in reply["text"] and "Записей: 1" in reply["text"]
    reply = await tg.click(bot, OWNER, texts.CSV_BTN)
    assert reply["document"]["file_name"] == "bookings_20300305_20300307.csv"
    assert [r[2] for r in await csv_rows(salon, reply)] == ["12:00"]
