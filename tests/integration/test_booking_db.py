"""The booking tables and services on a real PostgreSQL: the exclusion constraint, the
request key, concurrent bookings, reminders claimed once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from bots.clock import FixedClock
from bots.context import TenantContext
from bots.errors import SlotTaken, Stranded
from bots.parsing import parse_week
from bots.services import (
    BookingService,
    CatalogueService,
    Draft,
    ReminderService,
    ScheduleService,
    new_request_key,
)
from core.migrations import migrate_tenant

NOW = datetime(2030, 3, 4, 5, 0, tzinfo=UTC)  # Monday 08:00 Moscow
AT_10 = datetime(2030, 3, 4, 7, 0, tzinfo=UTC)  # Monday 10:00 Moscow
TENANT = TenantContext("client_001", "Салон", 1)


@pytest.fixture
async def db(pg_dsn):
    pool = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=10)
    async with pool.acquire() as conn:
        await migrate_tenant(conn, TENANT.client_id)
        for user in range(100, 130):
            await conn.execute("INSERT INTO client_001.bot_users (telegram_id) VALUES ($1)", user)
    try:
        yield pool
    finally:
        await pool.close()


async def salon(db, clock):
    catalogue = CatalogueService(db, TENANT, clock)
    schedule = ScheduleService(db, TENANT, clock)
    service = await catalogue.add_service("Стрижка", 60, 1500)
    staff = []
    for name in ("Анна", "Олег"):
        staff_id = await catalogue.add_staff(name)
        await catalogue.toggle_staff_service(staff_id, service)
        await schedule.set_week(staff_id, parse_week("пн-пт 10:00-18:00"))
        staff.append(staff_id)
    return service, staff


def draft(service, staff_id, at, user=100) -> Draft:
    return Draft(service, staff_id, at, new_request_key(), user, "Клиент", "+79990000000")


async def test_exclusion_constraint_rejects_overlaps_allows_touching_and_cancelled(db):
    service, (anna, _) = await salon(db, FixedClock(NOW))

    async def insert(start, minutes, key, status="booked"):
        async with db.acquire() as conn:
            await conn.execute(
                "INSERT INTO client_001.bookings (request_key, customer_id, customer_name,"
                " customer_phone, service_id, staff_id, price, starts_at, ends_at,"
                " blocked_until, status) VALUES ($1, 100, 'К', '+7', $2, $3, 0, $4, $5, $5, $6)",
                key, service, anna, start, start + timedelta(minutes=minutes), status,
            )  # fmt: skip

    await insert(AT_10, 60, "a")
    await insert(AT_10 + timedelta(minutes=60), 60, "b")  # touching: fine
    with pytest.raises(asyncpg.ExclusionViolationError) as error:
        await insert(AT_10 + timedelta(minutes=30), 60, "c")
    assert error.value.sqlstate == "23P01"
    async with db.acquire() as conn:
        await conn.execute(
            "UPDATE client_001.bookings SET status = 'cancelled' WHERE request_key = 'a'"
        )
    await insert(AT_10 + timedelta(minutes=-30), 60, "d")  # the cancelled one no longer blocks


async def test_twenty_concurrent_customers_one_slot_one_booking(db):
    clock = FixedClock(NOW)
    service, (anna, _) = await salon(db, clock)
    booking = BookingService(db, TENANT, clock)
    results = await asyncio.gather(
        *(booking.book(draft(service, anna, AT_10, user)) for user in range(100, 120)),
        return_exceptions=True,
    )
    booked = [r for r in results if not isinstance(r, Exception)]
    taken = [r for r in results if isinstance(r, SlotTaken)]
    assert len(booked) == 1 and booked[0].created and len(taken) == 19
    assert (
        AT_10 not in taken[0].alternatives and AT_10 + timedelta(hours=1) in taken[0].alternatives
    )
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM client_001.bookings") == 1


async def test_same_request_twice_books_once_and_any_uses_the_next_specialist(db):
    clock = FixedClock(NOW)
    service, (anna, oleg) = await salon(db, clock)
    booking = BookingService(db, TENANT, clock)
    first = draft(service, 0, AT_10)
    one, two = await asyncio.gather(booking.book(first), booking.book(first))
    assert sorted([one.created, two.created]) == [False, True]
    assert one.booking.id == two.booking.id
    other = await booking.book(draft(service, 0, AT_10, user=101))
    assert other.created and {one.booking.staff_id, other.booking.staff_id} == {anna, oleg}
    with pytest.raises(SlotTaken):
        await booking.book(draft(service, 0, AT_10, user=102))


async def test_reminders_are_claimed_once_even_by_two_senders(db):
    clock = FixedClock(NOW)
    service, (anna, _) = await salon(db, clock)
    booking = BookingService(db, TENANT, clock)
    tomorrow = AT_10 + timedelta(days=1)
    await booking.book(draft(service, anna, tomorrow))
    first, second = ReminderService(db, TENANT, clock), ReminderService(db, TENANT, clock)
    assert await first.claim_due() == []
    clock.set(tomorrow - timedelta(hours=24))
    a, b = await asyncio.gather(first.claim_due(), second.claim_due())
    assert [r.offset_min for r in a + b] == [1440]
    for r in a + b:
        await first.finish(r, sent=True, unreachable=False)
    assert await second.claim_due() == []
    clock.set(tomorrow - timedelta(hours=1))  # the 2 h one is overdue but still before the visit
    assert [r.offset_min for r in await second.claim_due()] == [120]
    clock.set(tomorrow + timedelta(minutes=1))
    assert await first.claim_due() == []


async def test_a_booking_can_move_onto_part_of_its_own_time_but_not_onto_others(db):
    clock = FixedClock(NOW)
    service, (anna, _) = await salon(db, clock)
    booking = BookingService(db, TENANT, clock)
    mine = (await booking.book(draft(service, anna, AT_10, user=100))).booking
    await booking.book(draft(service, anna, AT_10 + timedelta(hours=2), user=101))
    clock.set(NOW - timedelta(hours=3))  # 05:00: before the 2 h cancellation cut-off
    day = AT_10.date()
    free = await booking.available_times(service, anna, day, ignore=mine.id)
    assert AT_10 + timedelta(minutes=30) in free
    old, new = await booking.reschedule(100, mine.id, AT_10 + timedelta(minutes=30))
    assert old.starts_at == AT_10 and new.starts_at == AT_10 + timedelta(minutes=30)
    with pytest.raises(SlotTaken) as taken:
        await booking.reschedule(100, mine.id, AT_10 + timedelta(hours=2, minutes=30))
    assert AT_10 + timedelta(hours=2, minutes=30) not in taken.value.alternatives
    async with db.acquire() as conn:
        due = await conn.fetch(
            "SELECT offset_min, due_at FROM client_001.reminders WHERE booking_id = $1", mine.id
        )
    assert {r["offset_min"]: r["due_at"] for r in due} == {
        120: AT_10 + timedelta(minutes=30) - timedelta(hours=2)
    }


async def _waiting_for_a_lock(db) -> bool:
    async with db.acquire() as conn:
        return await conn.fetchval("SELECT count(*) FROM pg_locks WHERE NOT granted") > 0


async def _until(check) -> None:
    for _ in range(500):
        if await check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the other transaction never waited")


async def _book_during(db, staff_id: int, book, *change: tuple) -> BaseException | None:
    """`book()` started while an owner's transaction holds the specialist's schedule (as
    ScheduleService and CatalogueService take it) and runs `change` (statements with their
    arguments), committed once the booking waits for it; what the booking raised."""
    async with db.acquire() as owner:
        tx = owner.transaction()
        await tx.start()
        await owner.execute("SELECT id FROM client_001.staff WHERE id = $1 FOR UPDATE", staff_id)
        for statement in change:
            await owner.execute(*statement)
        booked = asyncio.create_task(book())
        await _until(lambda: _waiting_for_a_lock(db))
        await tx.commit()
    try:
        await booked
    except Exception as exc:
        return exc
    return None


async def test_a_booking_made_while_the_time_is_being_closed_sees_it_closed(db):
    # the owner's block of Monday 10:00-12:00 is being saved when a customer books 10:00 with
    # the free-time check already behind them: the booking waits for the block, then finds the
    # time closed (SlotTaken), not a booking inside it
    clock = FixedClock(NOW)
    service, (anna, _) = await salon(db, clock)
    booking = BookingService(db, TENANT, clock)
    block = (
        "INSERT INTO client_001.time_blocks (staff_id, starts_at, ends_at) VALUES ($1, $2, $3)",
        anna, AT_10, AT_10 + timedelta(hours=2),
    )  # fmt: skip
    raised = await _book_during(db, anna, lambda: booking.book(draft(service, anna, AT_10)), block)
    assert isinstance(raised, SlotTaken) and AT_10 not in raised.alternatives
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM client_001.bookings") == 0


async def test_a_day_off_saved_while_a_booking_is_being_made_waits_and_refuses(db):
    # a customer's booking of Monday 10:00 is being committed when the owner saves Monday as a
    # day off having seen no bookings: the save waits, then finds the booking and saves nothing
    clock = FixedClock(NOW)
    service, (anna, _) = await salon(db, clock)
    schedule = ScheduleService(db, TENANT, clock)
    async with db.acquire() as customer:
        tx = customer.transaction()
        await tx.start()
        await customer.execute(
            "SELECT id FROM client_001.staff WHERE id = $1 FOR KEY SHARE", anna
        )  # what BookingService takes before writing
        await customer.execute(
            "INSERT INTO client_001.bookings (request_key, customer_id, customer_name,"
            " customer_phone, service_id, staff_id, price, starts_at, ends_at, blocked_until)"
            " VALUES ('k', 100, 'К', '+7', $1, $2, 0, $3, $4, $4)",
            service, anna, AT_10, AT_10 + timedelta(hours=1),
        )  # fmt: skip
        saved = asyncio.create_task(schedule.set_exception(anna, AT_10.date(), [], strict=True))
        await _until(lambda: _waiting_for_a_lock(db))
        await tx.commit()
    with pytest.raises(Stranded):
        await saved
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM client_001.hour_exceptions") == 0
    await schedule.set_exception(anna, AT_10.date(), [])  # the owner confirmed: saved
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM client_001.hour_exceptions") == 1


async def test_a_booking_made_while_its_specialist_is_being_deleted_is_refused(db):
    clock = FixedClock(NOW)
    service, (anna, _) = await salon(db, clock)
    booking = BookingService(db, TENANT, clock)
    deactivate = ("UPDATE client_001.staff SET active = false WHERE id = $1", anna)
    raised = await _book_during(
        db, anna, lambda: booking.book(draft(service, anna, AT_10)), deactivate
    )
    assert isinstance(raised, SlotTaken)
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM client_001.bookings") == 0
