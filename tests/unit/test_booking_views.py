"""What the tenant bot renders from plain data: the owner's CSV export and week lines."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bots import views
from bots.repository import BookingRow
from bots.slots import Interval
from bots.status import BookingStatus

MSK = ZoneInfo("Europe/Moscow")


def booking(id: int, starts_at: datetime, status: BookingStatus, name: str) -> BookingRow:
    return BookingRow(
        id=id,
        request_key=f"k{id}",
        customer_id=100,
        customer_name=name,
        customer_phone="+79990000000",
        service_id=1,
        service_name="Стрижка",
        staff_id=2,
        staff_name="Анна",
        price=1500,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        blocked_until=starts_at + timedelta(hours=1),
        status=status,
        cancelled_by=None,
    )


def test_bookings_csv_is_excel_friendly_local_and_neutralised():
    at = datetime(2030, 3, 4, 21, 30, tzinfo=UTC)  # already 5 March, 00:30 in Moscow
    data = views.bookings_csv(
        [
            booking(7, at, BookingStatus.NO_SHOW, "=HYPERLINK(1)"),
            booking(8, at, BookingStatus.CANCELLED, "Ира"),
        ],
        MSK,
    )
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["id", "дата", "время", "услуга", "мастер", "клиент", "телефон", "цена", "статус"],
        ["7", "05.03.2030", "00:30", "Стрижка", "Анна", "'=HYPERLINK(1)", "+79990000000",
         "1500", "неявка"],
        ["8", "05.03.2030", "00:30", "Стрижка", "Анна", "Ира", "+79990000000",
         "1500", "отменена"],
    ]  # fmt: skip


def test_week_lines_name_every_day_and_days_off():
    week = {0: [Interval(time(10), time(13)), Interval(time(14), time(18))], 5: []}
    assert views.week_lines(week) == [
        "пн 10:00-13:00, 14:00-18:00",
        "вт выходной",
        "ср выходной",
        "чт выходной",
        "пт выходной",
        "сб выходной",
        "вс выходной",
    ]
