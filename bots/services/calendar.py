"""The calendar: a day or a week of the salon (or of one specialist), each specialist's
working hours, bookings blocked and free time. A few queries for any span (staff, hours,
exceptions, bookings, blocks), so a busy salon's week is one round of SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from bots.repository import BookingRow
from bots.services.base import BaseService
from bots.slots import Interval, day_bounds_utc, free_intervals, local_interval
from bots.status import ACTIVE_STATUSES


@dataclass(frozen=True)
class StaffDay:
    """One specialist on one day."""

    name: str
    hours: list[Interval]  # empty: a day off
    bookings: list[BookingRow]  # standing ones, in time order
    free: list[Interval]
    blocked: list[Interval] = field(default_factory=list)  # a break, a meeting

    @property
    def free_minutes(self) -> int:
        return sum(_minutes(i.ends) - _minutes(i.starts) for i in self.free)


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute + (1 if t >= time(23, 59) else 0)


class CalendarService(BaseService):
    async def span(
        self, first: date, days: int, *, staff_id: int | None = None
    ) -> dict[date, list[StaffDay]]:
        """Each day of `first` … `first + days - 1`: every specialist, in the list's order, or
        only the one with `staff_id` (a specialist's own calendar)."""
        last = first + timedelta(days=days - 1)
        async with self.db.acquire() as conn:
            settings = await self.settings(conn)
            staff = await self.repo.staff(conn)
            if staff_id is not None:
                staff = [s for s in staff if s.id == staff_id]
            ids = [s.id for s in staff]
            hours = await self.repo.hours(conn, ids)
            exceptions = await self.repo.exceptions(conn, ids, first, last)
            start, _ = day_bounds_utc(first, settings.tz)
            _, end = day_bounds_utc(last, settings.tz)
            rows = await self.repo.bookings_between(conn, start, end)
            blocks = await self.repo.blocks(conn, ids, start, end)
        tz = settings.tz
        week: dict[tuple[int, int], list[Interval]] = {}
        for h in hours:
            week.setdefault((h.staff_id, h.weekday), []).append(Interval(h.starts, h.ends))
        changed: dict[tuple[int, date], list[Interval]] = {}
        for e in exceptions:
            found = changed.setdefault((e.staff_id, e.day), [])
            if e.starts is not None:
                found.append(Interval(e.starts, e.ends))
        booked: dict[tuple[int, date], list[BookingRow]] = {}
        for b in rows:
            if b.status in ACTIVE_STATUSES:
                booked.setdefault((b.staff_id, b.starts_at.astimezone(tz).date()), []).append(b)
        blocked: dict[tuple[int, date], list[Interval]] = {}
        for k in blocks:
            blocked.setdefault((k.staff_id, k.starts_at.astimezone(tz).date()), []).append(
                local_interval(k.starts_at, k.ends_at, tz)
            )
        plan: dict[date, list[StaffDay]] = {}
        for n in range(days):
            day = first + timedelta(days=n)
            plan[day] = []
            for s in staff:
                day_hours = changed.get((s.id, day), week.get((s.id, day.weekday()), []))
                day_bookings = booked.get((s.id, day), [])
                day_blocks = blocked.get((s.id, day), [])
                busy = [local_interval(b.starts_at, b.blocked_until, tz) for b in day_bookings]
                free = free_intervals(day_hours, busy + day_blocks)
                plan[day].append(StaffDay(s.name, day_hours, day_bookings, free, day_blocks))
        return plan
