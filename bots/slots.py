"""Free-slot computation: pure functions, no I/O, times in UTC outside and local inside.

A slot is a start time at which a specialist can take a service:
- it lies in one of the day's working intervals (the dated exception replaces the weekly
  hours), starting at the interval's start and stepping by `step`, and the service
  (`duration`) ends within the interval; the buffer may run past closing time;
- `[start, start + duration + buffer)` overlaps no existing booking's `[start, blocked_until)`
  (bookings that only touch are fine: ranges are half-open);
- it is at least `min_notice` after now, and its local day is within the horizon
  (today … today + horizon_days - 1).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Interval:
    starts: time
    ends: time


@dataclass
class StaffDay:
    """What is known about one specialist for slot search."""

    staff_id: int
    weekly: dict[int, list[Interval]] = field(default_factory=dict)  # weekday -> intervals
    exceptions: dict[date, list[Interval]] = field(default_factory=dict)  # [] = day off
    busy: list[tuple[datetime, datetime]] = field(default_factory=list)  # UTC [start, until)

    def intervals(self, day: date) -> list[Interval]:
        if day in self.exceptions:
            return self.exceptions[day]
        return self.weekly.get(day.weekday(), [])


@dataclass(frozen=True)
class Rules:
    tz: ZoneInfo
    duration: timedelta
    step: timedelta
    buffer: timedelta
    min_notice: timedelta
    horizon_days: int


def local_today(now: datetime, tz: ZoneInfo) -> date:
    return now.astimezone(tz).date()


def horizon_days(now: datetime, rules: Rules) -> list[date]:
    today = local_today(now, rules.tz)
    return [today + timedelta(days=i) for i in range(max(0, rules.horizon_days))]


def block_bounds(day: date, interval: Interval, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants of `interval` on local `day` (an end of 23:59 is the end of the day)."""
    start = datetime.combine(day, interval.starts, tz).astimezone(UTC)
    if interval.ends >= time(23, 59):
        return start, datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(UTC)
    return start, datetime.combine(day, interval.ends, tz).astimezone(UTC)


def local_interval(starts_at: datetime, ends_at: datetime, tz: ZoneInfo) -> Interval:
    """UTC instants as local times of the start's day; an end on the next day is its end."""
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    return Interval(start.time(), time.max if end.date() > start.date() else end.time())


def fits_in(starts_at: datetime, ends_at: datetime, tz: ZoneInfo, hours: list[Interval]) -> bool:
    """A booking (UTC instants) lies within one of a day's working intervals, in local time."""
    booking = local_interval(starts_at, ends_at, tz)
    return any(i.starts <= booking.starts and booking.ends <= _day_end(i.ends) for i in hours)


def free_at(
    staff: StaffDay, starts_at: datetime, ends_at: datetime, until: datetime, tz: ZoneInfo
) -> bool:
    """`staff` can take a booking of [starts_at, ends_at) that keeps them busy `until` (its
    buffer): it lies within that day's working hours and overlaps nothing busy then."""
    if not fits_in(starts_at, ends_at, tz, staff.intervals(starts_at.astimezone(tz).date())):
        return False
    return not any(begin < until and end > starts_at for begin, end in staff.busy)


def free_intervals(hours: list[Interval], busy: list[Interval]) -> list[Interval]:
    """A day's working `hours` without the `busy` ranges (bookings with their buffer)."""
    free = []
    for interval in sorted(hours, key=lambda i: i.starts):
        start = interval.starts
        for b in sorted(busy, key=lambda i: i.starts):
            if b.ends <= start or b.starts >= interval.ends:
                continue
            if b.starts > start:
                free.append(Interval(start, b.starts))
            start = max(start, b.ends)
        if start < interval.ends:
            free.append(Interval(start, interval.ends))
    return free


def _day_end(ends: time) -> time:
    return time.max if ends >= time(23, 59) else ends


def day_bounds_utc(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants of local midnight at the start and end of `day`."""
    start = datetime.combine(day, time(0), tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(UTC)
    return start, end


def _to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tz).astimezone(UTC)


def free_slots(staff: StaffDay, day: date, now: datetime, rules: Rules) -> list[datetime]:
    """Free start times (UTC) of `staff` on local `day`."""
    today = local_today(now, rules.tz)
    if not (0 <= (day - today).days < rules.horizon_days):
        return []
    if rules.step <= timedelta(0) or rules.duration <= timedelta(0):
        return []
    earliest = now + rules.min_notice
    busy = sorted(staff.busy)
    starts = [b[0] for b in busy]
    # the longest booking bounds how far back an overlapping one can start
    longest = max((u - s for s, u in busy), default=timedelta(0))
    result: list[datetime] = []
    for interval in staff.intervals(day):
        begin = _to_utc(day, interval.starts, rules.tz)
        end = _to_utc(day, interval.ends, rules.tz)
        slot = begin
        while slot + rules.duration <= end:
            if slot >= earliest:
                until = slot + rules.duration + rules.buffer
                if not _overlaps(busy, starts, longest, slot, until):
                    result.append(slot)
            slot += rules.step
    return sorted(set(result))


def _overlaps(
    busy: Sequence[tuple[datetime, datetime]],
    starts: Sequence[datetime],
    longest: timedelta,
    begin: datetime,
    until: datetime,
) -> bool:
    """Does [begin, until) overlap any busy range? `busy` is sorted by start."""
    hi = bisect.bisect_left(starts, until)  # ranges starting at/after `until` cannot overlap
    lo = bisect.bisect_left(starts, begin - longest)
    return any(busy[i][1] > begin for i in range(lo, hi))


def free_slots_any(
    staff: Iterable[StaffDay], day: date, now: datetime, rules: Rules
) -> dict[datetime, list[int]]:
    """Start time -> the specialists free then (in the order given)."""
    found: dict[datetime, list[int]] = {}
    for member in staff:
        for slot in free_slots(member, day, now, rules):
            found.setdefault(slot, []).append(member.staff_id)
    return dict(sorted(found.items()))


def days_with_slots(staff: Sequence[StaffDay], now: datetime, rules: Rules) -> list[date]:
    """The local days within the horizon on which at least one of `staff` has a free slot."""
    return [
        day
        for day in horizon_days(now, rules)
        if any(free_slots(member, day, now, rules) for member in staff)
    ]
