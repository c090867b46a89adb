"""The Prometheus endpoint: gathered from Redis and PostgreSQL at scrape time, without scanning
tables that grow (activation events are counters kept in the process)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import asyncpg
import redis.asyncio as aioredis
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

from core import keys
from core.status import PAYMENT_ALERTS, ActivationEvent
from master import repository as repo
from pool.manager import BotPoolManager
from pool.status import SlotStatus

SLOT_STATES = (
    SlotStatus.WAITING,
    SlotStatus.RESERVED,
    SlotStatus.ACTIVATING,
    SlotStatus.RESUMING,
    SlotStatus.ACTIVE,
)
LATENCY_BUCKETS_MS = (50, 100, 250, 500, 1000, 2500, 5000, 10000)


class _Snapshot:
    """A collector over values gathered beforehand (prometheus_client collectors are sync)."""

    def __init__(self, families) -> None:
        self.families = families

    def collect(self):
        yield from self.families


class ActivationCounters:
    """Activation events and the latency histogram as counters kept in this process, so a scrape
    never scans `activation_history` (which grows, and is pruned by age): once per process the
    retained history is summed, then each scrape reads only the recent window through the
    `created_at` index and counts the rows it has not seen (a window, not an id cursor: ids are
    taken before commit, so a later id may become visible first)."""

    WINDOW = timedelta(minutes=15)
    EVENTS = tuple(ActivationEvent)

    def __init__(self) -> None:
        self.started = False
        self.events: dict[str, int] = dict.fromkeys(self.EVENTS, 0)
        self.buckets: dict[int, int] = dict.fromkeys(LATENCY_BUCKETS_MS, 0)
        self.n = 0
        self.total_ms = 0
        self._seen: dict[int, datetime] = {}
        self._lock = asyncio.Lock()  # two scrapes at once must not count a row twice

    def _add(self, event: str, duration_ms: int | None, times: int = 1) -> None:
        self.events[event] = self.events.get(event, 0) + times
        if event == ActivationEvent.ACTIVATED:
            self.n += times
            if duration_ms is not None:
                self.total_ms += duration_ms * times
                for b in LATENCY_BUCKETS_MS:
                    if duration_ms <= b:
                        self.buckets[b] += times

    async def refresh(self, conn: asyncpg.Connection) -> None:
        async with self._lock:
            await self._refresh(conn)

    async def _refresh(self, conn: asyncpg.Connection) -> None:
        since = await repo.db_now(conn) - self.WINDOW
        if not self.started:
            for event, duration_ms, n in await repo.activation_counts_until(conn, since):
                self._add(event, duration_ms, n)
            self.started = True
        for row in await repo.activation_events_since(conn, since):
            if row.id not in self._seen:
                self._seen[row.id] = row.created_at
                self._add(row.event, row.duration_ms)
        self._seen = {i: t for i, t in self._seen.items() if t > since - self.WINDOW}


class PaymentCounters:
    """Recorded payments and rejected payment notifications, counted like `ActivationCounters`:
    summed once per process, then from an indexed recent window (alerts are pruned by age, so
    their count must not be re-read from the table)."""

    WINDOW = ActivationCounters.WINDOW

    def __init__(self) -> None:
        self.started = False
        self.counts = {"succeeded": 0, "rejected": 0}
        self._seen: dict[tuple[str, str], datetime] = {}
        self._lock = asyncio.Lock()

    async def refresh(self, conn: asyncpg.Connection) -> None:
        async with self._lock:
            since = await repo.db_now(conn) - self.WINDOW
            if not self.started:
                self.counts = await repo.payment_counts_until(conn, since, PAYMENT_ALERTS)
                self.started = True
            for outcome, key_id, at in await repo.payment_outcomes_since(
                conn, since, PAYMENT_ALERTS
            ):
                key = (outcome, key_id)
                if key not in self._seen:
                    self._seen[key] = at
                    self.counts[outcome] += 1
            self._seen = {k: t for k, t in self._seen.items() if t > since - self.WINDOW}


async def gather_families(
    manager: BotPoolManager,
    db: asyncpg.Pool,
    redis: aioredis.Redis,
    counters: ActivationCounters | None = None,
    payment_counters: PaymentCounters | None = None,
):
    counters = counters or ActivationCounters()
    payment_counters = payment_counters or PaymentCounters()
    status = await manager.get_pool_status()
    slots = GaugeMetricFamily(
        "bot_pool_slots", "Pool slots by status (stale = no recent heartbeat)", labels=["status"]
    )
    for state in SLOT_STATES:
        slots.add_metric(
            [state], sum(1 for s in status["slots"] if s["status"] == state and not s["stale"])
        )
    slots.add_metric(["stale"], status["stale"])
    free = GaugeMetricFamily("bot_pool_free_slots", "Live waiting slots", value=status["free"])
    total = GaugeMetricFamily("bot_pool_size", "Registered slots", value=status["total"])

    async with db.acquire() as conn:
        await counters.refresh(conn)
        await payment_counters.refresh(conn)
        payments_by_outcome = payment_counters.counts
        waiting = await repo.waiting_orders(conn)
    activations = CounterMetricFamily(
        "bot_pool_activation_events", "Slot events from the activation history", labels=["event"]
    )
    for event, n in sorted(counters.events.items()):
        activations.add_metric([event], n)
    histogram = HistogramMetricFamily(
        "bot_pool_activation_duration_seconds",
        "Worker time from taking a config to the tenant bot polling",
        buckets=[(str(b / 1000), counters.buckets[b]) for b in LATENCY_BUCKETS_MS]
        + [("+Inf", counters.n)],
        sum_value=counters.total_ms / 1000,
    )
    updates = CounterMetricFamily(
        "bot_pool_tenant_updates", "Telegram updates handled by tenant bots", labels=["client_id"]
    )
    for client_id, n in sorted((await redis.hgetall(keys.tenant_updates())).items()):
        updates.add_metric([client_id], int(n))
    payments = CounterMetricFamily(
        "bot_pool_payments", "Payments: recorded, and notifications rejected", labels=["outcome"]
    )
    for outcome, n in payments_by_outcome.items():
        payments.add_metric([outcome], n)
    waiting_orders = GaugeMetricFamily(
        "bot_pool_waiting_orders", "Paid orders waiting for a free slot", value=waiting
    )
    return [
        slots,
        free,
        total,
        activations,
        histogram,
        updates,
        payments,
        waiting_orders,
        *await redis_memory_families(redis),
    ]


async def redis_memory_families(redis: aioredis.Redis):
    """Redis memory and its limit (0: none), for the alert rule at 80 % of maxmemory."""
    info = await redis.info("memory")
    return [
        GaugeMetricFamily(
            "bot_pool_redis_used_memory_bytes",
            "Memory used by Redis",
            value=int(info.get("used_memory") or 0),
        ),
        GaugeMetricFamily(
            "bot_pool_redis_maxmemory_bytes",
            "Redis maxmemory (0: no limit)",
            value=int(info.get("maxmemory") or 0),
        ),
    ]


async def render(
    manager: BotPoolManager,
    db: asyncpg.Pool,
    redis: aioredis.Redis,
    counters: ActivationCounters | None = None,
    payment_counters: PaymentCounters | None = None,
) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(
        _Snapshot(await gather_families(manager, db, redis, counters, payment_counters))
    )
    return generate_latest(registry)
