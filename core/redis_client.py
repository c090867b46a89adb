"""Redis clients built from settings."""

from __future__ import annotations

import redis.asyncio as aioredis


def make_redis(settings, *, decode_responses: bool = True) -> aioredis.Redis:
    password = settings.redis_password.get_secret_value() if settings.redis_password else None
    return aioredis.Redis(
        host=settings.redis_host,
        port=settings.redis_port,
        password=password,
        db=settings.redis_db,
        decode_responses=decode_responses,
        socket_connect_timeout=5,
        # redis-py 8 defaults to a 5 s socket timeout, which cuts blocking commands (BLPOP with
        # a 5 s or longer timeout) and retries them forever. Our waits are bounded by the
        # commands' own timeouts; keepalive and health checks find dead connections.
        socket_timeout=None,
        socket_keepalive=True,
        health_check_interval=15,
    )
