"""The owner's working day (issue 13) through a real pool worker, the Telegram sandbox over HTTP,
PostgreSQL and Redis: /help, a customer's booking, a caller booked by phone, blocked time, the
day and week calendar, the client card, and the export of bookings ahead."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from bots import texts
from sandbox.harness import wait_until
from tests.e2e.conftest import clocked_bot, set_up_by_buttons

pytestmark = pytest.mark.e2e
OWNER = 880201
ALICE = 880301  # a customer of the bot
BOB = 880302  # another, racing the owner for a time
CALLER_PHONE = "+79990003344"  # someone who phoned the salon
NOW = datetime(2030, 3, 4, 5, 0, tzinfo=UTC)  # Monday 08:00 in Moscow


async def test_the_owners_day_phone_booking_blocked_time_calendar_card_and_export(stand, tmp_path):
    tg = stand.tg
    token, bot = await clocked_bot(stand, tmp_path / "clock", NOW)
    stand.start_worker(1)
    await stand.wait_status(1, "waiting")
    result = await stand.activate(1, token, "client_001", "Студия Веры", admin=OWNER)
    assert result.ok, result.error

    await tg.send_message(bot, OWNER, "/help")  # the first-run guide may come first

    async def helped():
        return any(
            (m["text"] or "").endswith(texts.HELP_OWNER) for m in await tg.transcript(bot, OWNER)
        )

    await wait_until(helped, timeout=20, what="the owner's /help")
    await set_up_by_buttons(tg, bot, OWNER, "пн-сб 9-18")  # hours typed short

    # blocked time on the specialist's card: not bookable from then on
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_STAFF)
    await tg.click(bot, OWNER, "Вера")
    await tg.click(bot, OWNER, texts.STAFF_BLOCK_BTN)
    card = await tg.ask(bot, OWNER, "05.03 15-16 планёрка")
    assert card["text"].startswith(texts.BLOCK_SAVED.format(day="Вт 05.03", interval="15:00-16:00"))

    # a customer books Tuesday 10:00 and sees the salon's zone named on the summary
    await tg.ask(bot, ALICE, "/start")
    await tg.click(bot, ALICE, texts.MENU_BOOK)
    await tg.click(bot, ALICE, "Стрижка")
    await tg.click(bot, ALICE, "Вера")
    await tg.click(bot, ALICE, "Вт 05.03")
    times = await tg.click(bot, ALICE, "10:00")
    assert times["text"] == texts.ASK_NAME
    await tg.ask(bot, ALICE, "Алиса")
    sent = await tg.ask(bot, ALICE, "+7 999 111-00-01")
    summary = await tg.wait_for_reply(bot, ALICE, after=sent["message_id"])
    assert "📅 Когда: вт, 5 марта, 10:00 (МСК)" in summary["text"]
    done = await tg.click(bot, ALICE, texts.CONFIRM)
    assert "Вы записаны" in done["text"]

    # the owner books a caller for Tuesday 12:00: a walk-in, never messaged
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_BOOK_CLIENT)
    await tg.click(bot, OWNER, "Стрижка")
    await tg.click(bot, OWNER, "Вера")
    await tg.click(bot, OWNER, "Вт 05.03")
    times = await tg.click(bot, OWNER, "12:00")
    assert "15:00" not in str(times["reply_markup"])  # the blocked hour is not offered
    assert times["text"] == texts.ASK_CLIENT_NAME
    await tg.ask(bot, OWNER, "Борис")
    sent = await tg.ask(bot, OWNER, "8 999 000-33-44")
    await tg.wait_for_reply(bot, OWNER, after=sent["message_id"])
    done = await tg.click(bot, OWNER, texts.CONFIRM)
    assert done["text"].startswith(f"Клиент записан ✅\n\n👤 Борис, {CALLER_PHONE}")

    # the owner (for another caller) and a customer race for Tuesday 11:00: one wins, one is told
    await tg.ask(bot, BOB, "/start")
    await tg.click(bot, BOB, texts.MENU_BOOK)
    for step in ("Стрижка", "Вера", "Вт 05.03", "11:00"):
        await tg.click(bot, BOB, step)
    await tg.ask(bot, BOB, "Боб")
    sent = await tg.ask(bot, BOB, "+7 999 111-00-02")
    await tg.wait_for_reply(bot, BOB, after=sent["message_id"])
    await tg.click(bot, OWNER, texts.BACK_TO_ADMIN)
    await tg.click(bot, OWNER, texts.ADMIN_BOOK_CLIENT)
    for step in ("Стрижка", "Вера", "Вт 05.03", "11:00"):
        await tg.click(bot, OWNER, step)
    await tg.ask(bot, OWNER, "Глеб")
    sent = await tg.ask(bot, OWNER, "+7 999 000-55-66")
    await tg.wait_for_reply(bot, OWNER, after=sent["message_id"])
    presses = [tg._find_button(bot, user, texts.CONFIRM) for user in (BOB, OWNER)]
    (bob_msg, bob_data), (owner_msg, owner_data) = await asyncio.gather(*presses)
    await asyncio.gather(
        tg.press(bot, BOB, bob_msg, bob_data), tg.press(bot, OWNER, owner_msg, owner_data)
    )

    async def outcomes() -> list[str]:
        """What each summary became (the screen is edited in place), once both changed."""
        shown = []
        for user, message_id in ((BOB, bob_msg), (OWNER, owner_msg)):
            for m in await tg.transcript(bot, user):
                if m["message_id"] == message_id and "Проверьте запись" not in (m["text"] or ""):
                    shown.append(m["text"])
        return shown

    async def both_decided() -> bool:
        return len(await outcomes()) == 2

    await wait_until(both_decided, timeout=15, what="both presses answered")
    decided = await outcomes()
    assert sum(texts.SLOT_TAKEN in t for t in decided) == 1, decided
    assert sum("записан" in t for t in decided) == 1, decided
    rows = await stand.fetch(
        "SELECT customer_name FROM client_001.bookings WHERE starts_at = $1 AND status = 'booked'",
        NOW + timedelta(days=1, hours=3),
    )
    assert len(rows) == 1 and rows[0]["customer_name"] in ("Боб", "Глеб")

    # the calendar: tomorrow's day and the week
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_BOOKINGS)
    day = await tg.click(bot, OWNER, texts.TOMORROW)
    assert "10:00 · Стрижка · Вера\n   Алиса, +79991110001" in day["text"]
    assert f"12:00 · Стрижка · Вера\n   Борис, {CALLER_PHONE}{texts.WALK_IN_MARK}" in day["text"]
    assert "закрыто 15:00-16:00" in day["text"]
    week = await tg.click(bot, OWNER, texts.CAL_WEEK)
    assert week["text"].startswith("🗓 Неделя Пн 04.03 – Вс 10.03")
    assert "Вт 05.03\n  Вера: 3 зап." in week["text"]

    # the client card finds the caller by a piece of the phone
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_CLIENTS)
    await tg.ask(bot, OWNER, "33 44")
    card = await tg.click(bot, OWNER, f"Борис, {CALLER_PHONE}")
    assert "Записей впереди: 1" in card["text"] and texts.WALK_IN_MARK in card["text"]

    # the export of the next 30 days has both bookings ahead; revenue only counts what happened
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_STATS)
    stats = await tg.click(bot, OWNER, texts.STATS_NEXT_30)
    assert "Впереди: 3 зап., ожидается 4500 ₽" in stats["text"]
    exported = await tg.click(bot, OWNER, texts.CSV_BTN)
    data = await tg.download(exported["document"]["file_id"])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))[1:]
    assert sorted(r[2] for r in rows) == ["10:00", "11:00", "12:00"]
