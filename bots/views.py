"""Formatting of dates, times and bookings for messages (Russian, in the salon's time zone)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bots import texts
from bots.repository import BookingRow

WEEKDAY_SHORT = ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"]
MONTHS = [
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
]  # fmt: skip


def day_label(day: date) -> str:
    return f"{WEEKDAY_SHORT[day.weekday()]} {day:%d.%m}"


def day_long(day: date) -> str:
    return f"{WEEKDAY_SHORT[day.weekday()].lower()}, {day.day} {MONTHS[day.month - 1]}"


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
