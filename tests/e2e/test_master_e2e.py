"""The Master Bot for real: a master process, workers under supervisord, the sandbox."""

from __future__ import annotations

import asyncio
import os
import re
import signal

import aiohttp
import pytest

from sandbox.harness import REPO, ModuleProcess, Supervisor, wait_until
from sandbox.localservers import find_free_port
from tests.e2e.conftest import new_token
from tests.e2e.master_stand import operator_texts, wait_for_alert
from tests.e2e.test_supervisor_cli_e2e import supervised_pids

pytestmark = pytest.mark.e2e
ADMIN = 1000001
CUSTOMER = 1000003
MASTER_TOKEN = "7099999999:AAmasterBotToken_abcdefghijklmnopqrstuvw"
MASTER_BOT = "pool_master_test_bot"
MONITORING = REPO / "deploy" / "monitoring"


async def activate(stand, pool_id, token, client, company):
    await stand.grant(client)
    activation = await stand.manager.activate_bot(
        f"booking-bot-pool-{pool_id}", token, 777, client, company
    )
    result = await stand.manager.wait_for_activation(f"booking-bot-pool-{pool_id}", activation, 30)
    assert result.ok, result.error


async def admin_texts(stand) -> list[str]:
    return await operator_texts(stand.tg, MASTER_BOT, ADMIN)


async def wait_alert(stand, needle: str, timeout: float = 30) -> None:
    await wait_for_alert(stand.tg, MASTER_BOT, ADMIN, needle, timeout)


async def test_master_pool_actions_alerts_growth_and_metrics(stand, tmp_path):
    await stand.tg.register_bot(MASTER_TOKEN, MASTER_BOT)
    tokens = [new_token() for _ in range(2)]
    for token, username in tokens:
        await stand.tg.register_bot(token, username)
    run = tmp_path / "run"
    metrics_port = find_free_port()
    env = {
        **stand.env,
        "BOT_TOKEN_MASTER": MASTER_TOKEN,
        "ADMIN_IDS_MASTER": str(ADMIN),
        "MASTER_METRICS_PORT": str(metrics_port),
        "ALERT_INTERVAL": "0.5",
        "SUPERVISOR_URL": f"unix://{run}/supervisor.sock",
        "SUPERVISOR_PROGRAMS_DIR": str(run / "programs"),
        "SUPERVISOR_LOG_DIR": str(run / "logs"),
        "POOL_MAX_SIZE": "3",
        "POOL_MIN_FREE": "1",
        "POOL_GROW_STEP": "1",
    }
    sup = Supervisor(run, stand.env).start(2)
    master = ModuleProcess("master", env, tmp_path / "master.log").start()
    try:

        async def two_free():
            return (await stand.manager.get_pool_status())["free"] == 2

        await wait_until(two_free, timeout=60, what="2 waiting slots")
        help_text = await stand.tg.ask(MASTER_BOT, ADMIN, "/start", timeout=20)
        assert "/pool" in help_text["text"]
        # a stranger gets no answer at all: tests/integration/test_master_flow.py

        await activate(stand, 1, tokens[0][0], "client_101", "Салон Один")
        pids_before = await asyncio.to_thread(supervised_pids, sup)
        # The second activation fills the pool: one alert, then the pool grows by itself.
        await activate(stand, 2, tokens[1][0], "client_102", "Салон Два")
        await wait_alert(stand, "⚠️ Пул заполнен на 100 %")
        await wait_alert(stand, "пул увеличен автоматически: +1 (всего 3)")
        await wait_alert(stand, "✅ Снято: ⚠️ Пул заполнен")
        # a forked slot is waiting long before supervisor calls it RUNNING (startsecs)
        pids_after = await wait_until(
            lambda: asyncio.to_thread(lambda: (p := supervised_pids(sup)) and len(p) == 3 and p),
            timeout=30,
            what="bot-pool-3 RUNNING",
        )
        assert set(pids_after) == {"bot-pool-1", "bot-pool-2", "bot-pool-3"}
        assert pids_after["bot-pool-1"] == pids_before["bot-pool-1"]
        assert pids_after["bot-pool-2"] == pids_before["bot-pool-2"]
        await stand.wait_status(3, "waiting", timeout=60)

        pool = await stand.tg.ask(MASTER_BOT, ADMIN, "/pool", timeout=10)
        assert "🏊 СТАТУС ПУЛА БОТОВ\n⚪ Свободно: 1/3\n🟢 Занято: 2/3" in pool["text"]
        assert "client_101" in pool["text"] and f"@{tokens[1][1]}" in pool["text"]

        # Release with a confirmation step.
        confirm = await stand.tg.click(MASTER_BOT, ADMIN, "🔓 Освободить 2")
        assert "Освободить слот booking-bot-pool-2 (client_102" in confirm["text"]
        done = await stand.tg.click(MASTER_BOT, ADMIN, "✅ Да, освободить")
        assert done["text"] == "🔓 Слот booking-bot-pool-2 освобождён (client_102)."
        await stand.wait_status(2, "waiting")
        rows = await stand.fetch(
            "SELECT client_id FROM platform.slot_assignments WHERE released_at IS NULL"
        )
        assert [r["client_id"] for r in rows] == ["client_101"]

        # A slot without heartbeat: flagged in /pool, alerted once, cleared when it beats again.
        slot3 = await stand.slot(3)  # the process that beats: the forked slot, not its launcher
        frozen = slot3["fork_pid"] or slot3["pid"]
        os.kill(frozen, signal.SIGSTOP)
        try:
            await wait_alert(stand, "🔴 Слот booking-bot-pool-3 не отвечает")
            pool = await stand.tg.ask(MASTER_BOT, ADMIN, "/pool", timeout=10)
            assert re.search(r"🔴 3\. waiting .*НЕТ ПУЛЬСА", pool["text"])
            assert "🔴 Без пульса: 1/3" in pool["text"]
        finally:
            os.kill(frozen, signal.SIGCONT)
        await wait_alert(stand, "✅ Снято: 🔴 Слот booking-bot-pool-3")
        # Cleared, so the same condition starting again is reported again (once).
        stale_alert = "🔴 Слот booking-bot-pool-3 не отвечает"

        async def reported_twice():
            return sum(t.startswith(stale_alert) for t in await admin_texts(stand)) == 2

        os.kill(frozen, signal.SIGSTOP)
        try:
            await wait_until(reported_twice, timeout=30, interval=0.2, what="the second alert")
        finally:
            os.kill(frozen, signal.SIGCONT)
        await stand.wait_status(3, "waiting", timeout=30)

        # A tenant's token revoked while its bot runs: slot freed, one alert.
        reply = await stand.tg.ask(tokens[0][1], CUSTOMER, "/start", timeout=10)
        assert "Салон Один" in reply["text"]
        await stand.tg.revoke_bot(tokens[0][0])
        await wait_alert(stand, "🔑 Токен бота client_101 отозван")
        await stand.wait_status(1, "waiting", timeout=30)

        texts = await admin_texts(stand)
        for text, times in (("⚠️ Пул заполнен", 1), (stale_alert, 2), ("🔑 Токен", 1)):
            assert sum(t.startswith(text) for t in texts) == times, (text, texts)

        # The metrics endpoint agrees with the database and the pool.
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{metrics_port}/metrics") as response:
                assert response.status == 200
                body = await response.text()
        activated = (
            await stand.fetch(
                "SELECT count(*) AS n FROM platform.activation_history WHERE event = 'activated'"
            )
        )[0]["n"]
        assert activated == 2
        assert f'bot_pool_activation_events_total{{event="activated"}} {activated}.0' in body
        assert 'bot_pool_activation_events_total{event="failed"} 1.0' in body
        assert f"bot_pool_activation_duration_seconds_count {activated}.0" in body
        assert 'bot_pool_slots{status="waiting"} 3.0' in body
        assert "bot_pool_size 3.0" in body
        assert 'bot_pool_tenant_updates_total{client_id="client_101"} 1.0' in body
        # The dashboard and the alert rules read only metrics that the endpoint serves.
        exposed = set(re.findall(r"^(bot_pool_[a-z_]+)", body, re.M))
        for path in ("grafana-dashboard.json", "prometheus-rules.yml"):
            used = set(re.findall(r"\bbot_pool_[a-z_]+", (MONITORING / path).read_text()))
            assert used and used <= exposed, (path, used - exposed)
        assert MASTER_TOKEN not in master.log()
    finally:
        master.terminate(timeout=15)
        await asyncio.to_thread(sup.stop)
