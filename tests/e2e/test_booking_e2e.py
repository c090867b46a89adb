"""The booking bot for real: a pool worker process, the Telegram sandbox, PostgreSQL, Redis,
and a clock file that sets the worker's "now"."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bots import texts
from bots.clock import write_clock_file
from sandbox.harness import wait_until
from tests.e2e.conftest import clocked_bot, set_up_by_buttons

pytestmark = pytest.mark.e2e
OWNER = 880001
ALICE = 880101
BOB = 880102
NOW = datetime(2030, 3, 4, 5, 0, tzinfo=UTC)  # Monday 08:00 in Moscow


async def texts_of(stand, bot, user):
    return [m["text"] or "" for m in await stand.tg.transcript(bot, user)]


async def count(stand, bot, user, text):
    return sum(text in t for t in await texts_of(stand, bot, user))


async def reminder_sent(stand, offset_min):
    rows = await stand.fetch(
        "SELECT state FROM client_001.reminders WHERE offset_min = $1", offset_min
    )
    return [r["state"] for r in rows] == ["sent"]


async def test_owner_sets_up_customers_book_race_and_reminders_survive_a_restart(stand, tmp_path):
    tg = stand.tg
    clock = tmp_path / "clock"
    token, bot = await clocked_bot(stand, clock, NOW, REMINDER_CHECK_INTERVAL="0.3")
    await tg.send_message(bot, OWNER, "/start")  # before activation: waits in Telegram
    worker = stand.start_worker(1)
    await stand.wait_status(1, "waiting")
    await stand.grant("client_001")
    activation = await stand.manager.activate_bot(
        "booking-bot-pool-1", token, OWNER, "client_001", "Студия Веры"
    )
    result = await stand.manager.wait_for_activation("booking-bot-pool-1", activation, 30)
    assert result.ok, result.error

    # first run: the owner gets the setup guide once, customers see «скоро откроется»
    await wait_until(lambda: count(stand, bot, OWNER, "три шага"), timeout=15, what="guide")
    await tg.ask(bot, ALICE, "/start")
    reply = await tg.click(bot, ALICE, texts.MENU_BOOK)
    assert reply["text"] == texts.SOON

    # the owner sets up a service, a specialist, her services and hours — by buttons
    await set_up_by_buttons(tg, bot, OWNER, "пн-сб 10:00-14:00, 15:00-19:00")
    assert await count(stand, bot, OWNER, "три шага") == 1

    # two customers race for Tuesday 10:00: exactly one gets it
    for user, phone in ((ALICE, "+79991110001"), (BOB, "+79991110002")):
        await tg.ask(bot, user, "/start")
        await tg.click(bot, user, texts.MENU_BOOK)
        await tg.click(bot, user, "Стрижка")
        await tg.click(bot, user, "Вера")
        await tg.click(bot, user, "Вт 05.03")
        reply = await tg.click(bot, user, "10:00")
        assert reply["text"] == texts.ASK_NAME
        reply = await tg.ask(bot, user, "абв")  # a name is fine; a phone next
        sent = await tg.ask(bot, user, "123")
        assert "номер" in sent["text"].lower()
        sent = await tg.press_reply_button(bot, user, texts.SHARE_PHONE, phone=phone)
        await tg.wait_for_reply(bot, user, after=sent["message_id"])
        summary = await tg.wait_for_reply(bot, user, after=sent["message_id"] + 1)
        assert "Проверьте запись" in summary["text"]
    presses = []
    for user in (ALICE, BOB):
        message_id, data = await tg._find_button(bot, user, texts.CONFIRM)
        presses.append(tg.press(bot, user, message_id, data))
    await asyncio.gather(*presses)

    async def both_answered():
        done = 0
        for user in (ALICE, BOB):
            got = await texts_of(stand, bot, user)
            done += any("Вы записаны" in t or texts.SLOT_TAKEN in t for t in got)
        return done == 2

    await wait_until(both_answered, timeout=15, what="both customers answered")
    rows = await stand.fetch("SELECT customer_id, starts_at FROM client_001.bookings")
    assert len(rows) == 1 and rows[0]["starts_at"] == NOW + timedelta(days=1, hours=2)
    winner = rows[0]["customer_id"]
    loser = BOB if winner == ALICE else ALICE
    assert await count(stand, bot, loser, texts.SLOT_TAKEN) == 1
    await wait_until(lambda: count(stand, bot, OWNER, "Новая запись"), what="owner notice")

    # the 24 h reminder: it is marked sent once it went out, so no later round takes it again
    write_clock_file(clock, NOW + timedelta(hours=2))  # Monday 10:00
    await wait_until(lambda: count(stand, bot, winner, "Напоминаем"), timeout=10, what="24 h")
    await wait_until(lambda: reminder_sent(stand, 1440), timeout=10, what="24 h marked sent")
    assert await count(stand, bot, winner, "Напоминаем") == 1

    # kill -9 and restart: the bot comes back and does not send it again
    worker.kill9()
    worker = stand.start_worker(1)
    await stand.wait_status(1, "active", client_id="client_001")
    reply = await tg.ask(bot, winner, "/my", timeout=20)
    assert reply["text"] == texts.MY_TITLE

    # the 2 h reminder, once, after the restart; «Подтверждаю» confirms the visit. The round
    # of the restarted worker that sends it takes everything due: had the 24 h one been taken
    # again, it would have gone out by then too
    write_clock_file(clock, NOW + timedelta(days=1))  # Tuesday 08:00
    await wait_until(lambda: reminder_sent(stand, 120), timeout=10, what="2 h marked sent")
    assert await count(stand, bot, winner, "Напоминаем") == 2
    reply = await tg.click(bot, winner, texts.REMINDER_CONFIRM)
    assert "Ждём вас" in reply["text"]
    states = await stand.fetch("SELECT offset_min, state FROM client_001.reminders ORDER BY 1")
    assert [(r["offset_min"], r["state"]) for r in states] == [(120, "sent"), (1440, "sent")]
    status = await stand.fetch("SELECT status FROM client_001.bookings")
    assert status[0]["status"] == "confirmed"
    assert await count(stand, bot, winner, "Напоминаем") == 1  # the other one was edited

    # the other customer books Wednesday (remembered: no name or phone asked), moves, cancels
    await tg.ask(bot, loser, "/start")
    await tg.click(bot, loser, texts.MENU_BOOK)
    await tg.click(bot, loser, "Стрижка")
    await tg.click(bot, loser, "Вера")
    await tg.click(bot, loser, "Ср 06.03")
    reply = await tg.click(bot, loser, "10:00")
    assert "Проверьте запись" in reply["text"]
    reply = await tg.click(bot, loser, texts.CONFIRM)
    assert "Вы записаны" in reply["text"]
    await tg.ask(bot, loser, "/my")
    await tg.click(bot, loser, "ср, 6 марта, 10:00")
    await tg.click(bot, loser, texts.MY_RESCHEDULE)
    await tg.click(bot, loser, "Ср 06.03")
    await tg.click(bot, loser, "16:00")
    reply = await tg.click(bot, loser, texts.MY_RESCHEDULE_YES)
    assert "Запись перенесена" in reply["text"] and "16:00" in reply["text"]
    await tg.ask(bot, loser, "/my")
    await tg.click(bot, loser, "ср, 6 марта, 16:00")
    await tg.click(bot, loser, texts.MY_CANCEL)
    reply = await tg.click(bot, loser, texts.MY_CANCEL_YES)
    assert "отменена" in reply["text"]
    rows = await stand.fetch(
        "SELECT starts_at, status FROM client_001.bookings WHERE customer_id = $1", loser
    )
    assert [(r["starts_at"], r["status"]) for r in rows] == [
        (NOW + timedelta(days=2, hours=8), "cancelled")
    ]
    await wait_until(lambda: count(stand, bot, OWNER, "Клиент отменил"), what="owner notice")
    assert await count(stand, bot, OWNER, "Перенос записи") == 1
    # the restarted worker's start-up (which sends the guide to an owner who has nothing set
    # up) is long over: the guide went out once, before the salon was set up
    assert await count(stand, bot, OWNER, "три шага") == 1
    assert worker.terminate(timeout=10) == 0
