"""The Prometheus endpoint: gathered from Redis and PostgreSQL at scrape time."""

from __future__ import annotations

import asyncpg
import redis.asyncio as aioredis
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

from core import keys
from master import repository as repo
from pool.manager import BotPoolManager

SLOT_STATES = ("waiting", "reserved", "activating", "resuming", "active")
LATENCY_BUCKETS_MS = (50, 100, 250, 500, 1000, 2500, 5000, 10000)


class _Snapshot:
    """A collector over values gathered beforehand (prometheus_client collectors are sync)."""

    def __init__(self, families) -> None:
        self.families = families

    def collect(self):
        yield from self.families


async def gather_families(manager: BotPoolManager, db: asyncpg.Pool, redis: aioredis.Redis):
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

    buckets_sql = ", ".join(
        f"count(*) FILTER (WHERE event = 'activated' AND duration_ms <= {b}) AS le_{b}"
        for b in LATENCY_BUCKETS_MS
    )
    async with db.acquire() as conn:
        events = await conn.fetch(
            "SELECT event, count(*) AS n FROM platform.activation_history GROUP BY event"
        )
        latency = await conn.fetchrow(
            f"""
            SELECT {buckets_sql},
                   count(*) FILTER (WHERE event = 'activated') AS n,
                   coalesce(sum(duration_ms) FILTER (WHERE event = 'activated'), 0) AS total_ms
              FROM platform.activation_history
            """
        )
        payments_by_outcome = await repo.payment_counts(conn)
        waiting = await repo.waiting_orders(conn)
    activations = CounterMetricFamily(
        "bot_pool_activation_events", "Slot events from the activation history", labels=["event"]
    )
    for row in events:
        activations.add_metric([row["event"]], row["n"])
    histogram = HistogramMetricFamily(
        "bot_pool_activation_duration_seconds",
        "Worker time from taking a config to the tenant bot polling",
        buckets=[(str(b / 1000), latency[f"le_{b}"]) for b in LATENCY_BUCKETS_MS]
        + [("+Inf", latency["n"])],
        sum_value=latency["total_ms"] / 1000,
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


async def render(manager: BotPoolManager, db: asyncpg.Pool, redis: aioredis.Redis) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(await gather_families(manager, db, redis)))
    return generate_latest(registry)
