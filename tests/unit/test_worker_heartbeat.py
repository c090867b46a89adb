"""One heartbeat of a slot (`SlotWorker._beat`, run by `core.periodic`) against fakeredis: it
registers the slot again when Redis lost it, rides out Redis being away, and hands any other
error to the loop (which logs it and beats on) without losing a pending status change."""

from __future__ import annotations

import json

import fakeredis
import pytest
import pytest_asyncio
from loguru import logger

from core import keys
from core.crypto import TokenCipher
from core.settings import Settings
from pool.worker import SlotWorker

SLOT = "booking-bot-pool-4"


class NoStore:
    cipher = None


@pytest_asyncio.fixture
async def server_and_redis():
    server = fakeredis.FakeServer()
    client = fakeredis.FakeAsyncRedis(server=server, decode_responses=True)
    yield server, client
    await client.aclose()


@pytest.fixture
def worker(server_and_redis):
    _, redis = server_and_redis
    settings = Settings(
        _env_file=None, bot_pool_id=4, token_encryption_key=TokenCipher.generate_key()
    )
    return SlotWorker(settings, redis, NoStore(), logger.bind(slot=SLOT), beat=redis)


async def test_a_beat_registers_the_slot_again_when_redis_lost_it(worker, server_and_redis):
    _, redis = server_and_redis
    await worker._beat()
    assert json.loads(await redis.get(keys.bot_status(SLOT)))["status"] == "waiting"
    assert await redis.zscore(keys.pool_heartbeats(), SLOT) is not None


async def test_redis_away_is_a_warning_and_the_change_waits_for_the_next_beat(
    worker, server_and_redis
):
    server, redis = server_and_redis
    worker._status_changed = True
    server.connected = False
    await worker._beat()  # no exception: the next beat tries again
    assert worker._status_changed
    server.connected = True
    await worker._beat()
    assert not worker._status_changed
    assert await redis.get(keys.bot_status(SLOT)) is not None


async def test_another_error_reaches_the_loop_and_keeps_the_pending_change(worker):
    async def broken() -> None:
        raise RuntimeError("NOSCRIPT or whatever else")

    worker._expire_reservation = broken
    worker._status_changed = True
    with pytest.raises(RuntimeError):
        await worker._beat()
    assert worker._status_changed
