"""Redis ACL users on a real redis-server: a tenant's user reaches only `client_NNN:*` with the
commands its bot runs; the pool's user never reaches Sales' keys or the ACL."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisStorage
from redis.exceptions import AuthenticationError, NoPermissionError

from core import keys, redis_acl
from core.crypto import TokenCipher
from core.tenant_access import restore_tenant_redis_users, tenant_redis_password

CIPHER = TokenCipher(TokenCipher.generate_key())


def client_as(redis_server, user: str, password: str) -> aioredis.Redis:
    return aioredis.Redis(
        host=redis_server.host,
        port=redis_server.port,
        username=user,
        password=password,
        decode_responses=True,
    )


@pytest.fixture
async def tenant(redis_server, redis_client):
    """client_001's user and client; client_002's and Sales' keys exist beside it."""
    password = tenant_redis_password(CIPHER, "client_001")
    await redis_acl.ensure_tenant_user(redis_client, "client_001", password)
    await redis_client.set("client_002:fsm:1:1:data", '{"phone": "+7900"}')
    await redis_client.set("sales:fsm:5:5:data", '{"token": "secret"}')
    client = client_as(redis_server, "client_001", password)
    try:
        yield client
    finally:
        await client.aclose()


async def test_a_tenant_user_works_with_its_own_keys(tenant):
    storage = RedisStorage(  # as the bot builds it: state and data expire (SET … EX)
        tenant,
        key_builder=DefaultKeyBuilder(prefix=keys.fsm_prefix("client_001")),
        state_ttl=60,
        data_ttl=60,
    )
    key = StorageKey(bot_id=1, chat_id=7, user_id=7)
    await storage.set_state(key, "Booking:name")
    await storage.set_data(key, {"service": 3})
    assert 0 < await tenant.ttl("client_001:fsm:7:7:data") <= 60
    assert await storage.get_state(key) == "Booking:name"
    assert await storage.get_data(key) == {"service": 3}
    await storage.set_state(key, None)
    async with tenant.pipeline(transaction=True) as pipe:  # the rate limiter's commands
        pipe.incr(keys.ratelimit("client_001", 7))
        pipe.pexpire(keys.ratelimit("client_001", 7), 10_000, nx=True)
        count, _ = await pipe.execute()
    assert count == 1
    assert await tenant.ping()


@pytest.mark.parametrize(
    "command",
    [
        ("KEYS", "*"),
        ("SCAN", "0"),
        ("GET", "client_002:fsm:1:1:data"),
        ("SET", "client_002:fsm:1:1:data", "x"),
        ("GET", "sales:fsm:5:5:data"),
        ("GET", "bot_config:booking-bot-pool-1"),
        ("CONFIG", "GET", "requirepass"),
        ("FLUSHALL",),
        ("FLUSHDB",),
        ("ACL", "LIST"),
        ("ACL", "SETUSER", "client_001", "+@all"),
        ("SAVE",),
        ("PUBLISH", "client_001:x", "y"),
        ("EVAL", "return redis.call('GET', KEYS[1])", "1", "client_002:fsm:1:1:data"),
    ],
)
async def test_a_tenant_user_cannot(tenant, redis_client, command):
    with pytest.raises(NoPermissionError):
        await tenant.execute_command(*command)
    assert await redis_client.get("client_002:fsm:1:1:data") == '{"phone": "+7900"}'


async def test_the_pool_user_reaches_slot_keys_but_not_sales_or_tenants(redis_server, redis_client):
    await redis_acl.set_user(
        redis_client, "booking_pool", redis_acl.service_rules("booking_pool", "pool-pw")
    )
    await redis_client.set("sales:fsm:5:5:data", '{"token": "secret"}')
    pool = client_as(redis_server, "booking_pool", "pool-pw")
    try:
        await pool.set(keys.bot_status("booking-bot-pool-1"), "{}")
        await pool.zadd(keys.pool_heartbeats(), {"booking-bot-pool-1": 1})
        assert await pool.blpop([keys.bot_wake("booking-bot-pool-1")], timeout=0.1) is None
        async with pool.pipeline(transaction=True) as pipe:  # the fencing wake-up, with a TTL
            pipe.lpush(keys.bot_wake("booking-bot-pool-1"), '{"cmd": "fence"}')
            pipe.expire(keys.bot_wake("booking-bot-pool-1"), 300)
            await pipe.execute()
        assert await pool.ttl(keys.bot_wake("booking-bot-pool-1")) > 0
        for command in (
            ("GET", "sales:fsm:5:5:data"),
            ("GET", "client_001:fsm:1:1:data"),
            ("KEYS", "*"),
            ("CONFIG", "GET", "requirepass"),
            ("FLUSHALL",),
            ("ACL", "SETUSER", "client_001", "on", ">x", "~*", "+@all"),
        ):
            with pytest.raises(NoPermissionError):
                await pool.execute_command(*command)
    finally:
        await pool.aclose()


async def test_sales_may_create_tenant_users_and_restore_lost_ones(redis_server, redis_client):
    await redis_acl.set_user(
        redis_client, "booking_sales", redis_acl.service_rules("booking_sales", "sales-pw")
    )
    sales = client_as(redis_server, "booking_sales", "sales-pw")
    try:
        assert await restore_tenant_redis_users(sales, CIPHER, ["client_003", "client_004"]) == [
            "client_003",
            "client_004",
        ]
        assert await restore_tenant_redis_users(sales, CIPHER, ["client_003"]) == []
        for command in (("CONFIG", "GET", "requirepass"), ("FLUSHALL",), ("KEYS", "*")):
            with pytest.raises(NoPermissionError):
                await sales.execute_command(*command)
    finally:
        await sales.aclose()
    restored = client_as(redis_server, "client_003", tenant_redis_password(CIPHER, "client_003"))
    try:
        assert await restored.set("client_003:fsm:x", "1")
    finally:
        await restored.aclose()
    wrong = client_as(redis_server, "client_003", tenant_redis_password(CIPHER, "client_004"))
    with pytest.raises(AuthenticationError):
        await wrong.ping()
    await wrong.aclose()


async def test_ensure_is_idempotent_and_a_server_without_aclfile_is_not_an_error(redis_client):
    password = tenant_redis_password(CIPHER, "client_005")
    await redis_acl.ensure_tenant_user(redis_client, "client_005", password)
    await redis_acl.ensure_tenant_user(redis_client, "client_005", password)
    assert await redis_acl.save(redis_client) is False
    rules = await redis_client.execute_command("ACL", "GETUSER", "client_005")
    assert rules
