"""The periodic-task helper (`core.periodic`): pauses, backoff, logging, cancellation.

Time is a fake: the loop's `sleep` records each pause and returns at once, and parks the loop
for good after a set number of pauses, so every test sees an exact sequence and ends by
cancelling a loop that is known to be waiting."""

from __future__ import annotations

import asyncio

import pytest
from loguru import logger

from core import periodic


class FakeClock:
    """`sleep` for the loop: records pauses; after `rounds` of them it parks until cancelled."""

    def __init__(self, rounds: int) -> None:
        self.rounds = rounds
        self.pauses: list[float] = []
        self.events: list[str] = []
        self.parked = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.events.append("sleep")
        if len(self.pauses) >= self.rounds:
            self.parked.set()
            await asyncio.Event().wait()  # until cancelled
        await asyncio.sleep(0)


class Script:
    """A round that fails or works as scripted (True: works); works once the script is out."""

    def __init__(self, clock: FakeClock, outcomes: list[bool] = ()) -> None:
        self.clock = clock
        self.outcomes = list(outcomes)
        self.calls = 0

    async def __call__(self) -> None:
        self.calls += 1
        self.clock.events.append("round")
        if self.outcomes and not self.outcomes.pop(0):
            raise ConnectionError("PostgreSQL went away")


@pytest.fixture
def records():
    seen: list = []
    handler = logger.add(lambda message: seen.append(message.record), level="DEBUG")
    yield seen
    logger.remove(handler)


async def run_until_parked(clock: FakeClock, func, interval: float = 1.0, **options) -> None:
    task = periodic.start("test loop", interval, func, sleep=clock.sleep, **options)
    await asyncio.wait_for(clock.parked.wait(), timeout=5)
    await periodic.stop(task)
    assert task.cancelled()


async def test_rounds_run_every_interval_starting_at_once():
    clock = FakeClock(rounds=4)
    script = Script(clock)
    await run_until_parked(clock, script, interval=2.5)
    assert clock.pauses == [2.5, 2.5, 2.5, 2.5]
    assert clock.events == ["round", "sleep"] * 4
    assert script.calls == 4


async def test_not_immediately_pauses_before_the_first_round():
    clock = FakeClock(rounds=3)
    script = Script(clock)
    await run_until_parked(clock, script, interval=7, immediately=False)
    assert clock.events == ["sleep", "round", "sleep", "round", "sleep"]
    assert clock.pauses == [7, 7, 7]


async def test_failures_in_a_row_double_the_pause_up_to_the_cap_and_success_resets_it(records):
    clock = FakeClock(rounds=8)
    script = Script(clock, [False, False, False, False, True, False, True, True])
    await run_until_parked(clock, script, interval=1, max_backoff=5)
    assert clock.pauses == [2, 4, 5, 5, 1, 2, 1, 1]
    assert script.calls == 8


async def test_a_failure_is_logged_with_its_type_by_the_callers_logger_traceback_once_per_streak(
    records,
):
    clock = FakeClock(rounds=5)
    script = Script(clock, [False, False, False, True, False])
    slot_log = logger.bind(slot="booking-bot-pool-7")  # the caller's logger, not a new one
    await run_until_parked(clock, script, interval=1, max_backoff=60, log=slot_log)
    assert all(r["extra"].get("slot") == "booking-bot-pool-7" for r in records)
    lines = [(r["level"].name, r["message"], r["exception"] is not None) for r in records]
    assert lines == [
        ("ERROR", "test loop: round failed (ConnectionError); next in 2 s", True),
        ("ERROR", "test loop: failed again (ConnectionError, 2 in a row); next in 4 s", False),
        ("ERROR", "test loop: failed again (ConnectionError, 3 in a row); next in 8 s", False),
        ("INFO", "test loop: works again after 3 failed rounds", False),
        ("ERROR", "test loop: round failed (ConnectionError); next in 2 s", True),
    ]


async def test_a_different_error_gets_its_traceback(records):
    clock = FakeClock(rounds=2)
    errors = [ConnectionError("down"), KeyError("gone")]

    async def round_() -> None:
        raise errors.pop(0)

    await run_until_parked(clock, round_, interval=1)
    assert [(r["message"], r["exception"] is not None) for r in records] == [
        ("test loop: round failed (ConnectionError); next in 2 s", True),
        ("test loop: round failed (KeyError); next in 4 s", True),
    ]


def test_backoff_never_shortens_a_long_interval_and_stays_finite():
    assert periodic.backoff(3600, 0) == 3600
    assert periodic.backoff(3600, 1) == 3600  # longer than the cap: the interval stays
    assert periodic.backoff(0.5, 1) == 1
    assert periodic.backoff(0.5, 3) == 4
    assert periodic.backoff(0.5, 10_000) == periodic.DEFAULT_MAX_BACKOFF
    assert periodic.backoff(5, 3, max_backoff=0) == 5  # no backoff: a heartbeat keeps its beat


def test_jitter_moves_the_pause_both_ways_within_the_share():
    assert periodic.jittered(10, 0.2, lambda: 0.0) == pytest.approx(8)
    assert periodic.jittered(10, 0.2, lambda: 0.5) == pytest.approx(10)
    assert periodic.jittered(10, 0.2, lambda: 0.999999) == pytest.approx(12, abs=1e-4)
    assert periodic.jittered(10, 0, lambda: 0.0) == 10


async def test_jitter_applies_to_every_pause_including_backoff():
    clock = FakeClock(rounds=3)
    script = Script(clock, [True, False, True])
    await run_until_parked(clock, script, interval=10, jitter=0.1, rand=lambda: 1.0)
    assert clock.pauses == pytest.approx([11, 22, 11])


async def test_cancelled_in_the_middle_of_a_round_ends_the_loop_and_reaches_the_round(records):
    entered, seen = asyncio.Event(), []

    async def slow_round() -> None:
        entered.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    clock = FakeClock(rounds=99)
    task = periodic.start("test loop", 1, slow_round, sleep=clock.sleep)
    await asyncio.wait_for(entered.wait(), timeout=5)
    await periodic.stop(task)
    assert task.cancelled() and seen == ["cancelled"]
    assert clock.pauses == []  # no further round, no pause
    assert records == []  # a cancellation is not a failure


async def test_with_the_real_sleep_rounds_repeat_and_stop_ends_the_loop():
    """The real `asyncio.sleep`, a tiny interval: three rounds happen, then stop() ends it."""
    calls = 0
    three = asyncio.Event()

    async def round_() -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            three.set()

    task = periodic.start("test loop", 0.001, round_)
    assert task.get_name() == "test loop"
    await asyncio.wait_for(three.wait(), timeout=5)
    await periodic.stop(task)
    assert task.cancelled() and calls >= 3


async def test_stop_accepts_none_and_finished_tasks():
    async def done() -> None:
        return None

    finished = asyncio.create_task(done())
    await finished
    await periodic.stop(None, finished)
    await periodic.stop()


async def test_stop_does_not_swallow_its_callers_cancellation():
    clock = FakeClock(rounds=1)
    inner = periodic.start("test loop", 1, Script(clock), sleep=clock.sleep)
    await asyncio.wait_for(clock.parked.wait(), timeout=5)

    async def stubborn() -> None:  # takes a while to end once cancelled
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            raise

    slow = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    stopper = asyncio.create_task(periodic.stop(inner, slow))
    await asyncio.sleep(0)
    stopper.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stopper
    await asyncio.gather(inner, slow, return_exceptions=True)
    assert inner.cancelled() and slow.cancelled()


@pytest.mark.parametrize("bad", [{"interval": 0}, {"interval": -1}, {"jitter": 1.0}])
async def test_bad_options_are_refused(bad):
    options = {"interval": 1, "jitter": 0.0, **bad}
    with pytest.raises(ValueError):
        await periodic.loop(
            "test loop", options["interval"], Script(FakeClock(1)), jitter=options["jitter"]
        )
