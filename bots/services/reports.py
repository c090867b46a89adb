"""The owner's reports: statistics and the CSV export of a period's bookings (the data;
`bots.views` renders the file)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from bots import views
from bots.repository import BookingRow
from bots.services.base import BaseService, SalonSettings
from bots.slots import day_bounds_utc
from bots.status import ACTIVE_STATUSES, BookingStatus


@dataclass(frozen=True)
class Stats:
    first: date
    last: date
    total: int
    cancelled: int
    no_show: int
    revenue: int  # visits that happened: standing bookings that have ended
    upcoming: int  # standing bookings still ahead in the period
    expected: int  # what they would bring
    by_service: list[tuple[str, int, int]]  # name, visits that happened, revenue


class ReportService(BaseService):
    async def _period(self, first: date, last: date) -> tuple[list[BookingRow], SalonSettings]:
        async with self.db.acquire() as conn:
            settings = await self.settings(conn)
            start, _ = day_bounds_utc(first, settings.tz)
            _, end = day_bounds_utc(last, settings.tz)
            rows = await self.repo.bookings_between(conn, start, end, include_cancelled=True)
        return rows, settings

    async def stats(self, first: date, last: date) -> Stats:
        """The period's figures; revenue counts only visits that happened (ended by now),
        the bookings still ahead are counted apart as expected revenue."""
        rows, _ = await self._period(first, last)
        now = self.now()
        status = Counter(r.status for r in rows)
        standing = [r for r in rows if r.status in ACTIVE_STATUSES]
        ahead = [r for r in standing if r.ends_at > now]
        visits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for r in standing:
            if r.ends_at <= now:
                visits[r.service_name][0] += 1
                visits[r.service_name][1] += r.price
        by_service = sorted(((k, v[0], v[1]) for k, v in visits.items()), key=lambda x: -x[2])
        return Stats(
            first=first,
            last=last,
            total=len(rows),
            cancelled=status[BookingStatus.CANCELLED],
            no_show=status[BookingStatus.NO_SHOW],
            revenue=sum(v[2] for v in by_service),
            upcoming=len(ahead),
            expected=sum(r.price for r in ahead),
            by_service=by_service,
        )

    async def export_csv(self, first: date, last: date) -> bytes:
        """The period's bookings, cancelled ones too, as a CSV file (see `views.bookings_csv`)."""
        rows, settings = await self._period(first, last)
        return views.bookings_csv(rows, settings.tz)
