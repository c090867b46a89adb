"""Bounded Redis (issue 10, item 4): everything the bots write expires when abandoned."""

from __future__ import annotations

import pytest

from bots import texts
from sandbox.harness import wait_until
from tests.e2e.conftest import new_token

pytestmark = pytest.mark.e2e
OWNER = 991001
CUSTOMER = 991101
# Keys that live as long as what they describe, bounded by the pool's size or the number of
# tenants, and that must not expire (see core/keys.py); everything else must carry a TTL.
LONG_LIVED = ("bot_status:", "bot_pool:heartbeats", "metrics:tenant_updates", "master:")


async def test_every_key_the_bots_write_has_a_ttl(stand, sales, redis_client):
    tg = stand.tg
    token, bot = new_token()
    await tg.register_bot(token, bot)
    stand.env.update(RATELIMIT_MAX_EVENTS="200")
    await tg.send_message(bot, OWNER, "/start")
    stand.start_worker(1)
    await stand.wait_status(1, "waiting")
    await stand.grant("client_021")  # activated by hand: the operator's grant lets it run
    activation = await stand.manager.activate_bot(
        "booking-bot-pool-1", token, OWNER, "client_021", "Студия Срока"
    )
    assert (await stand.manager.wait_for_activation("booking-bot-pool-1", activation, 30)).ok

    async def guided():  # the setup guide, and the answer to the /start sent before activation
        messages = await tg.transcript(bot, OWNER)
        buttons = [
            b["text"]
            for m in messages
            for row in (m["reply_markup"] or {}).get("inline_keyboard", [])
            for b in row
        ]
        return any("три шага" in (m["text"] or "") for m in messages) and texts.MENU_BOOK in buttons

    await wait_until(guided, timeout=15, what="the owner's setup guide and menu")

    # the owner starts setting up a specialist and walks away in the middle (an open dialog)
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_SERVICES)
    await tg.click(bot, OWNER, texts.ADMIN_ADD_SERVICE)
    assert texts.SERVICE_SAVED in (await tg.ask(bot, OWNER, "Стрижка; 60; 1500"))["text"]
    await tg.ask(bot, OWNER, "/admin")
    await tg.click(bot, OWNER, texts.ADMIN_STAFF)
    await tg.click(bot, OWNER, texts.ADMIN_ADD_STAFF)
    await tg.ask(bot, OWNER, "Вера")
    await tg.click(bot, OWNER, texts.STAFF_SERVICES_BTN)
    await tg.click(bot, OWNER, texts.BACK)
    await tg.click(bot, OWNER, texts.STAFF_HOURS_BTN)  # asks for hours: a state, abandoned
    await tg.ask(bot, CUSTOMER, "/start")

    # a buyer in the Sales Bot sends a token and walks away (the token, encrypted, in FSM data)
    buyer = sales.buyer(tg)
    sold, sold_name = new_token()
    await tg.register_bot(sold, sold_name)
    await buyer.until_token_step()
    await buyer.say(sold)
    await buyer.expect("Как называется")

    tenant_fsm = await redis_client.keys("client_021:fsm:*")
    # the abandoned dialog: its stack and contexts (aiogram-dialog keeps them as FSM data)
    assert any(":aiogd:context:" in k for k in tenant_fsm), tenant_fsm
    assert any(k.endswith(":data") for k in tenant_fsm), tenant_fsm
    assert await redis_client.keys("client_021:ratelimit:*")
    assert any(k.endswith(":data") for k in await redis_client.keys("sales:fsm:*"))

    await stand.wait_status(1, "active")
    forever = []
    for key in await redis_client.keys("*"):
        if not key.startswith(LONG_LIVED) and await redis_client.ttl(key) < 0:
            forever.append(key)
    assert forever == []


async def test_an_unanswered_release_push_expires(stand, redis_client):
    """The manager's release command to a worker that never takes it carries a TTL."""
    from pool.manager import PoolError
    from pool.status import status_doc, unix_now

    slot = "booking-bot-pool-7"
    await redis_client.set(
        f"bot_status:{slot}", status_doc(slot, 7, "active", client_id="client_022")
    )
    await redis_client.zadd("bot_pool:heartbeats", {slot: unix_now()})
    with pytest.raises(PoolError):
        await stand.manager.release_bot(slot, timeout=0.5)
    assert await redis_client.llen(f"bot_wake:{slot}") == 1
    ttl = await redis_client.ttl(f"bot_wake:{slot}")
    assert 0 < ttl <= 300

    async def no_ack_left():
        return not await redis_client.keys("bot_ack:*")

    await wait_until(no_ack_left, timeout=1, what="no acknowledgement list left")
