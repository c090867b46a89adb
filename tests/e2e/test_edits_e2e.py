"""Edits never strand a booking (issue 13, item 1), for real: a pool worker process runs the
tenant bot on the Telegram sandbox over HTTP, PostgreSQL and Redis, with a clock file for "now".

The issue's own case: a day off over two bookings → both customers told once, nothing of that
day left «ожидается»; deleting a specialist with bookings asks first, then moves them."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import asyncpg
import pytest

from bots import texts
from bots.clock import FixedClock
from bots.context import TenantContext
from bots.parsing import parse_week
from bots.services import CatalogueService, ScheduleService
from sandbox.harness import wait_until
from tests.e2e.conftest import clocked_bot
from tests.integration.booking_stand import set_up

pytestmark = pytest.mark.e2e
OWNER = 880201
ALICE, BOB, CAROL = 880211, 880212, 880213
NOW = datetime(2030, 3, 4, 5, 0, tzinfo=UTC)  # Monday 08:00 in Moscow
MOVED = "перенесена к специалисту"
CANCELLED = "отменена салоном"


async def told(stand, bot: str, user: int, what: str) -> list[str]:
    return [m["text"] for m in await stand.tg.transcript(bot, user) if what in (m["text"] or "")]


async def book(stand, bot: str, user: int, name: str, staff: str, at: str, phone: str) -> None:
    """A new customer books a haircut with `staff` on Tuesday 05.03 at `at`, by buttons."""
    tg = stand.tg
    await tg.ask(bot, user, "/start")
    await tg.click(bot, user, texts.MENU_BOOK)
    await tg.click(bot, user, "Стрижка")
    await tg.click(bot, user, staff)
    await tg.click(bot, user, "Вт 05.03")
    reply = await tg.click(bot, user, at)
    assert reply["text"] == texts.ASK_NAME
    await tg.ask(bot, user, name)
    sent = await tg.ask(bot, user, phone)
    summary = await tg.wait_for_reply(bot, user, after=sent["message_id"])
    assert "Проверьте запись" in summary["text"], summary["text"]
    reply = await tg.click(bot, user, texts.CONFIRM)
    assert "Вы записаны" in reply["text"], reply["text"]


async def bookings(stand) -> dict[int, tuple[str, str]]:
    """customer -> (specialist, status)."""
    rows = await stand.fetch(
        "SELECT b.customer_id, s.name, b.status FROM client_001.bookings b"
        " JOIN client_001.staff s ON s.id = b.staff_id"
    )
    return {r["customer_id"]: (r["name"], r["status"]) for r in rows}


async def test_a_day_off_and_a_deleted_specialist_never_strand_a_booking(stand, tmp_path):
    tg = stand.tg
    token, bot = await clocked_bot(stand, tmp_path / "clock", NOW)
    stand.start_worker(1)
    await stand.wait_status(1, "waiting")
    result = await stand.activate(1, token, "client_001", "Салон Анны", admin=OWNER)
    assert result.ok, result.error

    # the salon: Анна and Олег (haircuts, 10-13 and 14-18 on weekdays), Ирина mornings only
    db = await asyncpg.create_pool(stand.dsn, min_size=1, max_size=2)
    try:
        tenant, clock_now = TenantContext("client_001", "Салон Анны", OWNER), FixedClock(NOW)
        catalogue = CatalogueService(db, tenant, clock_now)
        schedule = ScheduleService(db, tenant, clock_now)
        ids = await set_up(SimpleNamespace(catalogue=catalogue, schedule=schedule))
        irina = await catalogue.add_staff("Ирина")
        await catalogue.toggle_staff_service(irina, ids["cut"])
        await schedule.set_week(irina, parse_week("пн-пт 10-13"))
    finally:
        await db.close()

    await book(stand, bot, ALICE, "Алиса", "Анна", "10:00", "+79991110001")
    await book(stand, bot, BOB, "Борис", "Анна", "15:00", "+79991110002")
    await book(stand, bot, CAROL, "Карина", "Олег", "15:00", "+79991110003")

    # «05.03 выходной» over two bookings: shown first, then moved where someone is free
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_STAFF)
    await tg.click(bot, OWNER, "Анна")
    await tg.click(bot, OWNER, texts.STAFF_EXC_BTN)
    confirm = await tg.ask(bot, OWNER, "05.03 выходной")
    assert confirm["text"].startswith(texts.HOURS_STRAND)
    assert "Записи впереди (2)" in confirm["text"]
    plan = await tg.click(bot, OWNER, texts.MOVE_BTN)
    assert "вт, 5 марта, 10:00 — Стрижка, Алиса → Ирина" in plan["text"]
    assert "вт, 5 марта, 15:00 — Стрижка, Борис" + texts.MOVE_NOBODY in plan["text"]
    assert await stand.fetch("SELECT 1 FROM client_001.hour_exceptions") == []  # not yet
    card = await tg.click(bot, OWNER, texts.HOURS_SAVE_AND_MOVE)
    assert card["text"].startswith(texts.EXCEPTION_SAVED.format(day="Вт 05.03"))
    assert texts.AFFECTED_MOVED.format(moved=1, cancelled=1) in card["text"]

    async def both_told():
        return await told(stand, bot, ALICE, MOVED) and await told(stand, bot, BOB, CANCELLED)

    await wait_until(both_told, timeout=15, what="both customers told")
    assert await told(stand, bot, ALICE, MOVED) == [
        texts.NOTICE_CUSTOMER_MOVED_BY_OWNER.format(
            service="Стрижка", when="вт, 5 марта, 10:00", staff="Ирина"
        )
    ]
    assert len(await told(stand, bot, BOB, CANCELLED)) == 1
    assert await told(stand, bot, ALICE, CANCELLED) == [] == await told(stand, bot, BOB, MOVED)
    assert await bookings(stand) == {
        ALICE: ("Ирина", "booked"),
        BOB: ("Анна", "cancelled"),
        CAROL: ("Олег", "booked"),
    }
    # nothing of Анна's day off is left «ожидается»: Борис has nothing ahead
    reply = await tg.ask(bot, BOB, "/my")
    assert reply["text"] == texts.MY_EMPTY

    # deleting Ирина, who now has Алиса's booking: asked first, nothing happens on «Нет»
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_STAFF)
    await tg.click(bot, OWNER, "Ирина")
    confirm = await tg.click(bot, OWNER, texts.DELETE)
    assert confirm["text"].startswith("Удалить мастера «Ирина»?")
    assert "Записи впереди (1)" in confirm["text"]
    await tg.click(bot, OWNER, texts.DELETE_NO)
    assert await stand.fetch("SELECT 1 FROM client_001.staff WHERE name = 'Ирина' AND active")
    assert (await bookings(stand))[ALICE] == ("Ирина", "booked")

    await tg.click(bot, OWNER, texts.DELETE)
    plan = await tg.click(bot, OWNER, texts.MOVE_BTN)
    assert plan["text"].startswith("Удалить мастера «Ирина» и перенести его записи?")
    assert "Алиса → Олег" in plan["text"]
    summary = await tg.click(bot, OWNER, texts.DELETE_AND_MOVE)
    assert summary["text"] == texts.AFFECTED_MOVED.format(moved=1, cancelled=0)

    async def moved_again():
        return len(await told(stand, bot, ALICE, MOVED)) == 2

    await wait_until(moved_again, timeout=15, what="Алиса told of Олег")
    assert (await told(stand, bot, ALICE, MOVED))[
        -1
    ] == texts.NOTICE_CUSTOMER_MOVED_BY_OWNER.format(
        service="Стрижка", when="вт, 5 марта, 10:00", staff="Олег"
    )
    assert await stand.fetch("SELECT 1 FROM client_001.staff WHERE name = 'Ирина' AND active") == []
    assert await bookings(stand) == {
        ALICE: ("Олег", "booked"),
        BOB: ("Анна", "cancelled"),
        CAROL: ("Олег", "booked"),
    }
    assert await told(stand, bot, CAROL, MOVED) == [] == await told(stand, bot, CAROL, CANCELLED)
    assert stand.workers[1].terminate(timeout=10) == 0
