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
        health_check_interval=15,
    )
