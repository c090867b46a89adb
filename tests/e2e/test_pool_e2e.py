"""The pool for real: worker processes, real PostgreSQL and Redis, the Telegram sandbox."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from core import keys
from pool.config import ActivationConfig
from pool.status import RejectionCode
from sandbox.harness import REPO, wait_until
from tests.e2e.conftest import new_token

pytestmark = pytest.mark.e2e

# supervisor's stopwaitsecs for a slot: how long a clean stop may take before it is killed
SLOT_STOPWAITSECS = int(
    re.search(
        r"^stopwaitsecs=(\d+)$", (REPO / "deploy/supervisor/bot-pool.conf.tmpl").read_text(), re.M
    )[1]
)
CUSTOMER = 4242001


async def activate(stand, pool_id: int, token: str, client: str, company: str, admin: int = 777):
    await stand.grant(client)
    activation = await stand.manager.activate_bot(
        f"booking-bot-pool-{pool_id}", token, admin, client, company
    )
    return await stand.manager.wait_for_activation(f"booking-bot-pool-{pool_id}", activation, 30)


async def test_activation_restart_release_and_stop(stand, redis_client):
    token, username = new_token()
    await stand.tg.register_bot(token, username)
    w1, w2 = stand.start_worker(1), stand.start_worker(2)
    await stand.wait_status(1, "waiting")
    await stand.wait_status(2, "waiting")
    log = w1.log()
    assert "🕐 BOT CONTAINER STARTED IN WAITING MODE" in log
    assert "⏳ Waiting for configuration from Sales Bot..." in log
    assert len(await redis_client.keys("bot_status:*")) == 2

    # Activation through the manager: claim, hand over, acknowledgement.
    free = await stand.manager.find_free_bot()
    assert free == {"container_id": "booking-bot-pool-1", "pool_id": "1"}
    result = await activate(stand, 1, token, "client_001", "Салон Анны")
    assert result.ok, result.error
    assert result.bot_username == username
    slot = await stand.wait_status(1, "active", client_id="client_001")
    assert slot["activated_at"] and slot["bot_username"] == username
    assert await redis_client.exists(keys.bot_config("booking-bot-pool-1")) == 0
    reply = await stand.tg.ask(username, CUSTOMER, "/start", timeout=10)
    assert "Салон Анны" in reply["text"]
    assert "BOT ACTIVATED" in w1.log() and "client_001" in w1.log() and f"@{username}" in w1.log()
    assert token not in w1.log()

    # PostgreSQL holds the truth: tenant, encrypted token, open assignment, tenant schema.
    rows = await stand.fetch(
        "SELECT a.slot, b.token_encrypted, b.bot_username FROM platform.slot_assignments a"
        " JOIN platform.tenant_bots b USING (client_id) WHERE a.released_at IS NULL"
    )
    assert [(r["slot"], r["bot_username"]) for r in rows] == [("booking-bot-pool-1", username)]
    assert token not in rows[0]["token_encrypted"]
    assert stand.cipher.decrypt(rows[0]["token_encrypted"]) == token
    users = await stand.fetch("SELECT telegram_id FROM client_001.bot_users")
    assert [r["telegram_id"] for r in users] == [CUSTOMER]

    # kill -9 and restart: back as the same tenant without a new config, and it answers.
    old_pid = w1.pid
    w1.kill9()
    w1 = stand.start_worker(1)
    assert w1.pid != old_pid
    await wait_until(
        lambda: _slot_pid(stand, 1, w1.pid), timeout=60, what="restarted worker registered"
    )
    await stand.wait_status(1, "active", client_id="client_001", bot_username=username)
    reply = await stand.tg.ask(username, CUSTOMER, "/start", timeout=15)
    assert "Салон Анны" in reply["text"]
    assert "resumed after restart" in w1.log()

    # Release: the tenant bot stops, the slot waits, the data stays.
    released = await stand.manager.release_bot("booking-bot-pool-1", timeout=15)
    assert released["released"] and released["client_id"] == "client_001"
    await stand.wait_status(1, "waiting")
    open_rows = await stand.fetch(
        "SELECT 1 FROM platform.slot_assignments WHERE released_at IS NULL"
    )
    assert open_rows == []
    assert [
        r["telegram_id"] for r in await stand.fetch("SELECT telegram_id FROM client_001.bot_users")
    ] == [CUSTOMER]
    # nobody polls the token any more, so a message waits in Telegram, unanswered
    await wait_until(lambda: _nobody_polls(stand, username), what="the released bot stopped")
    await stand.tg.send_message(username, CUSTOMER, "/start")
    assert await _nobody_polls(stand, username)
    assert (await stand.tg.stats())["bots"][username]["pending_updates"] >= 1
    assert (await stand.tg.transcript(username, CUSTOMER))[-1]["from"] == "user"

    # The released tenant can be activated again, on another slot, with its data.
    result = await activate(stand, 2, token, "client_001", "Салон Анны")
    assert result.ok, result.error
    reply = await stand.tg.ask(username, CUSTOMER, "/start", timeout=10)
    assert "Салон Анны" in reply["text"]

    # SIGTERM: a clean stop (exit 0) before supervisor would kill the slot (its stopwaitsecs),
    # and the slot unregisters. The bound is the deployment's, not a guess at this machine's
    # speed: two test processes starting workers at once made 10 s too tight here.
    assert w2.terminate(timeout=SLOT_STOPWAITSECS) == 0
    assert await redis_client.exists(keys.bot_status("booking-bot-pool-2")) == 0
    assert w1.terminate(timeout=SLOT_STOPWAITSECS) == 0


async def _slot_pid(stand, pool_id, pid):
    slot = await stand.slot(pool_id)
    return slot is not None and slot["pid"] == pid


async def test_rejected_token_returns_the_slot_to_waiting_and_allows_a_retry(stand):
    token, username = new_token()  # not registered yet: Telegram answers 401
    stand.start_worker(1)
    await stand.wait_status(1, "waiting")
    result = await activate(stand, 1, token, "client_002", "Барбершоп")
    assert not result.ok
    assert "401" in result.error
    assert result.code == RejectionCode.TOKEN_REJECTED
    slot = await stand.wait_status(1, "waiting")
    assert "401" in slot["last_error"]
    assert "rejected" in stand.workers[1].log() and token not in stand.workers[1].log()
    assert await stand.fetch("SELECT 1 FROM platform.slot_assignments") == []
    history = await stand.fetch("SELECT event, client_id FROM platform.activation_history")
    assert [(r["event"], r["client_id"]) for r in history] == [("rejected", "client_002")]

    # Nothing half-created blocks a retry with a valid token.
    await stand.tg.register_bot(token, username)
    result = await activate(stand, 1, token, "client_002", "Барбершоп")
    assert result.ok, result.error
    slot = await stand.wait_status(1, "active", client_id="client_002")
    assert slot.get("last_error") is None
    reply = await stand.tg.ask(username, CUSTOMER, "/start", timeout=10)
    assert "Барбершоп" in reply["text"]


async def test_same_tenant_cannot_run_on_two_slots(stand):
    token, username = new_token()
    await stand.tg.register_bot(token, username)
    stand.start_worker(1), stand.start_worker(2)
    await stand.wait_status(1, "waiting")
    await stand.wait_status(2, "waiting")
    assert (await activate(stand, 1, token, "client_003", "Студия")).ok
    second = await activate(stand, 2, token, "client_003", "Студия")
    assert not second.ok and "already active on booking-bot-pool-1" in second.error
    assert second.code == RejectionCode.TENANT_ACTIVE
    await stand.wait_status(2, "waiting")
    await stand.wait_status(1, "active", client_id="client_003")


async def test_redis_restarted_empty_workers_come_back(stand, redis_server, redis_client):
    token, username = new_token()
    await stand.tg.register_bot(token, username)
    stand.start_worker(1), stand.start_worker(2)
    await stand.wait_status(1, "waiting")
    await stand.wait_status(2, "waiting")
    assert (await activate(stand, 2, token, "client_004", "Ногти и брови")).ok

    await asyncio.to_thread(redis_server.restart_empty)
    await stand.wait_status(1, "waiting", timeout=30)
    await stand.wait_status(2, "active", timeout=30, client_id="client_004")
    assert len(await redis_client.keys("bot_status:*")) == 2
    reply = await stand.tg.ask(username, CUSTOMER, "/start", timeout=10)
    assert "Ногти и брови" in reply["text"]
    # and the pool works again: the free slot can still be claimed and activated
    token2, username2 = new_token()
    await stand.tg.register_bot(token2, username2)
    assert (await stand.manager.find_free_bot())["container_id"] == "booking-bot-pool-1"
    assert (await activate(stand, 1, token2, "client_005", "Второй салон")).ok


async def test_config_without_wakeup_is_found_by_the_periodic_check(stand, redis_client):
    """The seed's 5 s check of bot_config:<slot> still works when the wake-up is lost."""
    token, username = new_token()
    await stand.tg.register_bot(token, username)
    stand.start_worker(1)
    await stand.wait_status(1, "waiting")
    await asyncio.sleep(6)  # the worker has been blocked in its wait for longer than 5 s
    # Written the seed's way: a plain SET of bot_config:<slot>, no wake-up at all.
    config = ActivationConfig.create(
        activation_id="seed-style",
        bot_token=token,
        admin_telegram_id=777,
        client_id="client_006",
        company_name="Без будильника",
    )
    await stand.grant("client_006")  # no Sales here: the operator's grant lets it run
    await redis_client.set(
        keys.bot_config("booking-bot-pool-1"), config.dumps(stand.cipher, "now"), ex=300
    )
    started = time.monotonic()
    await stand.wait_status(1, "active", timeout=15, client_id="client_006")
    assert time.monotonic() - started < 7
    reply = await stand.tg.ask(username, CUSTOMER, "/start", timeout=10)
    assert "Без будильника" in reply["text"]


async def _nobody_polls(stand, username: str) -> bool:
    return (await stand.tg.stats())["bots"][username]["active_pollers"] == 0
