"""The pool manager's scripts on a real redis-server."""

import asyncio
import json

from core import keys
from core.crypto import TokenCipher
from pool.manager import BotPoolManager
from pool.status import SlotStatus, status_doc, unix_now

TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"


async def register(redis, n):
    slot = f"booking-bot-pool-{n}"
    await redis.set(keys.bot_status(slot), status_doc(slot, n, SlotStatus.WAITING))
    await redis.zadd(keys.pool_heartbeats(), {slot: unix_now()})
    return slot


async def test_twenty_concurrent_claims_on_five_slots(redis_client, redis_server):
    for n in range(1, 6):
        await register(redis_client, n)
    cipher = TokenCipher(TokenCipher.generate_key())
    # 20 callers, each with its own connection, as 20 Sales processes would be.
    clients = [
        type(redis_client)(
            host=redis_server.host,
            port=redis_server.port,
            password=redis_server.password,
            decode_responses=True,
        )
        for _ in range(20)
    ]
    try:
        managers = [BotPoolManager(c, cipher) for c in clients]
        results = await asyncio.gather(*(m.find_free_bot() for m in managers))
    finally:
        for c in clients:
            await c.aclose()
    claimed = [r["container_id"] for r in results if r is not None]
    assert sorted(claimed) == [f"booking-bot-pool-{n}" for n in range(1, 6)]
    assert results.count(None) == 15
    statuses = [json.loads(await redis_client.get(keys.bot_status(s)))["status"] for s in claimed]
    assert statuses == ["reserved"] * 5


async def test_config_key_has_300s_ttl(redis_client):
    slot = await register(redis_client, 1)
    manager = BotPoolManager(redis_client, TokenCipher(TokenCipher.generate_key()))
    await manager.activate_bot(slot, TOKEN, 42, "client_001", "Салон")
    ttl = await redis_client.ttl(keys.bot_config(slot))
    assert 295 <= ttl <= 300
    assert TOKEN not in await redis_client.get(keys.bot_config(slot))
