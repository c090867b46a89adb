"""Pure booking logic: free slots, phone and schedule parsing, callback data size."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bots.callbacks import (
    MenuAction,
    MenuCallback,
    MyAction,
    MyCallback,
)
from bots.clock import FileClock, parse_clock_value, write_clock_file
from bots.parsing import (
    InputError,
    clean_name,
    normalize_phone,
    parse_date,
    parse_intervals,
    parse_minutes_list,
    parse_service,
    parse_timezone,
    parse_week,
)
from bots.services import new_request_key
from bots.slots import Interval, Rules, StaffDay, days_with_slots, free_slots, free_slots_any

MSK = ZoneInfo("Europe/Moscow")
DAY = date(2030, 3, 4)  # a Monday
NOW = datetime(2030, 3, 4, 5, 0, tzinfo=UTC)  # 08:00 in Moscow


def rules(tz=MSK, duration=60, step=30, buffer=0, notice=0, horizon=14) -> Rules:
    return Rules(
        tz=tz,
        duration=timedelta(minutes=duration),
        step=timedelta(minutes=step),
        buffer=timedelta(minutes=buffer),
        min_notice=timedelta(minutes=notice),
        horizon_days=horizon,
    )


def local(hhmm: str, day: date = DAY, tz=MSK) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime.combine(day, time(h, m), tz).astimezone(UTC)


def hhmm(slots, tz=MSK) -> list[str]:
    return [s.astimezone(tz).strftime("%H:%M") for s in slots]


def staff(*intervals: tuple[str, str], busy=(), weekday=0, exceptions=None) -> StaffDay:
    return StaffDay(
        1,
        weekly={
            weekday: [Interval(time.fromisoformat(a), time.fromisoformat(b)) for a, b in intervals]
        },
        exceptions=exceptions or {},
        busy=list(busy),
    )


def test_a_break_splits_the_day_and_the_service_must_fit_each_interval():
    s = staff(("10:00", "12:00"), ("13:00", "14:30"))
    assert hhmm(free_slots(s, DAY, NOW, rules())) == [
        "10:00", "10:30", "11:00", "13:00", "13:30",
    ]  # fmt: skip


def test_existing_booking_blocks_overlaps_but_touching_is_fine():
    s = staff(("10:00", "14:00"), busy=[(local("11:00"), local("12:00"))])
    assert hhmm(free_slots(s, DAY, NOW, rules())) == ["10:00", "12:00", "12:30", "13:00"]


def test_buffer_after_a_new_appointment_and_after_existing_ones():
    # existing 11:00-12:00 with its own 15-min buffer stored as blocked until 12:15
    s = staff(("10:00", "14:00"), busy=[(local("11:00"), local("12:15"))])
    got = hhmm(free_slots(s, DAY, NOW, rules(buffer=15, step=15)))
    # 10:00 + 60 + 15 = 11:15 > 11:00 → only up to 09:45…; 12:15 is the first after
    assert got == ["12:15", "12:30", "12:45", "13:00"]
    assert "10:00" not in got and "9:45" not in got
    # without the buffer 10:00 fits (ends 11:00, touching)
    assert "10:00" in hhmm(free_slots(s, DAY, NOW, rules(step=15)))
    # the buffer may run past closing time: 13:00-14:00 + 15 min is fine
    assert "13:00" in got


def test_minimum_notice_and_horizon():
    s = staff(("08:00", "12:00"))
    now = local("09:10")
    assert hhmm(free_slots(s, DAY, now, rules(notice=60))) == ["10:30", "11:00"]
    monday_later = DAY + timedelta(days=14)
    week = StaffDay(1, weekly={0: [Interval(time(10), time(12))]})
    assert free_slots(week, DAY + timedelta(days=7), now, rules(horizon=14))
    assert free_slots(week, monday_later, now, rules(horizon=14)) == []
    assert free_slots(week, DAY - timedelta(days=7), now, rules()) == []


def test_exceptions_replace_the_weekly_hours():
    off = staff(("10:00", "12:00"), exceptions={DAY: []})
    assert free_slots(off, DAY, NOW, rules()) == []
    special = staff(("10:00", "12:00"), exceptions={DAY: [Interval(time(15), time(16, 30))]})
    assert hhmm(free_slots(special, DAY, NOW, rules())) == ["15:00", "15:30"]
    # an exception on a day without weekly hours opens it
    sunday = DAY + timedelta(days=6)
    extra = staff(("10:00", "12:00"), exceptions={sunday: [Interval(time(10), time(11))]})
    assert hhmm(free_slots(extra, sunday, NOW, rules())) == ["10:00"]


@pytest.mark.parametrize(
    "zone, utc_hour",
    [("Europe/Moscow", 7), ("Asia/Vladivostok", 0), ("Europe/Kaliningrad", 8), ("UTC", 10)],
)
def test_local_hours_in_several_time_zones(zone, utc_hour):
    tz = ZoneInfo(zone)
    s = staff(("10:00", "11:00"))
    now = datetime(2030, 3, 3, 0, 0, tzinfo=UTC)
    slots = free_slots(s, DAY, now, rules(tz=tz))
    assert len(slots) == 1
    assert slots[0].astimezone(tz).strftime("%H:%M") == "10:00"
    assert slots[0].tzinfo is not None and slots[0].astimezone(UTC).hour == utc_hour


def test_dst_day_keeps_wall_clock_hours():
    tz = ZoneInfo("Europe/Berlin")
    day = date(2030, 3, 31)  # clocks go forward at 02:00
    s = StaffDay(1, weekly={day.weekday(): [Interval(time(1), time(4))]})
    slots = free_slots(s, day, datetime(2030, 3, 30, tzinfo=UTC), rules(tz=tz, step=60))
    # 01:00 CET and 03:00 CEST are one hour apart in real time
    assert [x.astimezone(tz).strftime("%H:%M") for x in slots] == ["01:00", "03:00"]


def test_any_specialist_merges_and_remembers_who_is_free():
    a = staff(("10:00", "12:00"), busy=[(local("10:00"), local("11:00"))])
    b = StaffDay(2, weekly={0: [Interval(time(10), time(11))]})
    merged = free_slots_any([a, b], DAY, NOW, rules())
    assert {k.astimezone(MSK).strftime("%H:%M"): v for k, v in merged.items()} == {
        "10:00": [2],
        "11:00": [1],
    }


def test_days_with_slots_are_the_horizons_days_on_which_anyone_is_free():
    # Mondays only; the first Monday (today) is full for one specialist, free for the other
    full = staff(("10:00", "12:00"), busy=[(local("10:00"), local("12:00"))])
    other = StaffDay(2, weekly={0: [Interval(time(10), time(11))]})
    second_monday = DAY + timedelta(days=7)
    assert days_with_slots([full, other], NOW, rules(horizon=14)) == [DAY, second_monday]
    assert days_with_slots([full], NOW, rules(horizon=14)) == [second_monday]
    assert days_with_slots([full], NOW, rules(horizon=7)) == []


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("+7 999 123-45-67", "+79991234567"),
        ("89991234567", "+79991234567"),
        ("8 (999) 123 45 67", "+79991234567"),
        ("9991234567", "+79991234567"),
        ("79991234567", "+79991234567"),
        ("+375 29 123 45 67", "+375291234567"),
    ],
)
def test_phone_numbers_are_normalized(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "привет", "12345", "+7 999 123", "+7999123456789", "1234567890123"]
)
def test_bad_phone_numbers_are_rejected_in_russian(raw):
    with pytest.raises(InputError) as error:
        normalize_phone(raw)
    assert "номер" in str(error.value).lower()


def test_names_weeks_services_dates_timezones():
    assert clean_name("  Анна   Петрова ") == "Анна Петрова"
    for bad in ("", "1", "12345", "/start"):
        with pytest.raises(InputError):
            clean_name(bad)
    week = parse_week("пн-пт 10:00-14:00, 15:00-20:00\nсб 11:00-16:00\nвс выходной")
    assert sorted(week) == [0, 1, 2, 3, 4, 5]
    assert week[0] == [Interval(time(10), time(14)), Interval(time(15), time(20))]
    for bad in (
        "xx 10:00-12:00",
        "пн 12:00-10:00",
        "пн 10:00-13:00, 12:00-14:00",
        "пн 25:00-26:00",
    ):
        with pytest.raises(InputError):
            parse_week(bad)
    assert parse_service("Стрижка; 60; 1 500") == parse_service("Стрижка;60;1500")
    with pytest.raises(InputError):
        parse_service("Стрижка 60 1500")
    with pytest.raises(InputError):
        parse_service("Стрижка; 0; 100")
    assert parse_date("25.12", date(2030, 3, 4)) == date(2030, 12, 25)
    assert parse_date("01.01", date(2030, 3, 4)) == date(2031, 1, 1)
    with pytest.raises(InputError):
        parse_date("31.02.2030", date(2030, 3, 4))
    assert parse_timezone("Asia/Yekaterinburg") == "Asia/Yekaterinburg"
    with pytest.raises(InputError):
        parse_timezone("Mars/Olympus")
    assert parse_minutes_list("24, 2") == [1440, 120]
    assert parse_minutes_list("нет") == []


def test_callback_data_fits_64_bytes_and_has_no_separator_in_values():
    biggest = [
        MenuCallback(action=MenuAction.HOME),
        MyCallback(action=MyAction.CONFIRM_VISIT, id=2**31 - 1),
    ]
    for data in biggest:
        packed = data.pack()
        assert len(packed.encode()) <= 64, packed
        assert type(data).unpack(packed) == data
    assert ":" not in new_request_key()


def test_dialog_buttons_fit_64_bytes():
    from aiogram_dialog.api.entities.stack import new_id
    from aiogram_dialog.utils import intent_callback_data

    from bots.dialogs.common import time_id

    # the longest: a booking or service id in a list, a start time in the time picker
    for widget, item in [("booking", 2**31 - 1), ("time", time_id(datetime(2099, 1, 1)))]:
        packed = intent_callback_data(new_id(), f"{widget}:{item}")
        assert len(packed.encode()) <= 64, packed


def test_clock_file(tmp_path):
    path = tmp_path / "clock"
    clock = FileClock(path)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
    write_clock_file(path, datetime(2030, 3, 4, 5, 0, tzinfo=UTC))
    assert clock.now() == datetime(2030, 3, 4, 5, 0, tzinfo=UTC)
    real = datetime(2030, 1, 1, tzinfo=UTC)
    assert parse_clock_value("+3600", real) == real + timedelta(hours=1)
    with pytest.raises(ValueError):
        parse_clock_value("2030-01-01T00:00:00", real)


def test_day_and_time_pickers_stay_within_telegrams_100_buttons():
    from bots.dialogs.booking import day_choices, time_choices
    from bots.dialogs.common import time_at

    nav = 2  # «Назад» and «Главное меню»
    many_days = [DAY + timedelta(days=i) for i in range(120)]
    days = day_choices(many_days)
    assert len(days) + nav <= 100 and days[0] == ("Пн 04.03", 20300304)
    many_times = [NOW + timedelta(minutes=5 * i) for i in range(200)]
    times = time_choices(many_times, MSK)
    assert len(times) + nav <= 100 and times[0][0] == "08:00"
    assert [time_at(value) for _, value in times] == many_times[: len(times)]  # the codec


async def test_only_the_owner_passes_the_admin_filter():
    from types import SimpleNamespace

    from bots.context import TenantContext
    from bots.dialogs.admin.common import IsOwner
    from bots.dialogs.admin.settings import parse_setting

    tenant = TenantContext("client_001", "Салон", 42)
    owner = SimpleNamespace(from_user=SimpleNamespace(id=42))
    stranger = SimpleNamespace(from_user=SimpleNamespace(id=43))
    assert await IsOwner()(owner, tenant) is True
    assert await IsOwner()(stranger, tenant) is False
    assert await IsOwner()(SimpleNamespace(), tenant) is False
    assert parse_setting("slot_step_min", "15") == 15
    assert parse_setting("address", "-") == ""
    assert parse_setting("reminders_min", "24, 3") == [1440, 180]
    for key, bad in [("slot_step_min", "5"), ("horizon_days", "0"), ("company_name", "-" * 101)]:
        with pytest.raises(InputError):
            parse_setting(key, bad)


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Москва", "Europe/Moscow"),
        ("  санкт-петербург ", "Europe/Moscow"),
        ("Екатеринбург", "Asia/Yekaterinburg"),
        ("МСК", "Europe/Moscow"),
        ("МСК+2", "Asia/Yekaterinburg"),
        ("мск -1", "Europe/Kaliningrad"),
        ("MSK+7", "Asia/Vladivostok"),
        ("Europe/Berlin", "Europe/Berlin"),
    ],
)
def test_a_time_zone_is_understood_as_people_name_it(typed, zone):
    assert parse_timezone(typed) == zone


@pytest.mark.parametrize("typed", ["МСК+12", "Мордор", "Europe/Nowhere", ""])
def test_an_unknown_time_zone_says_how_to_write_one(typed):
    with pytest.raises(InputError, match="Москва"):
        parse_timezone(typed)


@pytest.mark.parametrize(
    ("typed", "hours"),
    [
        ("9-18", [("09:00", "18:00")]),
        ("9:30–18", [("09:30", "18:00")]),
        ("с 9 до 18", [("09:00", "18:00")]),
        ("с 9:30 до 13, с 14 до 19", [("09:30", "13:00"), ("14:00", "19:00")]),
        ("10:00-14:00, 15-20", [("10:00", "14:00"), ("15:00", "20:00")]),
        ("9.30 - 24", [("09:30", "23:59")]),
    ],
)
def test_working_hours_are_understood_in_short_forms(typed, hours):
    got = [(i.starts.strftime("%H:%M"), i.ends.strftime("%H:%M")) for i in parse_intervals(typed)]
    assert got == hours


@pytest.mark.parametrize("typed", ["9", "девять-18", "18-9", "25-26", "9-18-20"])
def test_unclear_working_hours_are_refused(typed):
    with pytest.raises(InputError):
        parse_intervals(typed)


def test_a_booking_fits_in_working_hours_in_local_time():
    from datetime import time as t

    from bots.slots import fits_in

    tz = ZoneInfo("Europe/Moscow")
    at = datetime(2030, 3, 5, 7, 0, tzinfo=UTC)  # 10:00 in Moscow
    hour = timedelta(hours=1)
    day = [Interval(t(9), t(13)), Interval(t(14), t(18))]
    assert fits_in(at, at + hour, tz, day)
    assert not fits_in(at + 3 * hour, at + 4 * hour, tz, day)  # 13:00-14:00: the break
    assert not fits_in(at, at + hour, tz, [])  # a day off
    late = datetime(2030, 3, 5, 20, 0, tzinfo=UTC)  # 23:00-00:00 local
    assert fits_in(late, late + hour, tz, [Interval(t(20), t(23, 59))])
    assert not fits_in(late, late + hour, tz, [Interval(t(20), t(23))])


def test_free_at_a_bookings_very_time_needs_hours_and_no_overlap_with_its_buffer():
    from bots.slots import free_at

    s = staff(("10:00", "13:00"), ("14:00", "18:00"), busy=[(local("15:00"), local("16:30"))])
    assert free_at(s, local("10:00"), local("11:00"), local("11:00"), MSK)
    assert not free_at(s, local("12:30"), local("13:30"), local("13:30"), MSK)  # the break
    assert not free_at(s, local("14:00"), local("15:00"), local("15:30"), MSK)  # its buffer
    assert free_at(s, local("14:00"), local("15:00"), local("15:00"), MSK)  # back to back
    assert free_at(s, local("16:30"), local("17:30"), local("17:30"), MSK)
    off = staff(("10:00", "18:00"), exceptions={DAY: []})  # a day off
    assert not free_at(off, local("10:00"), local("11:00"), local("11:00"), MSK)


def test_free_time_is_working_hours_without_the_bookings():
    from datetime import time as t

    from bots.slots import free_intervals

    hours = [Interval(t(10), t(13)), Interval(t(14), t(18))]
    busy = [Interval(t(11), t(12)), Interval(t(12, 30), t(14, 30)), Interval(t(17), t(18))]
    assert free_intervals(hours, busy) == [
        Interval(t(10), t(11)),
        Interval(t(12), t(12, 30)),
        Interval(t(14, 30), t(17)),
    ]
    assert free_intervals(hours, []) == hours
    assert free_intervals([], busy) == []


def test_a_screen_longer_than_telegram_takes_is_cut_at_a_line():
    from bots import texts
    from bots.views import MESSAGE_LIMIT, fit

    text = "\n".join(f"строка {n}" for n in range(1000))
    cut = fit(text)
    assert len(cut) <= MESSAGE_LIMIT and cut.endswith(texts.CUT_SHORT)
    assert cut.removesuffix(texts.CUT_SHORT).split("\n")[-1].startswith("строка ")
    assert fit("коротко") == "коротко"
