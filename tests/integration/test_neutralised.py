"""Input from strangers cannot harm the owner: CSV cells and names are neutralised, `/admin` works
only in the private chat, and a forged button id gets a stale-button answer (no traceback)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import asyncpg
import pytest_asyncio

from bots import texts
from bots.clock import FixedClock
from bots.context import TenantContext
from bots.factory import BotOptions, build_dispatcher
from bots.parsing import clean_name
from core.migrations import migrate_tenant
from core.text import clean_text, csv_cell
from tests.integration.booking_stand import CLIENT, OWNER, set_up
from tests.screens import press, recording_bot, say

ALICE = 7100001
EVIL = '=HYPERLINK("http://evil.example";"Анна")'


def test_names_lose_control_bidi_and_zero_width_characters():
    assert clean_name("Ан\u202eна\u200b \u2066Z\u2069\ufeff\x07") == "Анна Z"
    assert clean_text("Салон\u200d «Ромашка»\r\n") == "Салон «Ромашка»"
    assert csv_cell("=1+2") == "'=1+2" and csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_cell("+79991234567") == "+79991234567" and csv_cell(1500) == 1500


async def test_csv_cells_and_names_are_neutralised(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await salon.pick_time(ALICE)
    await tg.ask(bot, ALICE, EVIL + "\u202e\u200b")
    sent = await tg.ask(bot, ALICE, "+79991234567")
    await tg.wait_for_reply(bot, ALICE, after=sent["message_id"])
    reply = await tg.click(bot, ALICE, texts.CONFIRM)
    assert "Вы записаны" in reply["text"]
    stored = await salon.fetch("SELECT full_name FROM client_001.bot_users")
    assert stored[0]["full_name"] == EVIL  # kept as typed, minus the invisible characters

    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_STATS)
    await tg.click(bot, OWNER, texts.STATS_7)
    reply = await tg.click(bot, OWNER, texts.CSV_BTN)
    data = await tg.download(reply["document"]["file_id"])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][5] == "'" + EVIL  # a spreadsheet shows it as text, never runs it
    assert rows[1][6] == "+79991234567"


@pytest_asyncio.fixture
async def offline_bot(pg_dsn, redis_client):
    """The tenant bot's dispatcher fed by hand, its answers recorded (chats the sandbox has
    not: groups, and buttons no keyboard of ours carries)."""
    db = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=3)
    try:
        async with db.acquire() as conn:
            await migrate_tenant(conn, CLIENT)
        dp = build_dispatcher(
            TenantContext(CLIENT, "Салон Анны", OWNER),
            redis=redis_client,
            db=db,
            options=BotOptions(clock=FixedClock(datetime(2030, 3, 4, tzinfo=UTC))),
        )
        yield dp, recording_bot("6100000999:AAgroupTest_abcdefghijklmnopqrstuvw")
    finally:
        await db.close()


async def test_admin_answers_only_in_the_private_chat(offline_bot):
    dp, bot = offline_bot
    await dp.feed_update(bot, say(OWNER, "/admin", chat_id=-100500))
    await dp.feed_update(bot, say(OWNER, "/admin"))
    group_answer, private_answer = [m.text for m in bot.session.sent]
    assert bot.session.answers == []
    assert group_answer == texts.ADMIN_PRIVATE_ONLY
    assert "Салон Анны" in private_answer  # the owner's home screen, in private only


async def test_an_out_of_range_button_id_gets_a_stale_answer(offline_bot):
    dp, bot = offline_bot
    for data in ("my:cy:99999999999999999999", "ad:bcy:99999999999999999999:0"):
        # a traceback here would fail the test: feed_update raises what a handler raises
        await dp.feed_update(bot, press(OWNER, data, text="меню"))
    assert [a.text for a in bot.session.answers] == [texts.STALE_BUTTON, texts.STALE_BUTTON]
    assert bot.session.screens == []  # nothing sent or edited besides
