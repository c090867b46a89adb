"""Pool manager logic against fakeredis (the same scripts run on a real Redis in integration)."""

import asyncio
import json

import fakeredis
import pytest
import pytest_asyncio

from core import keys
from core.crypto import TokenCipher
from pool.config import ActivationConfig, ConfigError
from pool.manager import BotPoolManager, SlotBusy, SlotNotFound
from pool.status import SlotStatus, status_doc, unix_now

TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"


@pytest_asyncio.fixture
async def redis():
    client = fakeredis.FakeAsyncRedis(decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
def cipher():
    return TokenCipher(TokenCipher.generate_key())


@pytest.fixture
def manager(redis, cipher):
    return BotPoolManager(redis, cipher, stale_after=20)


async def register(redis, n, *, status=SlotStatus.WAITING, age=0.0, **fields):
    slot = f"booking-bot-pool-{n}"
    await redis.set(keys.bot_status(slot), status_doc(slot, n, status, **fields))
    await redis.zadd(keys.pool_heartbeats(), {slot: unix_now() - age})
    return slot


async def test_pool_is_discovered_from_registered_slots(redis, manager):
    assert (await manager.get_pool_status())["total"] == 0
    for n in (1, 2, 10):
        await register(redis, n)
    await register(redis, 3, status="active", client_id="client_001", bot_username="a_bot")
    await register(redis, 4, age=60)  # waiting but silent: stale
    status = await manager.get_pool_status()
    assert status["total"] == 5
    assert status["free"] == 3
    assert status["busy"] == 2
    assert status["stale"] == 1
    assert [s["container_id"] for s in status["slots"]] == [
        "booking-bot-pool-1",
        "booking-bot-pool-2",
        "booking-bot-pool-3",
        "booking-bot-pool-4",
        "booking-bot-pool-10",
    ]
    active = status["slots"][2]
    assert (active["client_id"], active["bot_username"]) == ("client_001", "a_bot")
    assert status["slots"][3]["stale"] is True


async def test_find_free_bot_reserves_lowest_live_waiting_slot(redis, manager):
    await register(redis, 1, status="active", client_id="client_001")
    await register(redis, 2, age=60)
    await register(redis, 3)
    await register(redis, 4)
    assert await manager.find_free_bot() == {"container_id": "booking-bot-pool-3", "pool_id": "3"}
    assert await manager.find_free_bot() == {"container_id": "booking-bot-pool-4", "pool_id": "4"}
    assert await manager.find_free_bot() is None
    doc = json.loads(await redis.get(keys.bot_status("booking-bot-pool-3")))
    assert doc["status"] == "reserved"


async def test_concurrent_claims_never_share_a_slot(redis, manager):
    for n in range(1, 6):
        await register(redis, n)
    results = await asyncio.gather(*(manager.find_free_bot() for _ in range(20)))
    claimed = [r["container_id"] for r in results if r]
    assert len(claimed) == 5
    assert len(set(claimed)) == 5


async def test_activate_writes_config_with_ttl_and_wakes_worker(redis, manager, cipher):
    slot = await register(redis, 1)
    activation_id = await manager.activate_bot(slot, TOKEN, 987654321, "client_003", "Салон Анны")
    raw = await redis.get(keys.bot_config(slot))
    assert TOKEN not in raw
    config = ActivationConfig.loads(raw, cipher)
    assert (config.client_id, config.bot_token, config.activation_id) == (
        "client_003",
        TOKEN,
        activation_id,
    )
    ttl = await redis.ttl(keys.bot_config(slot))
    assert 295 <= ttl <= 300
    assert await redis.lrange(keys.bot_wake(slot), 0, -1) == ['{"cmd":"activate"}']
    doc = json.loads(await redis.get(keys.bot_status(slot)))
    assert (doc["status"], doc["client_id"]) == ("activating", "client_003")


async def test_activate_refuses_busy_stale_unknown_and_bad_input(redis, manager):
    busy = await register(redis, 1, status="active", client_id="client_001")
    stale = await register(redis, 2, age=60)
    free = await register(redis, 3)
    with pytest.raises(SlotBusy, match="active by client_001"):
        await manager.activate_bot(busy, TOKEN, 1, "client_002", "X")
    with pytest.raises(SlotBusy, match="worker is down"):
        await manager.activate_bot(stale, TOKEN, 1, "client_002", "X")
    with pytest.raises(SlotNotFound):
        await manager.activate_bot("booking-bot-pool-9", TOKEN, 1, "client_002", "X")
    with pytest.raises(ConfigError, match="malformed bot token"):
        await manager.activate_bot(free, "nope", 1, "client_002", "X")
    assert await redis.get(keys.bot_config(free)) is None
    await manager.activate_bot(free, TOKEN, 1, "client_002", "X")
    with pytest.raises(SlotBusy, match="activating"):
        await manager.activate_bot(free, TOKEN, 1, "client_004", "Y")


async def test_release_of_reserved_and_waiting_slots(redis, manager):
    slot = await register(redis, 1)
    assert (await manager.release_bot(slot))["released"] is False
    assert (await manager.find_free_bot())["container_id"] == slot
    result = await manager.release_bot(slot)
    assert result["detail"] == "reservation cancelled"
    assert json.loads(await redis.get(keys.bot_status(slot)))["status"] == "waiting"


async def test_release_sends_command_and_waits_for_ack(redis, manager):
    slot = await register(redis, 1, status="active", client_id="client_001")

    async def fake_worker():
        _, raw = await redis.blpop([keys.bot_wake(slot)], timeout=5)
        command = json.loads(raw)
        assert command["cmd"] == "release"
        await redis.lpush(
            keys.bot_ack(command["request_id"]), json.dumps({"ok": True, "client_id": "client_001"})
        )

    worker = asyncio.create_task(fake_worker())
    result = await manager.release_bot(slot, timeout=5)
    await worker
    assert result == {
        "container_id": slot,
        "released": True,
        "client_id": "client_001",
        "detail": "released",
    }


async def test_release_of_a_dead_slot_needs_the_database(redis, manager):
    slot = await register(redis, 1, status="active", client_id="client_001", age=120)
    with pytest.raises(Exception, match="worker is down"):
        await manager.release_bot(slot)

    released = []

    class Store:
        async def release_dead_slot(self, slot, reason):
            released.append((slot, reason))
            return "client_001"

    manager.release_store = Store()
    result = await manager.release_bot(slot)
    assert result["released"] and result["client_id"] == "client_001"
    assert released[0][0] == slot
    assert json.loads(await redis.get(keys.bot_status(slot)))["status"] == "waiting"
