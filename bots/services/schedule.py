"""Working hours: each specialist's week and the dated exceptions to it."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta

from bots.errors import StaffGone, Stranded
from bots.repository import BlockRow, BookingRow
from bots.services.base import BaseService
from bots.services.bookings import UPCOMING_HORIZON
from bots.slots import Interval, block_bounds, fits_in, local_today


class ScheduleService(BaseService):
    async def schedule(
        self, staff_id: int
    ) -> tuple[dict[int, list[Interval]], dict[date, list[Interval]]]:
        now = self.now()
        async with self.db.acquire() as conn:
            settings = await self.settings(conn)
            today = local_today(now, settings.tz)
            week: dict[int, list[Interval]] = {}
            for h in await self.repo.hours(conn, [staff_id]):
                week.setdefault(h.weekday, []).append(Interval(h.starts, h.ends))
            exceptions: dict[date, list[Interval]] = {}
            for e in await self.repo.exceptions(
                conn, [staff_id], today, today + timedelta(days=366)
            ):
                found = exceptions.setdefault(e.day, [])
                if e.starts is not None:
                    found.append(Interval(e.starts, e.ends))
        return week, exceptions

    # --- what new hours would strand ----------------------------------------------------------
    # Each takes the connection of a transaction that locked the specialist's schedule (the
    # save checks again there), or none (what the owner is shown before confirming).

    async def stranded_by_week(
        self, staff_id: int, week: dict[int, list[Interval]], conn=None
    ) -> list[BookingRow]:
        """The specialist's bookings ahead that `week` would leave outside working hours (days
        with an exception keep it: the week does not change them)."""
        async with self._using(conn) as conn:
            ahead, tz = await self._ahead(conn, staff_id)
            today = local_today(self.now(), tz)
            rows = await self.repo.exceptions(conn, [staff_id], today, today + UPCOMING_HORIZON)
        excepted = {e.day for e in rows}
        return [
            b
            for b in ahead
            if (day := b.starts_at.astimezone(tz).date()) not in excepted
            and not fits_in(b.starts_at, b.ends_at, tz, week.get(day.weekday(), []))
        ]

    async def stranded_by_exception(
        self, staff_id: int, day: date, intervals: list[Interval], conn=None
    ) -> list[BookingRow]:
        """The specialist's bookings on `day` that these hours (none: a day off) would leave
        outside working hours."""
        async with self._using(conn) as conn:
            ahead, tz = await self._ahead(conn, staff_id)
        return [
            b
            for b in ahead
            if b.starts_at.astimezone(tz).date() == day
            and not fits_in(b.starts_at, b.ends_at, tz, intervals)
        ]

    async def stranded_by_block(
        self, staff_id: int, day: date, interval: Interval, conn=None
    ) -> list[BookingRow]:
        """The specialist's bookings ahead that a block of `interval` on `day` would overlap."""
        async with self._using(conn) as conn:
            ahead, tz = await self._ahead(conn, staff_id)
        start, end = block_bounds(day, interval, tz)
        return [b for b in ahead if b.starts_at < end and b.ends_at > start]

    @contextlib.asynccontextmanager
    async def _using(self, conn):
        if conn is not None:
            yield conn
        else:
            async with self.db.acquire() as conn:
                yield conn

    @contextlib.asynccontextmanager
    async def _changing(self, staff_id: int, stranded, strict: bool):
        """A transaction with the specialist's schedule locked: bookings of theirs being made
        finish first, new ones wait (and check the new schedule: BookingService). `strict`:
        the owner was shown no stranded bookings, so any found now (`stranded(conn)`, a
        booking made meanwhile) stop the change: Stranded, nothing saved."""
        async with self.db.acquire() as conn, conn.transaction():
            if not await self.repo.lock_staff_schedule(conn, staff_id):
                raise StaffGone
            if strict and await stranded(conn):
                raise Stranded
            yield conn

    # --- blocked time ------------------------------------------------------------------------

    async def blocks(self, staff_id: int) -> list[BlockRow]:
        """The specialist's blocked time still ahead."""
        now = self.now()
        async with self.db.acquire() as conn:
            return await self.repo.blocks(conn, [staff_id], now, now + UPCOMING_HORIZON)

    async def add_block(
        self, staff_id: int, day: date, interval: Interval, note: str, *, strict: bool = False
    ) -> int:
        def stranded(conn):
            return self.stranded_by_block(staff_id, day, interval, conn)

        async with self._changing(staff_id, stranded, strict) as conn:
            tz = (await self.settings(conn)).tz
            start, end = block_bounds(day, interval, tz)
            return await self.repo.insert_block(conn, staff_id, start, end, note)

    async def delete_block(self, staff_id: int, block_id: int) -> bool:
        async with self.db.acquire() as conn:
            return await self.repo.delete_block(conn, staff_id, block_id)

    async def _ahead(self, conn, staff_id: int):
        settings = await self.settings(conn)
        rows = await self.repo.standing_ahead(conn, self.now(), UPCOMING_HORIZON)
        return [b for b in rows if b.staff_id == staff_id], settings.tz

    async def set_week(
        self, staff_id: int, week: dict[int, list[Interval]], *, strict: bool = False
    ) -> None:
        rows = [(d, i.starts, i.ends) for d, intervals in sorted(week.items()) for i in intervals]

        def stranded(conn):
            return self.stranded_by_week(staff_id, week, conn)

        async with self._changing(staff_id, stranded, strict) as conn:
            await self.repo.replace_hours(conn, staff_id, rows)

    async def set_exception(
        self, staff_id: int, day: date, intervals: list[Interval], *, strict: bool = False
    ) -> None:
        def stranded(conn):
            return self.stranded_by_exception(staff_id, day, intervals, conn)

        async with self._changing(staff_id, stranded, strict) as conn:
            await self.repo.replace_exception(
                conn, staff_id, day, [(i.starts, i.ends) for i in intervals]
            )

    async def delete_exception(self, staff_id: int, day: date) -> bool:
        async with self.db.acquire() as conn:
            return await self.repo.delete_exception_day(conn, staff_id, day)
