"""A specialist in the bot for real (issue 13, item 7): a pool worker process on the Telegram
sandbox over HTTP — the owner invites a specialist, the specialist accepts the link, hears of a
customer's booking with them, and gets nothing of /admin."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bots import texts
from sandbox.harness import wait_until
from tests.e2e.conftest import clocked_bot

pytestmark = pytest.mark.e2e
OWNER = 890001
VERA = 890002  # the specialist's own Telegram account
ALICE = 890101
NOW = datetime(2030, 3, 4, 5, 0, tzinfo=UTC)  # Monday 08:00 in Moscow
LINK = re.compile(r"https://t\.me/(\w+)\?start=(staff-[A-Za-z0-9_-]+)")

# a salon ready for bookings: «Стрижка» by Вера, Monday to Saturday 10:00-19:00
SET_UP = """
WITH service AS (
    INSERT INTO client_001.services (name, duration_min, price) VALUES ('Стрижка', 60, 1500)
    RETURNING id
), member AS (
    INSERT INTO client_001.staff (name) VALUES ('Вера') RETURNING id
), does AS (
    INSERT INTO client_001.staff_services (staff_id, service_id)
    SELECT member.id, service.id FROM member, service
)
INSERT INTO client_001.working_hours (staff_id, weekday, starts, ends)
SELECT member.id, day, '10:00', '19:00' FROM member, generate_series(0, 5) AS day
"""


async def test_a_specialist_is_invited_accepts_and_is_told_of_a_booking(stand, tmp_path):
    tg = stand.tg
    token, bot = await clocked_bot(stand, tmp_path / "clock", NOW)
    worker = stand.start_worker(1)
    await stand.wait_status(1, "waiting")
    result = await stand.activate(1, token, "client_001", "Студия Веры", admin=OWNER)
    assert result.ok, result.error
    await stand.fetch(SET_UP)

    # the owner invites Вера from her card: the link comes as its own message
    await tg.ask(bot, OWNER, "/start", timeout=15)  # (the first-run guide may come first)
    greeting = texts.GREETING.format(company="Студия Веры")
    await wait_until(lambda: _has(tg, bot, OWNER, greeting), timeout=10, what="the greeting")
    assert (await tg.ask(bot, OWNER, "/admin"))["text"].startswith("⚙️ Управление")
    await tg.click(bot, OWNER, texts.ADMIN_STAFF)
    card = await tg.click(bot, OWNER, "Вера")
    assert texts.STAFF_NOT_CONNECTED.strip() in card["text"]
    sent = await tg.click(bot, OWNER, texts.STAFF_INVITE_BTN)
    found = LINK.search(sent["text"])
    assert found is not None and found[1] == bot
    payload = found[2]

    # Вера opens it: bound, her own menu
    welcome = await tg.ask(bot, VERA, f"/start {payload}")
    assert welcome["text"] == texts.STAFF_WELCOME.format(company="Студия Веры", name="Вера")
    home = texts.STAFF_HOME.format(name="Вера", company="Студия Веры")
    await wait_until(lambda: _has(tg, bot, VERA, home), timeout=10, what="her menu")
    rows = await stand.fetch("SELECT telegram_id FROM client_001.staff")
    assert [r["telegram_id"] for r in rows] == [VERA]
    reply = await tg.ask(bot, ALICE, f"/start {payload}")  # one-time: nobody else
    assert reply["text"] == texts.INVITE_INVALID

    # a customer books with Вера: Вера hears of it
    await tg.ask(bot, ALICE, "/start")
    await tg.click(bot, ALICE, texts.MENU_BOOK)
    await tg.click(bot, ALICE, "Стрижка")
    await tg.click(bot, ALICE, "Вера")
    await tg.click(bot, ALICE, "Вт 05.03")
    assert (await tg.click(bot, ALICE, "10:00"))["text"] == texts.ASK_NAME
    await tg.ask(bot, ALICE, "Алиса")
    sent = await tg.ask(bot, ALICE, "+79991110001")
    summary = await tg.wait_for_reply(bot, ALICE, after=sent["message_id"] + 1, timeout=10)
    assert "Проверьте запись" in summary["text"]
    assert "Вы записаны" in (await tg.click(bot, ALICE, texts.CONFIRM))["text"]
    notice = texts.STAFF_NOTICE_NEW.format(
        service="Стрижка", when="вт, 5 марта, 10:00", name="Алиса", phone="+79991110001"
    )
    await wait_until(lambda: _has(tg, bot, VERA, notice), timeout=10, what="her notice")

    # nothing of the admin for her
    assert (await tg.ask(bot, VERA, "/admin"))["text"] == texts.ADMIN_ONLY
    assert payload.removeprefix("staff-") not in worker.log()  # the link is never logged


async def _has(tg, bot: str, user: int, start: str) -> bool:
    """A message of the chat starts with `start`."""
    return any((m["text"] or "").startswith(start) for m in await tg.transcript(bot, user))
