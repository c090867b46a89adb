"""Edits never strand a booking (issue 13, item 1), the third choice: a day off, new hours,
blocked time or a deleted specialist moves the bookings it strands to another specialist who
does the service and is free at the very time; the plan is shown first; those nobody can take
are cancelled, each customer told once; the exclusion constraint has the last word."""

from __future__ import annotations

import asyncio
from datetime import date, time

from bots import texts
from bots.repository import Repo
from bots.slots import Interval
from tests.integration.booking_stand import OWNER, set_up
from tests.integration.test_booking_more import book
from tests.integration.test_owner_bookings import MARIA_PHONE, owner_summary

ALICE, BOB, CAROL, DAVE = 7600001, 7600002, 7600003, 7600004
MOVED = "перенесена к специалисту"
CANCELLED = "отменена салоном"


async def _tuesday(salon) -> None:
    """Анна has Клиент 1 at 10:00 and Клиент 2 at 15:00 on Tuesday; Олег has Клиент 3 at 15:00
    (so he could take 10:00 only)."""
    await book(salon, ALICE, staff="Анна", day="Вт 05.03", at="10:00", phone="+79990000001")
    await book(salon, BOB, staff="Анна", day="Вт 05.03", at="15:00", phone="+79990000002")
    await book(salon, CAROL, staff="Олег", day="Вт 05.03", at="15:00", phone="+79990000003")


async def _bookings(salon) -> dict[int, tuple[str, str, str | None]]:
    """customer -> (specialist, status, cancelled_by)."""
    rows = await salon.fetch(
        "SELECT b.customer_id, s.name, b.status, b.cancelled_by FROM client_001.bookings b"
        " JOIN client_001.staff s ON s.id = b.staff_id"
    )
    return {r["customer_id"]: (r["name"], r["status"], r["cancelled_by"]) for r in rows}


async def _told(salon, user: int, what: str) -> list[str]:
    return [
        m["text"]
        for m in await salon.tg.transcript(salon.username, user)
        if what in (m["text"] or "")
    ]


def _buttons(message: dict) -> list[str]:
    return [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def _staff_card(salon, name: str = "Анна", section: str = texts.ADMIN_STAFF) -> dict:
    """/admin → `section` → `name`: its card."""
    tg, bot = salon.tg, salon.username
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, section)
    return await tg.click(bot, OWNER, name)


async def _day_off_moving(salon) -> dict:
    """«05.03 выходной» for Анна, moving what it strands: the plan shown."""
    tg, bot = salon.tg, salon.username
    await _staff_card(salon)
    await tg.click(bot, OWNER, texts.STAFF_EXC_BTN)
    await tg.ask(bot, OWNER, "05.03 выходной")
    return await tg.click(bot, OWNER, texts.MOVE_BTN)


async def _lost_to(salon, card: dict) -> None:
    """Клиент 1 could not be moved (Олег was taken at 10:00): cancelled and told once; the
    other booking of Олег stands alone."""
    assert texts.AFFECTED_MOVED.format(moved=0, cancelled=1) in card["text"]
    assert await _bookings(salon) == {
        ALICE: ("Анна", "cancelled", "owner"),
        DAVE: ("Олег", "booked", None),
    }
    assert len(await _told(salon, ALICE, CANCELLED)) == 1
    assert await _told(salon, ALICE, MOVED) == []


async def _double_tap(salon, label: str) -> None:
    """Two presses of one button at once, as a double tap sends them."""
    tg, bot = salon.tg, salon.username
    message_id, data = await tg._find_button(bot, OWNER, label)
    await asyncio.gather(
        tg.press(bot, OWNER, message_id, data), tg.press(bot, OWNER, message_id, data)
    )


async def test_a_day_off_moves_what_another_specialist_can_take_and_cancels_the_rest(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await _tuesday(salon)
    reminders = await salon.fetch(
        "SELECT booking_id, offset_min, due_at, state FROM client_001.reminders"
    )

    await _staff_card(salon)
    await tg.click(bot, OWNER, texts.STAFF_EXC_BTN)
    confirm = await tg.ask(bot, OWNER, "05.03 выходной")
    assert confirm["text"].startswith(texts.HOURS_STRAND)
    assert texts.MOVE_BTN in _buttons(confirm)
    plan = await tg.click(bot, OWNER, texts.MOVE_BTN)  # the plan first, nothing done yet
    assert plan["text"].startswith(texts.HOURS_STRAND)
    assert "Перенос к другим мастерам (2)" in plan["text"]
    assert "вт, 5 марта, 10:00 — Стрижка, Клиент 1 → Олег" in plan["text"]
    assert "вт, 5 марта, 15:00 — Стрижка, Клиент 2" + texts.MOVE_NOBODY in plan["text"]
    assert _buttons(plan) == [texts.HOURS_SAVE_AND_MOVE, texts.HOURS_GIVE_UP, texts.BACK]
    assert await salon.fetch("SELECT 1 FROM client_001.hour_exceptions") == []
    assert {c: b[:2] for c, b in (await _bookings(salon)).items()} == {
        ALICE: ("Анна", "booked"),
        BOB: ("Анна", "booked"),
        CAROL: ("Олег", "booked"),
    }

    await _double_tap(salon, texts.HOURS_SAVE_AND_MOVE)  # moves once: the dialog closes
    card = (await tg.transcript(bot, OWNER))[-1]
    assert card["text"].startswith(texts.EXCEPTION_SAVED.format(day="Вт 05.03"))
    assert texts.AFFECTED_MOVED.format(moved=1, cancelled=1) in card["text"]
    assert await _bookings(salon) == {
        ALICE: ("Олег", "booked", None),
        BOB: ("Анна", "cancelled", "owner"),
        CAROL: ("Олег", "booked", None),
    }
    # nothing of Анна's day off is left «ожидается»
    standing = await salon.fetch(
        "SELECT 1 FROM client_001.bookings b JOIN client_001.staff s ON s.id = b.staff_id"
        " WHERE s.name = 'Анна' AND b.status <> 'cancelled'"
    )
    assert standing == []
    # the moved booking keeps its time and its reminders
    after = await salon.fetch(
        "SELECT booking_id, offset_min, due_at, state FROM client_001.reminders"
    )
    alice_id = (
        await salon.fetch("SELECT id FROM client_001.bookings WHERE customer_id = $1", ALICE)
    )[0]["id"]
    assert sorted(tuple(r) for r in after if r["booking_id"] == alice_id) == sorted(
        tuple(r) for r in reminders if r["booking_id"] == alice_id
    )
    assert {r["state"] for r in after if r["booking_id"] == alice_id} == {"pending"}

    # each customer told once: who takes them and that the time is the same; or the cancel
    moved = await _told(salon, ALICE, MOVED)
    assert moved == [
        texts.NOTICE_CUSTOMER_MOVED_BY_OWNER.format(
            service="Стрижка", when="вт, 5 марта, 10:00", staff="Олег"
        )
    ]
    assert await _told(salon, ALICE, CANCELLED) == []
    assert len(await _told(salon, BOB, CANCELLED)) == 1 and await _told(salon, BOB, MOVED) == []
    assert await _told(salon, CAROL, MOVED) == [] and await _told(salon, CAROL, CANCELLED) == []
    assert len(await _told(salon, OWNER, texts.AFFECTED_MOVED.format(moved=1, cancelled=1))) == 1

    # the customer's own view: the booking stands with Олег
    await tg.ask(bot, ALICE, "/my")
    mine = await tg.click(bot, ALICE, "вт, 5 марта, 10:00")
    assert "👤 Олег" in mine["text"] and "ожидается" in mine["text"]


async def test_giving_up_after_seeing_the_plan_changes_nothing(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await _tuesday(salon)
    await _staff_card(salon)
    await tg.click(bot, OWNER, texts.STAFF_BLOCK_BTN)
    await tg.ask(bot, OWNER, "05.03 9-12 учёба")
    await tg.click(bot, OWNER, texts.MOVE_BTN)
    card = await tg.click(bot, OWNER, texts.HOURS_GIVE_UP)
    assert card["text"].startswith(texts.HOURS_NOT_SAVED)
    assert await salon.fetch("SELECT 1 FROM client_001.time_blocks") == []
    assert {c: b[:2] for c, b in (await _bookings(salon)).items()} == {
        ALICE: ("Анна", "booked"),
        BOB: ("Анна", "booked"),
        CAROL: ("Олег", "booked"),
    }
    assert await _told(salon, ALICE, MOVED) == []


async def test_new_hours_move_a_booking_other_specialists_blocked_time_is_respected(salon):
    ids = await set_up(salon)
    tg, bot = salon.tg, salon.username
    await book(salon, ALICE, staff="Анна", day="Вт 05.03", at="10:00")
    await book(salon, BOB, staff="Анна", day="Вт 05.03", at="16:00", phone="+79990000002")
    # Олег has a meeting at 16:00-17:00 on Tuesday: he can take 10:00 only
    await salon.schedule.add_block(ids["oleg"], date(2030, 3, 5), Interval(time(16), time(17)), "")
    await _staff_card(salon)
    await tg.click(bot, OWNER, texts.STAFF_HOURS_BTN)
    await tg.ask(bot, OWNER, "пн-пт 12-15")  # both would be outside
    plan = await tg.click(bot, OWNER, texts.MOVE_BTN)
    assert "Клиент 1 → Олег" in plan["text"] and "Клиент 2" + texts.MOVE_NOBODY in plan["text"]
    card = await tg.click(bot, OWNER, texts.HOURS_SAVE_AND_MOVE)
    assert card["text"].startswith(texts.WEEK_SAVED)
    assert texts.AFFECTED_MOVED.format(moved=1, cancelled=1) in card["text"]
    assert {c: b[:2] for c, b in (await _bookings(salon)).items()} == {
        ALICE: ("Олег", "booked"),
        BOB: ("Анна", "cancelled"),
    }


async def test_deleting_a_specialist_asks_shows_the_plan_then_moves_and_cancels(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await _tuesday(salon)

    await _staff_card(salon)
    confirm = await tg.click(bot, OWNER, texts.DELETE)
    assert confirm["text"].startswith("Удалить мастера «Анна»?")
    assert texts.MOVE_BTN in _buttons(confirm)
    plan = await tg.click(bot, OWNER, texts.MOVE_BTN)
    assert plan["text"].startswith("Удалить мастера «Анна» и перенести его записи?")
    assert "Клиент 1 → Олег" in plan["text"] and "Клиент 2" + texts.MOVE_NOBODY in plan["text"]
    card = await tg.click(bot, OWNER, texts.DELETE_NO)  # gives up: nothing changes
    assert "Анна" in card["text"]
    assert await salon.fetch("SELECT 1 FROM client_001.staff WHERE name = 'Анна' AND active")
    assert {c: b[:2] for c, b in (await _bookings(salon)).items()} == {
        ALICE: ("Анна", "booked"),
        BOB: ("Анна", "booked"),
        CAROL: ("Олег", "booked"),
    }

    await tg.click(bot, OWNER, texts.DELETE)
    await tg.click(bot, OWNER, texts.MOVE_BTN)
    await _double_tap(salon, texts.DELETE_AND_MOVE)
    # the summary stays a message of its own; the list (redrawn by the second press) under it
    summary, listed = [m["text"] for m in (await tg.transcript(bot, OWNER))[-2:]]
    assert summary == texts.AFFECTED_MOVED.format(moved=1, cancelled=1)
    assert listed == texts.STAFF_TITLE.format(count=1)
    assert await salon.fetch("SELECT 1 FROM client_001.staff WHERE name = 'Анна' AND active") == []
    assert await _bookings(salon) == {
        ALICE: ("Олег", "booked", None),
        BOB: ("Анна", "cancelled", "owner"),
        CAROL: ("Олег", "booked", None),
    }
    assert len(await _told(salon, ALICE, MOVED)) == 1
    assert len(await _told(salon, BOB, CANCELLED)) == 1
    assert len(await _told(salon, OWNER, texts.AFFECTED_MOVED.format(moved=1, cancelled=1))) == 1


async def test_a_deleted_service_offers_no_move(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await book(salon, ALICE, staff="Анна", day="Вт 05.03", at="10:00")
    await _staff_card(salon, "Стрижка", texts.ADMIN_SERVICES)
    confirm = await tg.click(bot, OWNER, texts.DELETE)
    assert "Записи впереди (1)" in confirm["text"]
    assert _buttons(confirm) == [texts.DELETE_YES, texts.DELETE_NO]


async def test_a_booking_made_at_the_target_between_plan_and_confirm_is_not_doubled(salon):
    """Олег is free at 10:00 when the plan is shown; a customer takes him then before the
    owner confirms: Клиент 1 is cancelled with a notice, Олег keeps one booking at 10:00."""
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await book(salon, ALICE, staff="Анна", day="Вт 05.03", at="10:00")
    plan = await _day_off_moving(salon)
    assert "Клиент 1 → Олег" in plan["text"]

    await book(salon, DAVE, staff="Олег", day="Вт 05.03", at="10:00", phone="+79990000004")
    await _lost_to(salon, await tg.click(bot, OWNER, texts.HOURS_SAVE_AND_MOVE))


async def test_the_exclusion_constraint_decides_a_race_at_the_very_move(salon, monkeypatch):
    """A booking of Олег at 10:00 commits between the check that he is free and the move: the
    database refuses the move (a failed move, not an error), the booking is cancelled with a
    notice, and Олег is never double-booked."""
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await book(salon, ALICE, staff="Анна", day="Вт 05.03", at="10:00")
    move = Repo.set_booking_staff

    async def racing(self, conn, booking_id: int, staff_id: int) -> None:
        await salon.fetch(  # another connection: a customer's booking, committed first
            "WITH u AS (INSERT INTO client_001.bot_users (telegram_id) VALUES ($3)"
            " ON CONFLICT DO NOTHING)"
            " INSERT INTO client_001.bookings (request_key, customer_id, customer_name,"
            " customer_phone, service_id, staff_id, price, starts_at, ends_at, blocked_until)"
            " SELECT 'race', $3, 'Гость', '+79990000009', service_id, $2, price, starts_at,"
            " ends_at, blocked_until FROM client_001.bookings WHERE id = $1",
            booking_id,
            staff_id,
            DAVE,
        )
        await move(self, conn, booking_id, staff_id)

    monkeypatch.setattr(Repo, "set_booking_staff", racing)
    await _day_off_moving(salon)
    await _lost_to(salon, await tg.click(bot, OWNER, texts.HOURS_SAVE_AND_MOVE))


async def test_a_customer_confirming_the_time_a_move_just_took_is_told(salon):
    """Dave sees Олег free at 10:00 and reaches the summary; the owner's move gives Олег
    Клиент 1's 10:00 first: Dave's «Подтвердить» is told the time was taken, no double booking."""
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await book(salon, ALICE, staff="Анна", day="Вт 05.03", at="10:00")
    summary = await salon.reach_summary(DAVE, staff="Олег", day="Вт 05.03", at="10:00")
    assert "Проверьте запись" in summary["text"]
    await _day_off_moving(salon)
    card = await tg.click(bot, OWNER, texts.HOURS_SAVE_AND_MOVE)
    assert texts.AFFECTED_MOVED.format(moved=1, cancelled=0) in card["text"]

    reply = await tg.click(bot, DAVE, texts.CONFIRM)
    assert reply["text"] in (texts.SLOT_TAKEN, texts.SLOT_TAKEN_NONE)
    assert await _bookings(salon) == {ALICE: ("Олег", "booked", None)}


async def test_a_walk_in_moved_cannot_be_told_so_the_owner_is_given_their_phone(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await owner_summary(salon)  # Мария called: Анна, Tuesday 10:00
    await tg.click(bot, OWNER, texts.CONFIRM)
    plan = await _day_off_moving(salon)
    assert "Мария → Олег" in plan["text"]
    card = await tg.click(bot, OWNER, texts.HOURS_SAVE_AND_MOVE)
    assert (
        texts.AFFECTED_MOVED.format(moved=1, cancelled=0)
        + texts.AFFECTED_CALL.format(phones=MARIA_PHONE)
        in card["text"]
    )
    rows = await salon.fetch(
        "SELECT s.name, b.status FROM client_001.bookings b"
        " JOIN client_001.staff s ON s.id = b.staff_id"
    )
    assert [tuple(r) for r in rows] == [("Олег", "booked")]


async def test_a_booking_its_customer_cancelled_meanwhile_is_skipped(salon):
    await set_up(salon)
    tg, bot = salon.tg, salon.username
    await book(salon, ALICE, staff="Анна", day="Вт 05.03", at="10:00")
    await _staff_card(salon)
    confirm = await tg.click(bot, OWNER, texts.DELETE)
    assert "Записи впереди (1)" in confirm["text"]
    await tg.click(bot, OWNER, texts.MOVE_BTN)

    await tg.ask(bot, ALICE, "/my")  # the customer cancels while the owner reads the plan
    await tg.click(bot, ALICE, "вт, 5 марта, 10:00")
    await tg.click(bot, ALICE, texts.MY_CANCEL)
    await tg.click(bot, ALICE, texts.MY_CANCEL_YES)

    listed = await tg.click(bot, OWNER, texts.DELETE_AND_MOVE)
    assert listed["text"] == texts.STAFF_TITLE.format(count=1)  # no summary: nothing was left
    assert await _bookings(salon) == {ALICE: ("Анна", "cancelled", "customer")}
    assert await _told(salon, ALICE, MOVED) == [] and await _told(salon, ALICE, CANCELLED) == []
