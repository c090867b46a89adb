"""Master Bot services: what the handlers ask for, without aiogram."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from pool.manager import BotPoolManager
from pool.scaler import GrowResult, SupervisorPool


@dataclass(frozen=True)
class ActivationStats:
    day: int
    day_failed: int
    week: int
    avg_ms: int | None
    hours: list[tuple[str, int]]
    days: list[tuple[str, int]]


class PoolService:
    def __init__(
        self,
        manager: BotPoolManager,
        db: asyncpg.Pool,
        scaler: SupervisorPool | None,
        *,
        grow_step: int,
        max_size: int,
    ) -> None:
        self.manager = manager
        self.db = db
        self.scaler = scaler
        self.grow_step = grow_step
        self.max_size = max_size

    async def status(self) -> dict:
        return await self.manager.get_pool_status()

    async def slot(self, pool_id: int) -> dict | None:
        status = await self.status()
        return next((s for s in status["slots"] if s["pool_id"] == pool_id), None)

    async def release(self, pool_id: int) -> dict:
        return await self.manager.release_bot(
            f"booking-bot-pool-{pool_id}", reason="released from the Master Bot"
        )

    async def grow(self, n: int) -> GrowResult:
        return await self.scaler.grow(n)

    async def activation_stats(self, timezone: str = "Europe/Moscow") -> ActivationStats:
        async with self.db.acquire() as conn:
            totals = await conn.fetchrow(
                """
                SELECT count(*) FILTER (WHERE event = 'activated'
                                          AND created_at > now() - interval '1 day') AS day,
                       count(*) FILTER (WHERE event IN ('rejected', 'failed')
                                          AND created_at > now() - interval '1 day') AS day_failed,
                       count(*) FILTER (WHERE event = 'activated') AS week,
                       avg(duration_ms) FILTER (WHERE event = 'activated') AS avg_ms
                  FROM platform.activation_history
                 WHERE created_at > now() - interval '7 days'
                """
            )
            hours = await conn.fetch(
                """
                SELECT date_trunc('hour', created_at AT TIME ZONE $1) AS t, count(*) AS n
                  FROM platform.activation_history
                 WHERE event = 'activated' AND created_at > now() - interval '12 hours'
                 GROUP BY 1 ORDER BY 1
                """,
                timezone,
            )
            days = await conn.fetch(
                """
                SELECT date_trunc('day', created_at AT TIME ZONE $1) AS t, count(*) AS n
                  FROM platform.activation_history
                 WHERE event = 'activated' AND created_at > now() - interval '7 days'
                 GROUP BY 1 ORDER BY 1
                """,
                timezone,
            )
        return ActivationStats(
            day=totals["day"],
            day_failed=totals["day_failed"],
            week=totals["week"],
            avg_ms=None if totals["avg_ms"] is None else round(totals["avg_ms"]),
            hours=[(r["t"].strftime("%d.%m %H:00"), r["n"]) for r in hours],
            days=[(r["t"].strftime("%d.%m"), r["n"]) for r in days],
        )
