"""Periodic work in one shape for every service: a tenant bot's reminders, Sales' passes, the
Master's alerts, a slot's heartbeat.

`loop(name, interval, func)` awaits `func()` over and over:

- the pause is counted from the end of one round to the start of the next, so a slow round never
  overlaps the next; `jitter` (a share, e.g. 0.1) moves each pause by up to ± that much, so that
  many processes started together do not hit PostgreSQL in step; `immediately=False` pauses
  before the first round;
- a round that raises is logged through the caller's logger (so `core.logs` redacts it, and a
  slot's lines keep their slot id): with its traceback the first time (and when the error
  changes), then one line with the exception's type while the failures go on; each failure in a
  row doubles the pause, up to `max_backoff` (a pause is never shorter than `interval`); the first
  round that works again logs so and brings the pause back to `interval`;
- cancellation is the only way out: `CancelledError` is never caught, whether it arrives during
  the pause or inside a round. `start()` runs a loop as a named task, `stop()` cancels tasks and
  waits for them, so none is left pending ("Task was destroyed but it is pending").

`sleep` and `rand` are there for tests (a fake clock, no real waiting).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import NoReturn

from loguru import logger

# The longest pause after failures in a row, for a loop whose interval is shorter (a loop with a
# longer interval keeps its interval): a short loop does not hammer a service that is down, and
# still notices within a minute that it is back.
DEFAULT_MAX_BACKOFF = 60.0


def backoff(interval: float, failures: int, max_backoff: float = DEFAULT_MAX_BACKOFF) -> float:
    """The pause after `failures` failed rounds in a row (0: the last round worked)."""
    if failures <= 0:
        return interval
    cap = max(interval, max_backoff)
    # 2**failures grows without bound; stop doubling once past the cap
    return min(interval * 2.0 ** min(failures, 64), cap)


def jittered(pause: float, jitter: float, rand: Callable[[], float] = random.random) -> float:
    """`pause` moved by up to ± `jitter` of itself (`rand()` in [0, 1))."""
    if not jitter:
        return pause
    return pause * (1.0 + jitter * (2.0 * rand() - 1.0))


async def loop(
    name: str,
    interval: float,
    func: Callable[[], Awaitable[object]],
    *,
    log=logger,
    jitter: float = 0.0,
    max_backoff: float = DEFAULT_MAX_BACKOFF,
    immediately: bool = True,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    rand: Callable[[], float] = random.random,
) -> NoReturn:
    """Await `func()` every `interval` seconds until cancelled (see the module's docstring)."""
    if interval <= 0:
        raise ValueError(f"{name}: the interval must be positive, not {interval!r}")
    if not 0 <= jitter < 1:
        raise ValueError(f"{name}: jitter is a share in [0, 1), not {jitter!r}")
    failures = 0
    last_error: type[BaseException] | None = None
    if not immediately:
        await sleep(jittered(interval, jitter, rand))
    while True:
        try:
            await func()
        except Exception as exc:  # CancelledError is a BaseException: it is never caught here
            failures += 1
            pause = backoff(interval, failures, max_backoff)
            what = type(exc).__name__
            if type(exc) is not last_error:
                log.opt(exception=exc).error(
                    "{}: round failed ({}); next in {:g} s", name, what, pause
                )
            else:
                log.error(
                    "{}: failed again ({}, {} in a row); next in {:g} s",
                    name,
                    what,
                    failures,
                    pause,
                )
            last_error = type(exc)
        else:
            if failures:
                log.info("{}: works again after {} failed rounds", name, failures)
            failures, last_error, pause = 0, None, interval
        await sleep(jittered(pause, jitter, rand))


def start(
    name: str, interval: float, func: Callable[[], Awaitable[object]], **options
) -> asyncio.Task:
    """`loop(...)` as a task named `name`; end it with `stop()`."""
    return asyncio.create_task(loop(name, interval, func, **options), name=name)


async def stop(*tasks: asyncio.Task | None) -> None:
    """Cancel the tasks and wait until they have ended (their errors are not raised again: a
    loop logs its own). If the caller itself is cancelled meanwhile, that propagates."""
    live = [task for task in tasks if task is not None]
    for task in live:
        task.cancel()
    if live:
        await asyncio.gather(*live, return_exceptions=True)
