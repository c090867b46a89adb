"""Redis clients built from settings."""

from __future__ import annotations

import redis.asyncio as aioredis

from core.keys import check_client_id


def make_redis(
    settings, *, decode_responses: bool = True, socket_timeout: float | None = None
) -> aioredis.Redis:
    """The service's own client (`REDIS_USERNAME` / `REDIS_PASSWORD`). `socket_timeout` bounds
    every command (e.g. the pool's heartbeats); leave it None on a client that blocks (BLPOP)."""
    password = settings.redis_password.get_secret_value() if settings.redis_password else None
    return _client(
        settings, settings.redis_username or None, password, decode_responses, socket_timeout
    )


def make_tenant_redis(settings, client_id: str, password: str) -> aioredis.Redis:
    """A tenant bot's client: ACL user `client_NNN`, which reaches only `client_NNN:*`."""
    # no blocking commands here: a stalled server must not hang a customer's update
    return _client(settings, check_client_id(client_id), password, True, 5.0)


def _client(settings, username, password, decode_responses, socket_timeout) -> aioredis.Redis:
    return aioredis.Redis(
        host=settings.redis_host,
        port=settings.redis_port,
        username=username,
        password=password,
        db=settings.redis_db,
        decode_responses=decode_responses,
        socket_connect_timeout=5,
        # redis-py 8 defaults to a 5 s socket timeout, which cuts blocking commands (BLPOP with
        # a 5 s or longer timeout) and retries them forever. The services' waits are bounded by
        # the commands' own timeouts (None); keepalive and health checks find dead connections.
        socket_timeout=socket_timeout,
        socket_keepalive=True,
        health_check_interval=15,
    )
