"""Input from strangers cannot harm the owner: CSV cells and names are neutralised, `/admin` works
only in the private chat, and a forged button id gets a stale-button answer (no traceback)."""

from __future__ import annotations

import csv
import io

from bots import texts
from bots.parsing import clean_name
from core.text import clean_text, csv_cell
from tests.integration.booking_stand import OWNER, set_up
from tests.screens import recording_bot, say

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


async def test_admin_answers_only_in_the_private_chat(salon):
    # a group chat, which the in-process Telegram has not: updates fed by hand, calls recorded
    bot = recording_bot("6100000999:AAgroupTest_abcdefghijklmnopqrstuvw")
    await salon.dp.feed_update(bot, say(OWNER, "/admin", chat_id=-100500))
    await salon.dp.feed_update(bot, say(OWNER, "/admin"))
    group_answer, private_answer = [m.text for m in bot.session.sent]
    assert bot.session.answers == []
    assert group_answer == texts.ADMIN_PRIVATE_ONLY
    assert "Салон Анны" in private_answer  # the owner's home screen, in private only


async def test_an_out_of_range_button_id_gets_a_stale_answer(salon):
    tg, bot = salon.tg, salon.username
    menu = await tg.ask(bot, OWNER, "/admin")
    before = len(tg.requests(salon.bot))
    for data in ("my:cy:99999999999999999999", "ad:bcy:99999999999999999999:0"):
        # a traceback here would fail the test: a handler's error reaches the user action
        await tg.forge_press(bot, OWNER, menu["message_id"], data)
    made = [(r.method, r.params["text"], r.status) for r in tg.requests(salon.bot)[before:]]
    assert made == [("answerCallbackQuery", texts.STALE_BUTTON, 200)] * 2  # and nothing else
