"""`BotPoolManager`: how Sales, Master and the operator's CLI find, activate and release slots.

The seed's API (`find_free_bot`, `activate_bot`, `get_pool_status`) plus `release_bot` and
`wait_for_activation`. The pool is discovered from the registered `bot_status:*` keys; every
check-and-set on a slot runs as one Lua script, so two callers never get the same slot.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import NoPermissionError

from core import keys, redis_acl
from core.crypto import TokenCipher
from core.settings import parse_slot
from core.tenant_access import tenant_redis_password
from pool import scripts
from pool.config import ActivationConfig, ConfigError
from pool.status import RejectionCode, SlotStatus, now_iso, parse, status_doc, unix_now

CONFIG_TTL = 300
RELEASE_TTL = 300  # a release command no worker takes (its worker hangs) expires
_POOL_NUM = re.compile(r"(\d+)\Z")


class PoolError(Exception):
    """An operation on the pool cannot be done; the message says why (no secrets in it)."""


class SlotNotFound(PoolError):
    pass


class SlotBusy(PoolError):
    pass


@dataclass(frozen=True)
class ActivationResult:
    ok: bool
    slot: str
    client_id: str | None = None
    bot_username: str | None = None
    error: str | None = None
    # why it failed: a `RejectionCode` (kept as the worker sent it: a newer worker may know more)
    code: RejectionCode | str | None = None
    duration_ms: int | None = None


def _pool_id(slot: str) -> int:
    match = _POOL_NUM.search(slot)
    return int(match.group(1)) if match else 0


def pool_problems(status: dict) -> list[str]:
    """Why the pool is unhealthy (empty list: healthy): no slots, dead slots, no free slot."""
    problems = []
    if status["total"] == 0:
        problems.append("no slots registered")
    if status["stale"]:
        problems.append(f"{status['stale']} slot(s) without heartbeat")
    if status["total"] and status["free"] == 0:
        problems.append("no free slot")
    return problems


class BotPoolManager:
    def __init__(
        self,
        redis: aioredis.Redis,
        cipher: TokenCipher,
        *,
        stale_after: float = 20.0,
        release_store=None,
    ) -> None:
        """`redis` must allow blocking commands longer than 5 s: build it with
        `core.redis_client.make_redis` (redis-py 8's default socket timeout is 5 s).

        `release_store`, when given, has `async release_dead_slot(slot, reason)`: it ends the
        assignment of a slot whose worker is down, in PostgreSQL (see `pool.store`)."""
        self.redis = redis
        self.cipher = cipher
        self.stale_after = stale_after
        self.release_store = release_store
        self._claim = redis.register_script(scripts.CLAIM)
        self._activate = redis.register_script(scripts.ACTIVATE)
        self._replace_if = redis.register_script(scripts.REPLACE_IF)

    # -- discovery -------------------------------------------------------------------------

    async def slots(self) -> list[str]:
        """Registered slots, by pool number."""
        found = {
            keys.slot_from_status_key(k)
            async for k in self.redis.scan_iter(match=keys.status_pattern(), count=500)
        }
        return sorted(found, key=_pool_id)

    async def get_pool_status(self) -> dict:
        """Counts and one entry per slot: waiting / reserved / activating / active / stale."""
        slots = await self.slots()
        now = unix_now()
        if slots:
            async with self.redis.pipeline(transaction=False) as pipe:
                for slot in slots:
                    pipe.get(keys.bot_status(slot))
                    pipe.zscore(keys.pool_heartbeats(), slot)
                raw = await pipe.execute()
        else:
            raw = []
        details = []
        counts = {
            SlotStatus.WAITING: 0,
            SlotStatus.RESERVED: 0,
            SlotStatus.ACTIVATING: 0,
            SlotStatus.ACTIVE: 0,
            "stale": 0,
        }
        for i, slot in enumerate(slots):
            doc = parse(raw[2 * i]) or {}
            heartbeat = raw[2 * i + 1]
            age = None if heartbeat is None else max(0.0, now - float(heartbeat))
            stale = age is None or age > self.stale_after
            status = doc.get("status", "unknown")
            counts[status] = counts.get(status, 0) + 1
            if stale:
                counts["stale"] += 1
            details.append(
                {
                    "container_id": slot,
                    "pool_id": _pool_id(slot),
                    "status": status,
                    "stale": stale,
                    "heartbeat_age": None if age is None else round(age, 1),
                    "client_id": doc.get("client_id"),
                    "bot_username": doc.get("bot_username"),
                    "activated_at": doc.get("activated_at"),
                    "since": doc.get("since"),
                    "pid": doc.get("pid"),
                    "fork_pid": doc.get("fork_pid"),
                    "host": doc.get("host"),
                    "last_error": doc.get("last_error"),
                    "assignment_id": doc.get("assignment_id"),
                    "polling_error": doc.get("polling_error"),
                    "resume_error": doc.get("resume_error"),
                }
            )
        free = sum(1 for d in details if d["status"] == SlotStatus.WAITING and not d["stale"])
        return {
            "total": len(details),
            "free": free,
            "busy": len(details) - free,
            "live": sum(1 for d in details if not d["stale"]),
            **counts,
            "slots": details,
        }

    # -- claiming and activating ------------------------------------------------------------

    async def find_free_bot(self) -> dict | None:
        """Atomically reserve a waiting, live slot: `{"container_id", "pool_id"}` or None."""
        slots = await self.slots()
        if not slots:
            return None
        slot = await self._claim(
            keys=[keys.pool_heartbeats(), *(keys.bot_status(s) for s in slots)],
            args=[unix_now(), self.stale_after, uuid.uuid4().hex, now_iso()],
        )
        if not slot:
            return None
        return {"container_id": slot, "pool_id": str(_pool_id(slot))}

    async def activate_bot(
        self,
        container_id: str,
        bot_token: str,
        admin_telegram_id: int,
        client_id: str,
        company_name: str,
    ) -> str:
        """Hand a config to a waiting (or reserved) slot and wake its worker.

        Returns the activation id, for `wait_for_activation`. Raises `ConfigError` for bad
        arguments and `PoolError` when the slot cannot take it.
        """
        slot, _ = parse_slot(container_id)
        config = ActivationConfig.create(
            activation_id=uuid.uuid4().hex,
            bot_token=bot_token,
            admin_telegram_id=admin_telegram_id,
            client_id=client_id,
            company_name=company_name,
        )
        await self._ensure_tenant_user(config.client_id)
        outcome = await self._activate(
            keys=[
                keys.bot_status(slot),
                keys.bot_config(slot),
                keys.bot_wake(slot),
                keys.pool_heartbeats(),
            ],
            args=[
                config.dumps(self.cipher, now_iso()),
                CONFIG_TTL,
                config.activation_id,
                config.client_id,
                unix_now(),
                self.stale_after,
                now_iso(),
            ],
        )
        if outcome == "ok":
            return config.activation_id
        if outcome == "no_slot":
            raise SlotNotFound(f"slot {slot} is not registered (is its worker running?)")
        if outcome == "stale":
            raise SlotBusy(f"slot {slot} has no recent heartbeat: its worker is down")
        if outcome == "pending":
            raise SlotBusy(f"slot {slot} already has a pending configuration")
        if outcome.startswith("busy:"):
            _, status, client = outcome.split(":", 2)
            holder = f" by {client}" if client else ""
            raise SlotBusy(f"slot {slot} is {status}{holder}, not waiting")
        raise PoolError(f"slot {slot}: unexpected status ({outcome})")

    async def _ensure_tenant_user(self, client_id: str) -> None:
        """The tenant bot's Redis user (`client_NNN:*` only), before its worker can start it.
        Idempotent: the password is derived, so a running bot of this tenant is not locked out."""
        try:
            await redis_acl.ensure_tenant_user(
                self.redis, client_id, tenant_redis_password(self.cipher, client_id)
            )
        except NoPermissionError:
            raise PoolError(
                "this service's Redis user may not create tenants' users (ACL SETUSER): "
                "run it as booking_sales or booking_master (see README, isolation)"
            ) from None

    async def wait_for_activation(
        self, container_id: str, activation_id: str, timeout: float = 30.0
    ) -> ActivationResult:
        """Block until the worker acknowledges the activation (or `timeout` passes)."""
        slot, _ = parse_slot(container_id)
        reply = await self.redis.blpop([keys.bot_ack(activation_id)], timeout=timeout)
        if reply is None:
            return ActivationResult(
                ok=False, slot=slot, error=f"no answer from {slot} within {timeout:g} s"
            )
        data = json.loads(reply[1])
        return ActivationResult(
            ok=bool(data.get("ok")),
            slot=slot,
            client_id=data.get("client_id"),
            bot_username=data.get("bot_username"),
            error=data.get("error"),
            code=data.get("code"),
            duration_ms=data.get("duration_ms"),
        )

    # -- releasing --------------------------------------------------------------------------

    async def release_bot(
        self, container_id: str, *, reason: str = "released by operator", timeout: float = 15.0
    ) -> dict:
        """Stop the tenant bot in a slot and return the slot to waiting; the tenant's data stays.

        Returns `{"container_id", "released": bool, "client_id", "detail"}`.
        """
        slot, pool_id = parse_slot(container_id)
        doc = parse(await self.redis.get(keys.bot_status(slot)))
        if doc is None:
            raise SlotNotFound(f"slot {slot} is not registered")
        status = doc.get("status")
        client = doc.get("client_id")
        if status == SlotStatus.WAITING:
            return {
                "container_id": slot,
                "released": False,
                "client_id": None,
                "detail": "slot is already waiting",
            }
        if status == SlotStatus.RESERVED:
            await self._replace_if(
                keys=[keys.bot_status(slot)],
                args=[
                    SlotStatus.RESERVED,
                    json.dumps(
                        {
                            **doc,
                            "status": SlotStatus.WAITING,
                            "since": now_iso(),
                            "reservation_id": None,
                        }
                    ),
                    "",
                ],
            )
            return {
                "container_id": slot,
                "released": True,
                "client_id": None,
                "detail": "reservation cancelled",
            }
        heartbeat = await self.redis.zscore(keys.pool_heartbeats(), slot)
        if heartbeat is None or unix_now() - float(heartbeat) > self.stale_after:
            return await self._release_dead(slot, pool_id, doc, reason)
        request_id = uuid.uuid4().hex
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lpush(
                keys.bot_wake(slot),
                json.dumps({"cmd": "release", "request_id": request_id, "reason": reason}),
            )
            pipe.expire(keys.bot_wake(slot), RELEASE_TTL)
            await pipe.execute()
        reply = await self.redis.blpop([keys.bot_ack(request_id)], timeout=timeout)
        if reply is None:
            raise PoolError(f"slot {slot} did not confirm the release within {timeout:g} s")
        data = json.loads(reply[1])
        if not data.get("ok"):
            raise PoolError(f"slot {slot} could not release: {data.get('error')}")
        return {
            "container_id": slot,
            "released": status == SlotStatus.ACTIVE or bool(data.get("client_id")),
            "client_id": data.get("client_id") or client,
            "detail": "released",
        }

    async def _release_dead(self, slot: str, pool_id: int, doc: dict, reason: str) -> dict:
        if self.release_store is None:
            raise PoolError(
                f"slot {slot} has no recent heartbeat (its worker is down); "
                "release it with the CLI, which also updates PostgreSQL"
            )
        client = await self.release_store.release_dead_slot(slot, f"{reason} (worker down)")
        await self.redis.set(
            keys.bot_status(slot),
            status_doc(
                slot,
                pool_id,
                SlotStatus.WAITING,
                pid=doc.get("pid"),
                host=doc.get("host"),
                last_error="released while the worker was down",
            ),
        )
        return {
            "container_id": slot,
            "released": client is not None,
            "client_id": client,
            "detail": "worker was down; assignment ended in PostgreSQL",
        }


__all__ = [
    "ActivationResult",
    "BotPoolManager",
    "ConfigError",
    "PoolError",
    "SlotBusy",
    "SlotNotFound",
]
