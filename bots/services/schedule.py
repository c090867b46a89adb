"""Working hours: each specialist's week and the dated exceptions to it."""

from __future__ import annotations

from datetime import date, timedelta

from bots.errors import StaffGone
from bots.services.base import BaseService
from bots.slots import Interval, local_today


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

    async def set_week(self, staff_id: int, week: dict[int, list[Interval]]) -> None:
        rows = [(d, i.starts, i.ends) for d, intervals in sorted(week.items()) for i in intervals]
        async with self.db.acquire() as conn, conn.transaction():
            if await self.repo.staff_member(conn, staff_id) is None:
                raise StaffGone
            await self.repo.replace_hours(conn, staff_id, rows)

    async def set_exception(self, staff_id: int, day: date, intervals: list[Interval]) -> None:
        async with self.db.acquire() as conn, conn.transaction():
            if await self.repo.staff_member(conn, staff_id) is None:
                raise StaffGone
            await self.repo.replace_exception(
                conn, staff_id, day, [(i.starts, i.ends) for i in intervals]
            )

    async def delete_exception(self, staff_id: int, day: date) -> bool:
        async with self.db.acquire() as conn:
            return await self.repo.delete_exception_day(conn, staff_id, day)
