"""Alerts pushed to the operators: each once when its condition starts, and a note when it clears.

Conditions (pool > threshold full, a slot without heartbeat) are re-evaluated every
`ALERT_INTERVAL`; their state lives in Redis (`master:alerts`), so a restarted Master Bot does not
repeat them. Events (a failed activation, a revoked tenant token) come from
`platform.activation_history` after a cursor, so each is reported exactly once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import redis.asyncio as aioredis

from core import keys
from master import repository as repo
from master import texts
from master.views import percent
from pool.manager import BotPoolManager
from pool.status import TOKEN_REJECTED


@dataclass(frozen=True)
class Alert:
    key: str
    text: str


def _age(seconds: float | None) -> str:
    return "никогда" if seconds is None else f"{seconds:.0f} с"


def pool_conditions(status: dict, threshold: float) -> list[Alert]:
    alerts = []
    total = status["total"]
    if total and status["busy"] / total > threshold:
        alerts.append(
            Alert(
                "pool_full",
                texts.ALERT_POOL_FULL.format(
                    percent=percent(status["busy"], total),
                    busy=status["busy"],
                    total=total,
                    free=status["free"],
                ),
            )
        )
    for s in status["slots"]:
        alerts += slot_failures(s)
        if s["stale"]:
            client = f", клиент {s['client_id']}" if s["client_id"] else ""
            alerts.append(
                Alert(
                    f"stale:{s['container_id']}",
                    texts.ALERT_STALE.format(
                        slot=s["container_id"], age=_age(s["heartbeat_age"]), client=client
                    ),
                )
            )
    return alerts


def slot_failures(slot: dict) -> list[Alert]:
    """A slot that beats but cannot serve its tenant: polling fails, or resuming fails."""
    alerts = []
    client = slot.get("client_id") or "?"
    if slot.get("polling_error"):
        alerts.append(
            Alert(
                f"polling:{slot['container_id']}",
                texts.ALERT_POLLING.format(
                    client=client, slot=slot["container_id"], error=slot["polling_error"]
                ),
            )
        )
    if slot.get("resume_error"):
        alerts.append(
            Alert(
                f"resume:{slot['container_id']}",
                texts.ALERT_RESUME.format(
                    client=client, slot=slot["container_id"], error=slot["resume_error"]
                ),
            )
        )
    return alerts


async def redis_memory_alert(redis: aioredis.Redis, threshold: float) -> Alert | None:
    """Redis past `threshold` of its maxmemory (none without a maxmemory)."""
    info = await redis.info("memory")
    limit = int(info.get("maxmemory") or 0)
    used = int(info.get("used_memory") or 0)
    if not limit or used <= threshold * limit:
        return None
    return Alert(
        "redis_memory",
        texts.ALERT_REDIS_MEMORY.format(
            percent=percent(used, limit),
            used=round(used / 2**20, 1),
            limit=round(limit / 2**20, 1),
            policy=info.get("maxmemory_policy", "?"),
        ),
    )


def event_alert(row) -> Alert:
    detail = row["detail"] or ""
    client = row["client_id"] or "?"
    if detail == TOKEN_REJECTED:
        text = texts.ALERT_TOKEN_REVOKED.format(client=client, slot=row["slot"])
    else:
        text = texts.ALERT_ACTIVATION_FAILED.format(client=client, slot=row["slot"], detail=detail)
    return Alert(f"event:{row['id']}", text)


class AlertMonitor:
    def __init__(
        self,
        redis: aioredis.Redis,
        manager: BotPoolManager,
        db: asyncpg.Pool,
        notify: Callable[[str], Awaitable[None]],
        *,
        threshold: float,
        redis_memory_threshold: float = 0.8,
    ) -> None:
        self.redis = redis
        self.manager = manager
        self.db = db
        self.notify = notify
        self.threshold = threshold
        self.redis_memory_threshold = redis_memory_threshold

    async def check(self, status: dict | None = None) -> list[str]:
        """One evaluation; returns the texts sent."""
        status = status or await self.manager.get_pool_status()
        sent = []
        active = {a.key: a.text for a in pool_conditions(status, self.threshold)}
        async with self.db.acquire() as conn:
            waiting = await repo.waiting_orders(conn)
        if waiting:
            active["waiting_orders"] = texts.ALERT_WAITING_ORDERS.format(n=waiting)
        memory = await redis_memory_alert(self.redis, self.redis_memory_threshold)
        if memory is not None:
            active[memory.key] = memory.text
        known = await self.redis.hgetall(keys.master_alerts())
        for key, text in active.items():
            if key not in known:
                await self.notify(text)
                await self.redis.hset(keys.master_alerts(), key, text)
                sent.append(text)
        for key, text in known.items():
            if key not in active:
                cleared = texts.ALERT_CLEARED.format(text=text)
                await self.notify(cleared)
                await self.redis.hdel(keys.master_alerts(), key)
                sent.append(cleared)
        for alert in await self._new_events():
            await self.notify(alert.text)
            sent.append(alert.text)
        sent += await self._sales_alerts()
        return sent

    async def _sales_alerts(self) -> list[str]:
        """Deliver what the Sales service recorded in `platform.alerts`, each once."""
        sent = []
        async with self.db.acquire() as conn:
            for alert_id, kind, detail in await repo.undelivered_alerts(conn):
                # a queued order is covered by the "orders waiting" condition above
                if kind != "pool_full":
                    template = texts.ALERT_SALES.get(kind, texts.ALERT_SALES_OTHER)
                    text = template.format(kind=kind, detail=detail)
                    await self.notify(text)
                    sent.append(text)
                await repo.mark_delivered(conn, alert_id)
        return sent

    async def _new_events(self) -> list[Alert]:
        cursor = await self.redis.get(keys.master_alert_cursor())
        async with self.db.acquire() as conn:
            if cursor is None:  # first run: start from now, do not replay history
                last = await conn.fetchval(
                    "SELECT coalesce(max(id), 0) FROM platform.activation_history"
                )
                await self.redis.set(keys.master_alert_cursor(), last)
                return []
            rows = await conn.fetch(
                """
                SELECT id, slot, client_id, detail FROM platform.activation_history
                 WHERE id > $1 AND event IN ('rejected', 'failed') ORDER BY id LIMIT 50
                """,
                int(cursor),
            )
        if rows:
            await self.redis.set(keys.master_alert_cursor(), rows[-1]["id"])
        return [event_alert(r) for r in rows]
