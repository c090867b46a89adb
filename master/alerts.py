"""Alerts pushed to the operators: each once when its condition starts, and a note when it clears.

Conditions (pool > threshold full, a slot without heartbeat) are re-evaluated every
`ALERT_INTERVAL`; their state lives in Redis (`master:alerts`), so a restarted Master Bot does not
repeat them. Every alert text is queued in `platform.alerts` and delivered from there, so one
that nobody could receive yet is not lost. Events (a failed activation, a revoked tenant token) come from
`platform.activation_history` after a cursor, so each is reported exactly once.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import redis.asyncio as aioredis
from loguru import logger

from core import keys
from core.status import AlertKind
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
    client = slot.get("client_id") or "?"
    alerts = []
    for kind, text in (("polling", texts.ALERT_POLLING), ("resume", texts.ALERT_RESUME)):
        if error := slot.get(f"{kind}_error"):
            container = slot["container_id"]
            alerts.append(
                Alert(
                    f"{kind}:{container}", text.format(client=client, slot=container, error=error)
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


def event_alert(event: repo.FailedActivation) -> Alert:
    detail = event.detail or ""
    client = event.client_id or "?"
    if detail == TOKEN_REJECTED:
        text = texts.ALERT_TOKEN_REVOKED.format(client=client, slot=event.slot)
    else:
        text = texts.ALERT_ACTIVATION_FAILED.format(client=client, slot=event.slot, detail=detail)
    return Alert(f"event:{event.id}", text)


class AlertMonitor:
    """Every alert is queued in `platform.alerts` first and delivered from there: one that no
    admin could receive (e.g. none has pressed /start yet: "chat not found") stays queued and is
    retried each round, up to `max_attempts`, with a log line saying why; then it is dropped with
    an error line. A condition's "cleared" is sent only if its alert was delivered."""

    def __init__(
        self,
        redis: aioredis.Redis,
        manager: BotPoolManager,
        db: asyncpg.Pool,
        deliver: Callable[[str], Awaitable[str | None]],
        *,
        threshold: float,
        redis_memory_threshold: float = 0.8,
        max_attempts: int = 120,
    ) -> None:
        self.redis = redis
        self.manager = manager
        self.db = db
        self.deliver = deliver
        self.threshold = threshold
        self.redis_memory_threshold = redis_memory_threshold
        self.max_attempts = max_attempts

    async def check(self, status: dict | None = None) -> list[str]:
        """One evaluation; returns the texts delivered."""
        status = status or await self.manager.get_pool_status()
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
                alert_id = await self.enqueue(text)
                await self.redis.hset(
                    keys.master_alerts(), key, json.dumps({"text": text, "alert_id": alert_id})
                )
        for key, value in known.items():
            if key not in active:
                await self._cleared(value)
                await self.redis.hdel(keys.master_alerts(), key)
        for alert in await self._new_events():
            await self.enqueue(alert.text)
        return await self.deliver_queued()

    async def enqueue(self, text: str) -> int:
        async with self.db.acquire() as conn:
            return await repo.queue_alert(conn, text)

    async def _cleared(self, value: str) -> None:
        try:
            state = json.loads(value)
            text, alert_id = state["text"], state["alert_id"]
        except (ValueError, TypeError, KeyError):  # from before the queue: it was sent
            text, alert_id = value, None
        async with self.db.acquire() as conn:
            delivered = alert_id is None or await repo.alert_delivered(conn, alert_id)
            if not delivered:
                await repo.alert_given_up(conn, alert_id, "condition cleared before delivery")
        if delivered:
            await self.enqueue(texts.ALERT_CLEARED.format(text=text))
        else:
            logger.info("alert #{} cleared before anyone received it: not sent", alert_id)

    async def deliver_queued(self) -> list[str]:
        """Deliver queued alerts (the Master's and what Sales recorded) in order; stops at the
        first one nobody could receive, which counts an attempt."""
        sent = []
        async with self.db.acquire() as conn:
            queued = await repo.undelivered_alerts(conn)
        for alert_id, kind, detail, attempts in queued:
            # a queued order is covered by the "orders waiting" condition
            if kind == AlertKind.POOL_FULL:
                async with self.db.acquire() as conn:
                    await repo.mark_delivered(conn, alert_id)
                continue
            if kind == AlertKind.MASTER:
                text = detail
            else:
                template = texts.ALERT_SALES.get(kind, texts.ALERT_SALES_OTHER)
                text = template.format(kind=kind, detail=detail)
            error = await self.deliver(text)
            async with self.db.acquire() as conn:
                if error is None:
                    await repo.mark_delivered(conn, alert_id)
                    sent.append(text)
                    continue
                give_up = attempts + 1 >= self.max_attempts
                await repo.alert_failed(conn, alert_id, error, give_up=give_up)
            if give_up:
                logger.error(
                    "alert #{} dropped: no admin could receive it in {} attempts ({})",
                    alert_id,
                    self.max_attempts,
                    error,
                )
            else:
                logger.warning(
                    "alert #{} not delivered (attempt {} of {}): {}; kept and retried",
                    alert_id,
                    attempts + 1,
                    self.max_attempts,
                    error,
                )
            break
        return sent

    async def _new_events(self) -> list[Alert]:
        cursor = await self.redis.get(keys.master_alert_cursor())
        async with self.db.acquire() as conn:
            if cursor is None:  # first run: start from now, do not replay history
                last = await repo.last_activation_event(conn)
                await self.redis.set(keys.master_alert_cursor(), last)
                return []
            events = await repo.failed_activations_after(conn, int(cursor))
        if events:
            await self.redis.set(keys.master_alert_cursor(), events[-1].id)
        return [event_alert(e) for e in events]
