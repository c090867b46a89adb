"""Formatting of dates, times, hours and bookings for messages and files (Russian, in the salon's
time zone). Services return data; this module renders it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bots import texts
from bots.repository import BookingRow
from bots.slots import Interval
from core.text import csv_cell


def day_label(day: date) -> str:
    return f"{texts.WEEKDAY_SHORT[day.weekday()]} {day:%d.%m}"


def day_long(day: date) -> str:
    return f"{texts.WEEKDAY_SHORT[day.weekday()].lower()}, {day.day} {texts.MONTHS[day.month - 1]}"


def when(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{day_long(local.date())}, {local:%H:%M}"


def hhmm(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M")


def day_id(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def day_from_id(value: int) -> date:
    return date(value // 10000, value // 100 % 100, value % 100)


def booking_card(b: BookingRow, tz: ZoneInfo) -> str:
    return texts.MY_CARD.format(
        service=b.service_name,
        staff=b.staff_name,
        when=when(b.starts_at, tz),
        price=b.price,
        status=texts.STATUS.get(b.status, b.status),
    )


def owner_notice(template: str, b: BookingRow, tz: ZoneInfo, **extra) -> str:
    return template.format(
        service=b.service_name,
        staff=b.staff_name,
        when=when(b.starts_at, tz),
        name=b.customer_name,
        phone=b.customer_phone,
        **extra,
    )


def cutoff_text(minutes: int) -> str:
    hours = minutes / 60
    return texts.MY_CUTOFF.format(hours=int(hours) if hours == int(hours) else round(hours, 1))


def week_lines(week: dict[int, list[Interval]]) -> list[str]:
    lines = []
    for d, name in enumerate(texts.WEEKDAYS):
        intervals = week.get(d) or []
        lines.append(f"{name} " + (", ".join(fmt_interval(i) for i in intervals) or texts.DAY_OFF))
    return lines


def fmt_interval(i: Interval) -> str:
    return f"{i.starts:%H:%M}-{i.ends:%H:%M}"


def bookings_csv(rows: Iterable[BookingRow], tz: ZoneInfo) -> bytes:
    """The owner's export: one line per booking, `;`-separated, UTF-8 with a BOM (Excel opens
    it as UTF-8); cells that a spreadsheet would run as a formula are neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(texts.CSV_HEADER)
    for r in rows:
        local = r.starts_at.astimezone(tz)
        writer.writerow(
            csv_cell(value)
            for value in [
                r.id,
                local.strftime("%d.%m.%Y"),
                local.strftime("%H:%M"),
                r.service_name,
                r.staff_name,
                r.customer_name,
                r.customer_phone,
                r.price,
                texts.OWNER_STATUS.get(r.status, r.status),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def duration(minutes: int) -> str:
    """«5 ч», «1 ч 30 мин», «45 мин»."""
    hours, rest = divmod(minutes, 60)
    if not rest:
        return texts.HOURS_SHORT.format(hours=hours)
    if not hours:
        return texts.MINUTES_SHORT.format(minutes=rest)
    return texts.HOURS_MINUTES_SHORT.format(hours=hours, minutes=rest)


def staff_day_lines(staff_days) -> str:
    """Each specialist's hours and free time on one day (the calendar's day view)."""
    lines = [texts.CAL_STAFF_TITLE] if staff_days else []
    for s in staff_days:
        if not s.hours:
            lines.append(texts.CAL_STAFF_OFF.format(name=s.name))
            continue
        hours = ", ".join(fmt_interval(i) for i in s.hours)
        free = ", ".join(fmt_interval(i) for i in s.free)
        blocked = ", ".join(fmt_interval(i) for i in s.blocked)
        blocked = texts.CAL_BLOCKED.format(ranges=blocked) if blocked else ""
        template = texts.CAL_STAFF_FREE if s.free else texts.CAL_STAFF_FULL
        lines.append(template.format(name=s.name, hours=hours, blocked=blocked, free=free))
    return "".join(lines)


def week_text(first: date, plan) -> str:
    """The calendar's week view: per day, each specialist's bookings and free time."""
    last = max(plan)
    parts = [texts.WEEK_TITLE.format(first=day_label(first), last=day_label(last))]
    for day, staff_days in plan.items():
        parts.append(texts.WEEK_DAY.format(day=day_label(day)))
        for s in staff_days:
            if not s.hours and not s.bookings:
                parts.append(texts.WEEK_STAFF_OFF.format(name=s.name))
            else:
                parts.append(
                    texts.WEEK_STAFF.format(
                        name=s.name, count=len(s.bookings), free=duration(s.free_minutes)
                    )
                )
    return fit("".join(parts))


MESSAGE_LIMIT = 4096  # Telegram refuses a longer text


def fit(text: str) -> str:
    """`text`, cut at a line with a note when Telegram would refuse it as too long."""
    if len(text) <= MESSAGE_LIMIT:
        return text
    room = MESSAGE_LIMIT - len(texts.CUT_SHORT)
    return text[:room].rsplit("\n", 1)[0] + texts.CUT_SHORT
