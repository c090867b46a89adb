"""What time it is, injectable: real time in production, a controlled time in tests.

`SystemClock` is the default. `FileClock` reads "now" from a file on every call, so an e2e
test can move the time of a running worker process: the file holds an ISO-8601 instant
(a fixed now) or `+<seconds>` / `-<seconds>` (real time shifted). It is only used when the
`BOOKING_CLOCK_FILE` setting is set, which production never does.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self._now = now.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = now.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._now += delta


def parse_clock_value(text: str, real: datetime) -> datetime:
    text = text.strip()
    if not text:
        return real
    if text[0] in "+-":
        return real + timedelta(seconds=float(text))
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError("the clock file needs a time zone, e.g. 2030-03-04T09:00:00+00:00")
    return value.astimezone(UTC)


class FileClock:
    """Now = what the file says (see the module doc); real time when the file is absent."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    def now(self) -> datetime:
        real = datetime.now(UTC)
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return real
        return parse_clock_value(text, real)


def write_clock_file(path: str | os.PathLike, now: datetime) -> None:
    """For tests: set the time of every process reading `path` (atomic replace)."""
    target = Path(path)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(now.astimezone(UTC).isoformat())
    tmp.replace(target)
