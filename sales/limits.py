"""Abuse limits of the Sales Bot, as fixed windows in Redis (`sales:ratelimit:*`).

Each confirmed summary creates an order and a YooKassa payment, so one person could use up the
shop's API limits for real buyers: `OrderLimits` allows a few orders per minute per buyer (the
cap of unpaid orders is checked in PostgreSQL by `PurchaseService`). Redis unavailable: the
limit lets the request through (fail open) and says so in the log.
"""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from core import keys


class FixedWindow:
    def __init__(self, redis: aioredis.Redis, what: str, max_events: int, window: float, log):
        self.redis = redis
        self.what = what
        self.max_events = max_events
        self.window_ms = max(1, int(window * 1000))
        self.log = log

    async def hit(self, user_id: int) -> int:
        """Count one event; returns the count in the current window (0 when not counted)."""
        if self.max_events <= 0:
            return 0
        key = keys.sales_ratelimit(self.what, user_id)
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.pexpire(key, self.window_ms, nx=True)
                count, _ = await pipe.execute()
        except (RedisError, OSError) as exc:
            self.log.warning("{} rate limit not checked ({})", self.what, type(exc).__name__)
            return 0
        return count

    async def allowed(self, user_id: int) -> bool:
        return await self.hit(user_id) <= self.max_events
