"""Parsing and validation of what people type. Pure; errors carry a Russian explanation from
`bots.texts`. The Russian words below are what people may type (input vocabulary), not texts."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bots import texts
from bots.slots import Interval
from core.text import clean_text

_WEEKDAY_ALIASES = {
    "пн": 0, "понедельник": 0,
    "вт": 1, "вторник": 1,
    "ср": 2, "среда": 2,
    "чт": 3, "четверг": 3,
    "пт": 4, "пятница": 4,
    "сб": 5, "суббота": 5,
    "вс": 6, "воскресенье": 6,
}  # fmt: skip
DAY_OFF_WORDS = ("выходной", "-", "нет")  # «сб выходной»
NO_REMINDERS_WORDS = ("нет", "0", "-")
ROUBLE_SIGNS = ("₽", "р")  # «1500р»
_LETTER = re.compile(r"[A-Za-zА-Яа-яЁё]")
# Time zones as people name them: a city (lower case, «ё» as «е») or Moscow time ± hours.
_ZONE_CITIES = {
    "москва": "Europe/Moscow", "мск": "Europe/Moscow", "санкт-петербург": "Europe/Moscow",
    "петербург": "Europe/Moscow", "спб": "Europe/Moscow", "питер": "Europe/Moscow",
    "казань": "Europe/Moscow", "нижний новгород": "Europe/Moscow", "краснодар": "Europe/Moscow",
    "сочи": "Europe/Moscow", "ростов-на-дону": "Europe/Moscow", "воронеж": "Europe/Moscow",
    "калининград": "Europe/Kaliningrad", "самара": "Europe/Samara", "ижевск": "Europe/Samara",
    "волгоград": "Europe/Volgograd", "саратов": "Europe/Saratov", "астрахань": "Europe/Astrakhan",
    "ульяновск": "Europe/Ulyanovsk", "екатеринбург": "Asia/Yekaterinburg",
    "челябинск": "Asia/Yekaterinburg", "уфа": "Asia/Yekaterinburg", "пермь": "Asia/Yekaterinburg",
    "тюмень": "Asia/Yekaterinburg", "омск": "Asia/Omsk", "новосибирск": "Asia/Novosibirsk",
    "барнаул": "Asia/Barnaul", "томск": "Asia/Tomsk", "кемерово": "Asia/Novokuznetsk",
    "новокузнецк": "Asia/Novokuznetsk", "красноярск": "Asia/Krasnoyarsk",
    "иркутск": "Asia/Irkutsk", "улан-удэ": "Asia/Irkutsk", "чита": "Asia/Chita",
    "якутск": "Asia/Yakutsk", "владивосток": "Asia/Vladivostok", "хабаровск": "Asia/Vladivostok",
    "магадан": "Asia/Magadan", "южно-сахалинск": "Asia/Sakhalin",
    "петропавловск-камчатский": "Asia/Kamchatka", "камчатка": "Asia/Kamchatka",
    "минск": "Europe/Minsk", "алматы": "Asia/Almaty", "астана": "Asia/Almaty",
    "ташкент": "Asia/Tashkent", "бишкек": "Asia/Bishkek", "ереван": "Asia/Yerevan",
    "тбилиси": "Asia/Tbilisi", "баку": "Asia/Baku",
}  # fmt: skip
_MSK_OFFSETS = {
    -1: "Europe/Kaliningrad", 0: "Europe/Moscow", 1: "Europe/Samara", 2: "Asia/Yekaterinburg",
    3: "Asia/Omsk", 4: "Asia/Krasnoyarsk", 5: "Asia/Irkutsk", 6: "Asia/Yakutsk",
    7: "Asia/Vladivostok", 8: "Asia/Magadan", 9: "Asia/Kamchatka",
}  # fmt: skip
_MSK = re.compile(r"(?:мск|msk)\s*(?:([+-−])\s*(\d{1,2}))?")
_YO = str.maketrans("ё", "е")  # «Пётр» and «Петр» are one word
_HOURS_WORDS = re.compile(r"^\s*с\s+|\s+до\s+")  # «с 9 до 18»


class InputError(ValueError):
    """Bad input; `str(error)` is a message for the user, in Russian."""


def normalize_phone(text: str) -> str:
    """A Russian (or international) phone number in E.164 form: +79991234567."""
    raw = (text or "").strip()
    if not raw or not re.fullmatch(r"[+\d\s()\-.]{5,25}", raw):
        raise InputError(texts.PHONE_NOT_DIGITS)
    digits = re.sub(r"\D", "", raw)
    if raw.startswith("+"):
        if digits.startswith("7") and len(digits) != 11:
            raise InputError(texts.PHONE_RU_LENGTH)
        if 11 <= len(digits) <= 15 and digits[0] != "0":
            return "+" + digits
    elif len(digits) == 11 and digits[0] in "78":
        return "+7" + digits[1:]
    elif len(digits) == 10 and digits[0] == "9":
        return "+7" + digits
    raise InputError(texts.PHONE_INVALID)


def clean_name(text: str) -> str:
    name = clean_text(text)
    if not (2 <= len(name) <= 60) or not _LETTER.search(name):
        raise InputError(texts.NAME_INVALID)
    if name.startswith("/"):
        raise InputError(texts.NAME_IS_COMMAND)
    return name


def parse_time(text: str) -> time:
    """«9», «09:30», «9.30», «24» (the end of the day)."""
    match = re.fullmatch(r"\s*(\d{1,2})(?:[:.](\d{2}))?\s*", text or "")
    if not match:
        raise InputError(texts.TIME_UNCLEAR.format(text=text.strip()))
    hour, minute = int(match[1]), int(match[2] or 0)
    if hour == 24 and minute == 0:
        return time(23, 59)
    if hour > 23 or minute > 59:
        raise InputError(texts.TIME_IMPOSSIBLE.format(text=text.strip()))
    return time(hour, minute)


def parse_intervals(text: str) -> list[Interval]:
    """«10:00-14:00, 15:00-20:00», «9-18», «9:30–18», «с 9 до 18» → intervals; sorted, not
    overlapping."""
    intervals = []
    for part in re.split(r"[,;]", text or ""):
        part = _HOURS_WORDS.sub("-", part).strip("- ")
        if not part:
            continue
        pieces = re.split(r"\s*[-–—]\s*", part)
        if len(pieces) != 2:
            raise InputError(texts.INTERVAL_UNCLEAR.format(text=part))
        starts, ends = parse_time(pieces[0]), parse_time(pieces[1])
        if ends <= starts:
            raise InputError(texts.INTERVAL_BACKWARDS.format(text=part))
        intervals.append(Interval(starts, ends))
    if not intervals:
        raise InputError(texts.INTERVALS_MISSING)
    intervals.sort(key=lambda i: i.starts)
    for a, b in itertools.pairwise(intervals):
        if b.starts < a.ends:
            raise InputError(texts.INTERVALS_OVERLAP)
    return intervals


def parse_week(text: str) -> dict[int, list[Interval]]:
    """Lines «пн 10:00-14:00, 15:00-20:00» / «сб выходной»; days not named are days off."""
    week: dict[int, list[Interval]] = {}
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        raise InputError(texts.WEEK_MISSING)
    for line in lines:
        head, _, rest = line.partition(" ")
        days = _parse_days(head.strip().lower().rstrip(":"))
        rest = rest.strip()
        value = [] if rest.lower() in DAY_OFF_WORDS else parse_intervals(rest)
        for day in days:
            week[day] = value
    return {d: v for d, v in week.items() if v}


def _parse_days(word: str) -> list[int]:
    if "-" in word:
        first, _, last = word.partition("-")
        a, b = _parse_days(first), _parse_days(last)
        if len(a) == 1 and len(b) == 1 and a[0] <= b[0]:
            return list(range(a[0], b[0] + 1))
    elif word in _WEEKDAY_ALIASES:
        return [_WEEKDAY_ALIASES[word]]
    raise InputError(texts.WEEKDAY_UNCLEAR.format(text=word))


def parse_date(text: str, today: date) -> date:
    """«25.12», «25.12.2030», «2030-12-25»; a day without a year is the next such date."""
    text = (text or "").strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        match = re.fullmatch(r"(\d{1,2})\.(\d{1,2})(?:\.(\d{2}|\d{4}))?", text)
        if match:
            day, month = int(match[1]), int(match[2])
            if match[3]:
                year = int(match[3]) + (2000 if len(match[3]) == 2 else 0)
                return date(year, month, day)
            found = date(today.year, month, day)
            return found if found >= today else date(today.year + 1, month, day)
    except ValueError:
        raise InputError(texts.DATE_IMPOSSIBLE.format(text=text)) from None
    raise InputError(texts.DATE_UNCLEAR.format(text=text))


MAX_RANGE_DAYS = 366


def parse_range(text: str, today: date) -> tuple[date, date]:
    """«01.12-31.12», «1.12.2026 – 15.01.2027», «2026-12-01 - 2026-12-31», or one day. A day
    without a year is the one nearest to today (a report looks back as well as ahead); an end
    before its start is in the next year."""
    pieces = re.split(r"\s+[-–—]\s+|\s*[–—]\s*|(?<=\d)-(?=\d{1,2}\.)", text or "")
    parts = [p.strip() for p in pieces if p.strip()]
    if not 1 <= len(parts) <= 2:
        raise InputError(texts.RANGE_UNCLEAR.format(text=(text or "").strip()))
    first = _nearest(parts[0], today)
    last = _nearest(parts[-1], today)
    if last < first and re.fullmatch(r"\d{1,2}\.\d{1,2}", parts[-1]):  # no year given
        last = last.replace(year=last.year + 1)
    if last < first:
        raise InputError(texts.RANGE_BACKWARDS)
    if (last - first).days >= MAX_RANGE_DAYS:
        raise InputError(texts.RANGE_TOO_LONG.format(days=MAX_RANGE_DAYS))
    return first, last


def _nearest(text: str, today: date) -> date:
    """`parse_date`, but a day without a year is the nearest such date, past or future."""
    if re.fullmatch(r"\d{1,2}\.\d{1,2}", text):
        ahead = parse_date(text, today)
        try:
            behind = ahead.replace(year=ahead.year - 1)
        except ValueError:  # 29.02
            return ahead
        return ahead if (ahead - today) <= (today - behind) else behind
    return parse_date(text, today)


@dataclass(frozen=True)
class ServiceInput:
    name: str
    duration_min: int
    price: int


def parse_service(text: str) -> ServiceInput:
    """«Стрижка; 60; 1500» — name, minutes, roubles."""
    parts = [p.strip() for p in re.split(r"[;\n]", text or "") if p.strip()]
    if len(parts) != 3:
        raise InputError(texts.SERVICE_FORMAT)
    name = clean_text(parts[0])
    if not 1 <= len(name) <= 100:
        raise InputError(texts.SERVICE_NAME_LENGTH)
    duration = parse_int(parts[1], texts.DURATION_LABEL, 5, 720)
    price_text = parts[2].replace(" ", "")
    for sign in ROUBLE_SIGNS:
        price_text = price_text.removesuffix(sign)
    price = parse_int(price_text, texts.PRICE_LABEL, 0, 10_000_000)
    return ServiceInput(name, duration, price)


def parse_int(text: str, what: str, low: int, high: int) -> int:
    text = (text or "").strip()
    if not re.fullmatch(r"\d{1,9}", text):
        raise InputError(texts.NUMBER_NOT_INTEGER.format(what=what, low=low, high=high))
    value = int(text)
    if not low <= value <= high:
        raise InputError(texts.NUMBER_OUT_OF_RANGE.format(what=what, low=low, high=high))
    return value


def parse_timezone(text: str) -> str:
    """An IANA name («Europe/Moscow»), a city («Москва», «Екатеринбург») or Moscow time ± hours
    («МСК», «МСК+2») → the IANA name."""
    name = (text or "").strip()
    spoken = " ".join(name.lower().translate(_YO).split())
    if spoken in _ZONE_CITIES:
        return _ZONE_CITIES[spoken]
    msk = _MSK.fullmatch(spoken)
    if msk:
        shift = int(msk[2] or 0) * (-1 if msk[1] in ("-", "−") else 1)
        if shift in _MSK_OFFSETS:
            return _MSK_OFFSETS[shift]
        raise InputError(texts.TIMEZONE_UNKNOWN.format(text=name))
    try:
        if not re.fullmatch(r"[A-Za-z_]+(/[A-Za-z_\-+0-9]+){0,2}", name):
            raise ZoneInfoNotFoundError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(texts.TIMEZONE_UNKNOWN.format(text=name)) from None
    return name


def parse_minutes_list(text: str) -> list[int]:
    """Reminder offsets in hours: «24, 2» → [1440, 120]; «нет» → []."""
    text = (text or "").strip().lower()
    if text in NO_REMINDERS_WORDS:
        return []
    values = []
    for part in re.split(r"[,;\s]+", text):
        if not part:
            continue
        hours = parse_int(part, texts.REMINDER_HOURS_LABEL, 1, 168)
        values.append(hours * 60)
    if not values or len(values) > 3:
        raise InputError(texts.REMINDER_HOURS_COUNT)
    return sorted(set(values), reverse=True)


def format_local(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M")
