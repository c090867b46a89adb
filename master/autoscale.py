"""When the Master grows the pool by itself: a pure decision, no I/O.

Given the registered slots (`total`) and the free ones among them (`free`: waiting, heartbeat
fresh), the policy from the settings (POOL_AUTOGROW, POOL_MIN_FREE, POOL_GROW_STEP,
POOL_MAX_SIZE), whether there is a supervisord to grow through, and the last growth still
registering (new slots need a few seconds before they count), `decide()` says how many slots to
add — 0 for none — and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Why(StrEnum):
    OFF = "autogrow is off"
    NO_SCALER = "no supervisord to grow through"
    NO_SLOTS = "no slot registered"
    ENOUGH_FREE = "enough free slots"
    SETTLING = "the last slots added are still registering"
    AT_MAX = "at the maximum size"
    SHORT = "free slots below the minimum"


@dataclass(frozen=True)
class Policy:
    autogrow: bool
    min_free: int
    grow_step: int
    max_size: int

    @classmethod
    def from_settings(cls, settings) -> Policy:
        return cls(
            autogrow=settings.pool_autogrow,
            min_free=settings.pool_min_free,
            grow_step=settings.pool_grow_step,
            max_size=settings.pool_max_size,
        )


@dataclass(frozen=True)
class Growth:
    """A growth in progress: the pool should reach `size` slots; waited for until `until`."""

    size: int
    until: float


@dataclass(frozen=True)
class Decision:
    add: int
    why: Why


def decide(
    total: int,
    free: int,
    policy: Policy,
    *,
    can_grow: bool,
    growing: Growth | None = None,
    now: float = 0.0,
) -> Decision:
    """How many slots to add now (0: none), and why."""
    if not policy.autogrow:
        return Decision(0, Why.OFF)
    if not can_grow:
        return Decision(0, Why.NO_SCALER)
    if total <= 0:  # nothing registered (Redis emptied, pool not started): nothing to judge by
        return Decision(0, Why.NO_SLOTS)
    if free >= policy.min_free:
        return Decision(0, Why.ENOUGH_FREE)
    if growing is not None and total < growing.size and now <= growing.until:
        return Decision(0, Why.SETTLING)
    if total >= policy.max_size:
        return Decision(0, Why.AT_MAX)
    return Decision(min(policy.grow_step, policy.max_size - total), Why.SHORT)
