"""The autoscaling policy (`master.autoscale.decide`) and the Master's round that applies it."""

from __future__ import annotations

import pytest

from core.settings import Settings
from master import texts
from master.app import GROW_SETTLE_SECONDS, Watch
from master.autoscale import Decision, Growth, Policy, Why, decide
from pool.scaler import GrowResult, ScalerError

POLICY = Policy(autogrow=True, min_free=1, grow_step=2, max_size=10)


@pytest.mark.parametrize(
    ("total", "free", "policy", "can_grow", "expected"),
    [
        # short of free slots: one step
        (3, 0, POLICY, True, Decision(2, Why.SHORT)),
        # exactly the minimum is enough
        (3, 1, POLICY, True, Decision(0, Why.ENOUGH_FREE)),
        (3, 3, POLICY, True, Decision(0, Why.ENOUGH_FREE)),
        # the step is cut at the maximum
        (9, 0, POLICY, True, Decision(1, Why.SHORT)),
        (10, 0, POLICY, True, Decision(0, Why.AT_MAX)),
        (12, 0, POLICY, True, Decision(0, Why.AT_MAX)),  # more registered than the maximum
        # nothing registered: no judgement on an empty (or emptied) Redis
        (0, 0, POLICY, True, Decision(0, Why.NO_SLOTS)),
        # switched off, or no supervisord
        (3, 0, Policy(False, 1, 2, 10), True, Decision(0, Why.OFF)),
        (3, 0, POLICY, False, Decision(0, Why.NO_SCALER)),
        # POOL_MIN_FREE=0: never short
        (3, 0, Policy(True, 0, 2, 10), True, Decision(0, Why.ENOUGH_FREE)),
        # a higher minimum: still one step per decision
        (5, 1, Policy(True, 4, 1, 10), True, Decision(1, Why.SHORT)),
        # a pool already at its maximum with enough free slots is simply fine
        (10, 2, POLICY, True, Decision(0, Why.ENOUGH_FREE)),
    ],
)
def test_decide(total, free, policy, can_grow, expected):
    assert decide(total, free, policy, can_grow=can_grow) == expected


def test_a_growth_is_waited_for_until_its_slots_register_or_its_time_runs_out():
    growing = Growth(size=5, until=100.0)
    # the new slots have not registered yet: wait, even though free slots are short
    assert decide(3, 0, POLICY, can_grow=True, growing=growing, now=50) == Decision(0, Why.SETTLING)
    assert decide(4, 0, POLICY, can_grow=True, growing=growing, now=100) == Decision(
        0, Why.SETTLING
    )
    # they registered and were taken at once: grow again
    assert decide(5, 0, POLICY, can_grow=True, growing=growing, now=50) == Decision(2, Why.SHORT)
    # they never came: after the deadline, judge by what is there
    assert decide(3, 0, POLICY, can_grow=True, growing=growing, now=100.1) == Decision(2, Why.SHORT)


def test_policy_from_settings_reads_the_four_settings():
    settings = Settings(
        _env_file=None,
        pool_autogrow=False,
        pool_min_free=3,
        pool_grow_step=4,
        pool_max_size=20,
    )
    assert Policy.from_settings(settings) == Policy(
        autogrow=False, min_free=3, grow_step=4, max_size=20
    )


class FakePool:
    def __init__(self, errors: list[str] = ()) -> None:
        self.scaler = object()
        self.errors = list(errors)
        self.grown: list[int] = []
        self.size = 3

    async def grow(self, n: int) -> GrowResult:
        if self.errors:
            raise ScalerError(self.errors.pop(0))
        self.grown.append(n)
        before, self.size = self.size, self.size + n
        return GrowResult(list(range(before + 1, self.size + 1)), before, self.size)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def status(total: int, free: int) -> dict:
    return {"total": total, "free": free}


def make_watch(pool: FakePool, policy: Policy = POLICY):
    sent: list[str] = []

    async def notify(text: str) -> None:
        sent.append(text)

    clock = Clock()
    return Watch(None, pool, policy, notify, clock=clock), sent, clock


async def test_the_round_grows_once_then_waits_for_the_new_slots():
    pool = FakePool()
    watch, sent, clock = make_watch(pool)
    await watch.grow_if_short(status(3, 0))
    assert pool.grown == [2]
    assert sent == [texts.ALERT_GROWN.format(n=2, size=5)]
    await watch.grow_if_short(status(3, 0))  # the two new slots have not registered yet
    assert pool.grown == [2]
    clock.now += GROW_SETTLE_SECONDS + 1  # they never did
    await watch.grow_if_short(status(3, 0))
    assert pool.grown == [2, 2]


async def test_a_failed_growth_is_reported_once_until_one_works():
    pool = FakePool(errors=["cannot reach supervisord", "cannot reach supervisord"])
    watch, sent, _ = make_watch(pool)
    await watch.grow_if_short(status(3, 0))
    await watch.grow_if_short(status(3, 0))
    assert sent == [texts.ALERT_GROW_FAILED.format(error="cannot reach supervisord")]
    await watch.grow_if_short(status(3, 0))
    assert pool.grown == [2]
    assert sent[1:] == [texts.ALERT_GROWN.format(n=2, size=5)]


async def test_at_the_maximum_the_operator_is_told_once():
    pool = FakePool()
    watch, sent, _ = make_watch(pool, Policy(True, 1, 2, 3))
    await watch.grow_if_short(status(3, 0))
    await watch.grow_if_short(status(3, 0))
    assert pool.grown == []
    assert sent == [
        texts.ALERT_GROW_FAILED.format(error="the pool is at its maximum of 3 slots"),
    ]


async def test_without_a_scaler_nothing_is_tried_or_said():
    pool = FakePool()
    pool.scaler = None
    watch, sent, _ = make_watch(pool)
    await watch.grow_if_short(status(3, 0))
    assert pool.grown == [] and sent == []
