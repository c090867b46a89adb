"""The Master's figures and failed-activation alerts, read through its repository's named
queries on a real PostgreSQL (and Redis for the alert cursor)."""

from __future__ import annotations

from core import platform_repo
from core.status import ActivationEvent
from master.alerts import AlertMonitor
from master.services import PoolService

CALM = {"total": 2, "busy": 0, "free": 2, "stale": 0, "slots": []}


async def event(db, event: ActivationEvent, duration_ms: int | None = None, detail=None) -> None:
    async with db.acquire() as conn:
        await platform_repo.record_event(
            conn,
            slot="booking-bot-pool-1",
            event=event,
            client_id="client_005",
            detail=detail,
            duration_ms=duration_ms,
        )


async def test_stats_count_activations_failures_and_the_pool_utilization(db):
    await event(db, ActivationEvent.ACTIVATED, 200)
    await event(db, ActivationEvent.ACTIVATED, 400)
    await event(db, ActivationEvent.FAILED, detail="boom")
    await event(db, ActivationEvent.RELEASED)
    service = PoolService(None, db, None, grow_step=1, max_size=2)
    await service.sample({"total": 4, "busy": 1, "stale": 0})

    stats = await service.stats()

    assert (stats.day, stats.day_failed, stats.week, stats.avg_ms) == (2, 1, 2, 300)
    assert sum(n for _, n in stats.hours) == 2 and sum(n for _, n in stats.days) == 2
    assert [p for _, p in stats.utilization] == [25]
    assert (stats.revenue.month, stats.waiting_orders) == (0, 0)


async def test_a_failed_activation_after_the_first_round_reaches_the_operator(db, redis_client):
    received: list[str] = []

    async def deliver(text: str) -> None:
        received.append(text)

    monitor = AlertMonitor(redis_client, None, db, deliver, threshold=0.8)
    await event(db, ActivationEvent.FAILED, detail="before the Master started")
    assert await monitor.check(CALM) == []  # the first round starts from now

    await event(db, ActivationEvent.FAILED, detail="slot crashed")
    await event(db, ActivationEvent.ACTIVATED, 100)

    sent = await monitor.check(CALM)
    assert len(sent) == 1 and "client_005" in sent[0] and "slot crashed" in sent[0]
    assert received == sent
