"""Bounded Redis (issue 10, item 4) against a real redis-server: the memory alert and metric,
the FSM TTLs of both bots (the Sales Bot's dialogs too), and the pool's alerts for slots that
are fenced, failing or stuck."""

from __future__ import annotations

from decimal import Decimal

from aiogram.fsm.storage.base import StorageKey

from bots import texts
from bots.context import TenantContext
from bots.factory import BotOptions, build_dispatcher
from master.alerts import pool_conditions, redis_memory_alert
from master.metrics import redis_memory_families
from sales import texts as sales_texts
from sales.app import build_dispatcher as build_sales_dispatcher
from sales.callbacks import MenuAction, MenuCallback
from sales.repository import Tariff
from tests.integration.booking_stand import running_salon, set_up
from tests.screens import press, recording_bot


async def test_redis_past_80_percent_of_maxmemory_raises_an_alert_and_shows_in_metrics(
    redis_client,
):
    await redis_client.set("x", "y" * 100_000)
    used = (await redis_client.info("memory"))["used_memory"]
    try:
        assert await redis_memory_alert(redis_client, 0.8) is None  # no maxmemory: no limit
        await redis_client.config_set("maxmemory", str(int(used * 1.1)))
        alert = await redis_memory_alert(redis_client, 0.8)
        assert alert is not None and alert.key == "redis_memory"
        assert "Redis" in alert.text and "%" in alert.text
        families = {f.name: f.samples[0].value for f in await redis_memory_families(redis_client)}
        assert families["bot_pool_redis_maxmemory_bytes"] == int(used * 1.1)
        assert families["bot_pool_redis_used_memory_bytes"] > 0.8 * int(used * 1.1)
        await redis_client.config_set("maxmemory", str(used * 10))
        assert await redis_memory_alert(redis_client, 0.8) is None
    finally:
        await redis_client.config_set("maxmemory", "0")


async def test_the_tenant_bot_fsm_state_and_data_expire(redis_client):
    dp = build_dispatcher(
        TenantContext("client_031", "Салон", 1),
        redis=redis_client,
        db=None,
        options=BotOptions(fsm_ttl=60),
    )
    key = StorageKey(bot_id=1, chat_id=5, user_id=5)
    await dp.storage.set_state(key, "Booking:name")
    await dp.storage.set_data(key, {"service_id": 1})
    found = await redis_client.keys("client_031:fsm:*")
    assert len(found) == 2
    for k in found:
        assert 0 < await redis_client.ttl(k) <= 60


async def test_an_abandoned_dialog_leaves_only_keys_that_expire(pg_dsn, redis_client):
    """aiogram-dialog keeps a stack and a context per customer (destiny keys): they live
    under the tenant's FSM prefix, with the bot's FSM TTL."""
    customer = 7300001
    async with running_salon(pg_dsn, redis_client) as salon:
        await set_up(salon)
        await salon.tg.ask(salon.username, customer, "/start")
        await salon.tg.click(salon.username, customer, texts.MENU_BOOK)
        reply = await salon.tg.click(salon.username, customer, "Стрижка")
        assert "Выберите специалиста" in reply["text"]  # and the customer walks away
    found = await redis_client.keys(f"client_001:fsm:*{customer}*")
    assert any(":aiogd:stack:" in k for k in found), found
    assert any(":aiogd:context:" in k for k in found), found
    for k in found:
        assert 0 < await redis_client.ttl(k) <= BotOptions().fsm_ttl, k


def test_fenced_stuck_and_failing_slots_are_alerts():
    slot = {
        "container_id": "booking-bot-pool-2",
        "status": "active",
        "stale": False,
        "heartbeat_age": 1.0,
        "client_id": "client_032",
    }
    status = {"total": 10, "busy": 1, "free": 9, "slots": [slot]}
    assert pool_conditions(status, 0.8) == []
    slot["polling_error"] = "TelegramConflictError: 409 (×5)"
    [alert] = pool_conditions(status, 0.8)
    assert alert.key == "polling:booking-bot-pool-2" and "client_032" in alert.text
    del slot["polling_error"]
    slot.update(status="resuming", resume_error="schema failed: UniqueViolationError (×3)")
    [alert] = pool_conditions(status, 0.8)
    assert alert.key == "resume:booking-bot-pool-2" and "client_032" in alert.text


def test_the_pool_screen_shows_why_a_slot_fails():
    from master.views import pool_text

    slot = {
        "container_id": "booking-bot-pool-3",
        "pool_id": 3,
        "status": "active",
        "stale": False,
        "heartbeat_age": 1.0,
        "client_id": "client_033",
        "bot_username": "salon_bot",
        "activated_at": None,
        "since": None,
        "polling_error": "TelegramConflictError: Conflict: webhook is active (×4)",
    }
    status = {"total": 1, "busy": 1, "free": 0, "stale": 0, "slots": [slot]}
    assert "webhook is active (×4)" in pool_text(status)


class OneTariff:
    async def tariffs(self) -> list[Tariff]:
        return [Tariff(1, "m1", "1 месяц", 30, Decimal("990"), "RUB")]


async def test_an_abandoned_sales_dialog_expires(redis_client):
    dp = build_sales_dispatcher(redis=redis_client, purchase_service=OneTariff(), fsm_ttl=60)
    bot = recording_bot("6100000996:AAsalesDialogTtl_abcdefghijklmnopqrstuv")
    await dp.feed_update(bot, press(8800002, MenuCallback(action=MenuAction.BUY).pack()))

    [screen] = bot.session.sent
    assert screen.text == sales_texts.CHOOSE_TARIFF  # the purchase dialog's first window
    found = await redis_client.keys("sales:fsm:*")
    assert any(":aiogd:stack:" in k for k in found), found
    assert any(":aiogd:context:" in k for k in found), found
    for k in found:
        assert 0 < await redis_client.ttl(k) <= 60, k
