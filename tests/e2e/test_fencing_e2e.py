"""Fencing (issue 10, item 3): a worker runs a tenant only while its assignment is open in
PostgreSQL; a webhook on the token, failing polls and a failing resume are seen, not hidden."""

from __future__ import annotations

import aiohttp
import pytest

from bots import texts
from sandbox.harness import wait_until
from tests.e2e.conftest import new_token

pytestmark = pytest.mark.e2e
OWNER = 990001
CUSTOMER = 990101
WEBHOOK_URL = "https://other-hosting.example/hook"


async def activate(stand, pool_id: int, token: str, client: str, company: str, admin: int = OWNER):
    slot = f"booking-bot-pool-{pool_id}"
    await stand.grant(client)  # no Sales here: the operator's grant lets it run
    activation = await stand.manager.activate_bot(slot, token, admin, client, company)
    return await stand.manager.wait_for_activation(slot, activation, 30)


async def bot_api(stand, token: str, method: str, **params):
    url = f"{stand.env['TELEGRAM_API_BASE']}/bot{token}/{method}"
    async with aiohttp.ClientSession() as http, http.post(url, json=params) as response:
        return await response.json()


async def bot_stats(stand, username: str) -> dict:
    return (await stand.tg.stats())["bots"][username]


async def test_a_worker_whose_assignment_was_closed_behind_its_back_stops_polling(stand):
    token, username = new_token()
    await stand.tg.register_bot(token, username)
    stand.env.update(FENCING_EVERY="2")  # every 2 heartbeats of 0.5 s
    stand.start_worker(1), stand.start_worker(2)
    await stand.wait_status(1, "waiting")
    await stand.wait_status(2, "waiting")
    assert (await activate(stand, 1, token, "client_011", "Салон Ограды")).ok
    slot = await stand.wait_status(1, "active", client_id="client_011")
    rows = await stand.fetch(
        "SELECT id FROM platform.slot_assignments WHERE released_at IS NULL AND slot = $1",
        "booking-bot-pool-1",
    )
    assert slot["assignment_id"] == rows[0]["id"]
    assert "Салон Ограды" in (await stand.tg.ask(username, CUSTOMER, "/start"))["text"]

    # e.g. the manager released the slot while its heartbeat stalled: the assignment is closed
    await stand.fetch(
        "UPDATE platform.slot_assignments SET released_at = now(), release_reason = 'fenced'"
        " WHERE id = $1",
        rows[0]["id"],
    )
    slot = await stand.wait_status(1, "waiting", timeout=10)
    assert "assignment" in slot["last_error"]
    await wait_until(
        lambda: _no_poller(stand, username), timeout=10, what="the fenced bot stopped polling"
    )

    # the tenant runs elsewhere, alone: the fenced worker never competes for its updates
    assert (await activate(stand, 2, token, "client_011", "Салон Ограды")).ok
    assert "Салон Ограды" in (await stand.tg.ask(username, CUSTOMER, "/start"))["text"]
    assert (await bot_stats(stand, username))["conflicts"] == 0
    assert "assignment" in stand.workers[1].log()


async def _no_poller(stand, username):
    return (await bot_stats(stand, username))["active_pollers"] == 0


async def test_a_webhook_set_on_a_token_is_removed_at_activation(stand):
    token, username = new_token()
    await stand.tg.register_bot(token, username)
    assert (await bot_api(stand, token, "setWebhook", url=WEBHOOK_URL))["ok"]
    # while the webhook is set, Telegram refuses getUpdates (as the real one does)
    refused = await bot_api(stand, token, "getUpdates")
    assert refused["error_code"] == 409 and "webhook" in refused["description"]
    await stand.tg.send_message(username, OWNER, "/start")  # the owner pressed Start earlier
    stand.start_worker(1)
    await stand.wait_status(1, "waiting")
    result = await activate(stand, 1, token, "client_012", "Студия Крюк")
    assert result.ok, result.error
    info = await bot_api(stand, token, "getWebhookInfo")
    assert info["result"]["url"] == ""
    assert "Студия Крюк" in (await stand.tg.ask(username, CUSTOMER, "/start"))["text"]

    async def owner_told():
        return any(
            texts.WEBHOOK_REMOVED in (m["text"] or "")
            for m in await stand.tg.transcript(username, OWNER)
        )

    await wait_until(owner_told, timeout=10, what="the owner told about the webhook")
    assert WEBHOOK_URL not in stand.workers[1].log()


async def test_repeated_polling_errors_show_in_the_slot_status(stand):
    token, username = new_token()
    await stand.tg.register_bot(token, username)
    stand.start_worker(1)
    await stand.wait_status(1, "waiting")
    assert (await activate(stand, 1, token, "client_013", "Полирол")).ok
    await stand.wait_status(1, "active", client_id="client_013")

    # someone sets a webhook on the running bot's token: every getUpdates now fails with 409
    assert (await bot_api(stand, token, "setWebhook", url=WEBHOOK_URL))["ok"]

    async def polling_error():
        slot = await stand.slot(1)
        return slot if slot and slot.get("polling_error") else None

    slot = await wait_until(polling_error, timeout=20, what="the polling error in the status")
    assert slot["status"] == "active" and "Conflict" in slot["polling_error"]

    # removed again: polling recovers and the status clears
    assert (await bot_api(stand, token, "deleteWebhook"))["ok"]

    async def cleared():
        slot = await stand.slot(1)
        return slot and slot["status"] == "active" and not slot.get("polling_error")

    await wait_until(cleared, timeout=20, what="the polling error cleared")
    assert "Полирол" in (await stand.tg.ask(username, CUSTOMER, "/start"))["text"]


async def test_a_failing_resume_backs_off_and_alerts_instead_of_crash_looping(stand):
    token, username = new_token()
    await stand.tg.register_bot(token, username)
    stand.env.update(RESUME_BACKOFF_MAX="1")
    worker = stand.start_worker(1)
    await stand.wait_status(1, "waiting")
    assert (await activate(stand, 1, token, "client_014", "Сломанная схема")).ok
    worker.kill9()

    # the tenant's schema cannot be migrated any more: its version rows are gone
    versions = await stand.fetch("SELECT * FROM client_014.schema_migrations")
    await stand.fetch("DELETE FROM client_014.schema_migrations")
    worker = stand.start_worker(1)

    async def resume_failing():
        slot = await stand.slot(1)
        return slot if slot and slot.get("resume_error") and slot["pid"] == worker.pid else None

    slot = await wait_until(resume_failing, timeout=30, what="the resume failure in the status")
    assert slot["status"] == "resuming" and slot["client_id"] == "client_014"
    assert not slot["stale"] and worker.running()  # alive, beating, not crash-looping
    history = await stand.fetch(
        "SELECT detail FROM platform.activation_history WHERE client_id = 'client_014'"
        " AND event = 'failed'"
    )
    # one event (the Master alerts on it), not one per attempt; the status is the condition
    assert [r["detail"] for r in history] == ["resume failed: MigrationError"]

    # fixed: the next attempt resumes the tenant, without a restart
    columns = list(versions[0].keys())
    for row in versions:
        await stand.fetch(
            f"INSERT INTO client_014.schema_migrations ({', '.join(columns)})"
            f" VALUES ({', '.join(f'${i + 1}' for i in range(len(columns)))})",
            *row.values(),
        )
    await stand.wait_status(1, "active", timeout=30, client_id="client_014")
    assert worker.running()
    assert "Сломанная схема" in (await stand.tg.ask(username, CUSTOMER, "/start"))["text"]
