"""Dates and times people read, in one named zone: the platform's (Moscow) in the Sales and
Master bots, a salon's own in its bot. The database and Redis keep UTC; only what is shown
is converted, here."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

PLATFORM_ZONE = ZoneInfo("Europe/Moscow")
# How Russian speakers name the zones of Russia ("МСК+2"); other zones go by their UTC offset.
_MSK_NAMES = {
    "Europe/Kaliningrad": "МСК−1", "Europe/Moscow": "МСК", "Europe/Samara": "МСК+1",
    "Asia/Yekaterinburg": "МСК+2", "Asia/Omsk": "МСК+3", "Asia/Novosibirsk": "МСК+4",
    "Asia/Krasnoyarsk": "МСК+4", "Asia/Irkutsk": "МСК+5", "Asia/Yakutsk": "МСК+6",
    "Asia/Vladivostok": "МСК+7", "Asia/Magadan": "МСК+8", "Asia/Kamchatka": "МСК+9",
}  # fmt: skip


def zone_name(tz: ZoneInfo = PLATFORM_ZONE) -> str:
    """«МСК», «МСК+2», or «UTC+1» for a zone outside Russia's."""
    if tz.key in _MSK_NAMES:
        return _MSK_NAMES[tz.key]
    offset = datetime.now(tz).utcoffset()
    hours, rest = divmod(int(offset.total_seconds()) // 60, 60)
    return f"UTC{hours:+d}" + (f":{rest:02d}" if rest else "")


def date_text(moment: datetime | None, tz: ZoneInfo = PLATFORM_ZONE) -> str:
    """«01.01.2027» in `tz` (a date alone names no zone), «—» for none."""
    return moment.astimezone(tz).strftime("%d.%m.%Y") if moment else "—"


def time_text(moment: datetime | None, tz: ZoneInfo = PLATFORM_ZONE) -> str:
    """«02.12 07:31 МСК»: a time of day is named with its zone; «—» for none."""
    if moment is None:
        return "—"
    return f"{moment.astimezone(tz):%d.%m %H:%M} {zone_name(tz)}"
