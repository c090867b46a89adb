"""Redis ACL users: one per tenant (`client_NNN`, its own keys only) and one per service.

Every rule is here, so what each user may do is read in one place:

- a tenant's bot: its keys `client_NNN:*` (FSM and rate limits) and the few commands aiogram's
  RedisStorage and the rate limiter run; no KEYS/SCAN/CONFIG/FLUSH*/ACL/DEBUG, no pub/sub;
- the pool (`booking_pool`): the slot keys (status, hand-off, wake-ups, acks, heartbeats) and the
  update counter, with the commands the worker runs; never `sales:*` or tenants' keys;
- Sales and Master: their own keys and the pool's, everything but @dangerous, plus the ACL
  commands that create tenants' users — they activate tenants (`BotPoolManager.activate_bot`).
  Sales may also delete (never read) tenants' keys: it deletes an archived tenant's keys and
  user when its data is due for deletion (`sales.retention`).
  `ACL SETUSER` is as strong as the admin password (it can make a user of every key), which is
  why the pool, whose process runs tenant code, may not run it.

Passwords go to Redis as SHA-256 hashes (`#…`), so the plain text is never sent.
"""

from __future__ import annotations

import hashlib

import redis.asyncio as aioredis
from redis.exceptions import NoPermissionError, ResponseError

from core.keys import check_client_id

# Commands a tenant bot runs: aiogram's RedisStorage (GET/SET/DEL), the rate limiter
# (MULTI INCR(BY) PEXPIRE EXEC), redis-py's health checks. (redis-py's CLIENT SETINFO at connect may
# be refused: it ignores that; Redis 7.0 has no such command to allow.)
TENANT_COMMANDS = (
    "get set del exists incr incrby pexpire expire pttl ttl multi exec discard ping echo"
)
POOL_KEYS = (
    "bot_status:*",
    "bot_config:*",
    "bot_wake:*",
    "bot_ack:*",
    "bot_pool:*",
    "metrics:tenant_updates",
)
# The worker's commands, including those its Lua scripts run (pool/scripts.py).
POOL_COMMANDS = (
    "get set getdel del exists expire pexpire ttl lpush rpush blpop lpop llen zadd zrem zscore"
    " zrange zrangebyscore hincrby hget multi exec discard eval evalsha script|load ping echo"
)
ACL_ADMIN_COMMANDS = "acl|setuser acl|getuser acl|users acl|save acl|deluser"
SERVICE_KEYS = {
    "booking_pool": POOL_KEYS,
    "booking_sales": (*POOL_KEYS, "sales:*", "metrics:*"),
    "booking_master": (*POOL_KEYS, "master:*", "metrics:*"),
}
# Keys a service may delete (and write) but never read: `%W~pattern`.
SERVICE_WRITE_ONLY_KEYS = {"booking_sales": ("client_*",)}
SERVICE_PASSWORD_ENV = {
    "booking_pool": "REDIS_POOL_PASSWORD",
    "booking_sales": "REDIS_SALES_PASSWORD",
    "booking_master": "REDIS_MASTER_PASSWORD",
}


def password_hash(password: str) -> str:
    return "#" + hashlib.sha256(password.encode()).hexdigest()


def _commands(spec: str) -> list[str]:
    return ["+" + name for name in spec.split()]


def tenant_rules(client_id: str, password: str) -> list[str]:
    client_id = check_client_id(client_id)
    return [
        "reset",
        "on",
        password_hash(password),
        f"~{client_id}:*",
        "resetchannels",
        "-@all",
        *_commands(TENANT_COMMANDS),
    ]


def service_rules(user: str, password: str) -> list[str]:
    patterns = SERVICE_KEYS[user]
    if user == "booking_pool":
        commands = ["-@all", *_commands(POOL_COMMANDS)]
    else:
        commands = ["+@all", "-@dangerous", *_commands(ACL_ADMIN_COMMANDS), "+info"]
    return [
        "reset",
        "on",
        password_hash(password),
        *(f"~{p}" for p in patterns),
        *(f"%W~{p}" for p in SERVICE_WRITE_ONLY_KEYS.get(user, ())),
        "resetchannels",
        *commands,
    ]


async def set_user(redis: aioredis.Redis, user: str, rules: list[str]) -> None:
    await redis.execute_command("ACL", "SETUSER", user, *rules)


async def save(redis: aioredis.Redis) -> bool:
    """`ACL SAVE` when the server keeps its users in an aclfile (a deployment); False when it
    has none (a developer machine: users live until the server restarts)."""
    try:
        await redis.execute_command("ACL", "SAVE")
    except ResponseError as exc:
        if "not configured to use an ACL file" in str(exc):
            return False
        raise
    return True


async def ensure_tenant_user(redis: aioredis.Redis, client_id: str, password: str) -> None:
    """Create or reset the tenant's user (idempotent), and persist it where the server can."""
    await set_user(redis, client_id, tenant_rules(client_id, password))
    await save(redis)


async def try_ensure_tenant_user(redis: aioredis.Redis, client_id: str, password: str) -> bool:
    """`ensure_tenant_user` if this connection may run ACL (a developer machine, where the
    default user is the admin); False where it may not (the pool of a deployment: Sales and
    `booking-pool migrate` create tenants' users there)."""
    try:
        await ensure_tenant_user(redis, client_id, password)
    except NoPermissionError:
        return False
    return True


async def missing_users(redis: aioredis.Redis, names: list[str]) -> list[str]:
    if not names:
        return []
    present = {
        n.decode() if isinstance(n, bytes) else n
        for n in await redis.execute_command("ACL", "USERS")
    }
    return [name for name in names if name not in present]


async def restore_tenant_users(redis: aioredis.Redis, passwords: dict[str, str]) -> list[str]:
    """Create the users of these tenants that Redis does not have (e.g. after a restart without
    an aclfile); returns the client ids restored."""
    missing = await missing_users(redis, sorted(passwords))
    for client_id in missing:
        await set_user(redis, client_id, tenant_rules(client_id, passwords[client_id]))
    if missing:
        await save(redis)
    return missing


async def delete_tenant(redis: aioredis.Redis, client_id: str) -> int:
    """Delete the tenant's user (closing its connections) and every key `client_NNN:*`; returns
    the number of keys deleted. Idempotent. Needs a user that may run ACL DELUSER, SCAN and
    delete the tenant's keys (the admin, or Sales)."""
    client_id = check_client_id(client_id)
    await redis.execute_command("ACL", "DELUSER", client_id)
    await save(redis)
    deleted = 0
    batch: list = []
    async for key in redis.scan_iter(match=f"{client_id}:*", count=500):
        batch.append(key)
        if len(batch) >= 500:
            deleted += await redis.unlink(*batch)
            batch = []
    if batch:
        deleted += await redis.unlink(*batch)
    return deleted
