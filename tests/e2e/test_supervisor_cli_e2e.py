"""The operator's view: workers under supervisord (the deployment's program template) driven with
the `booking-pool` CLI; supervisor restarts a killed worker and it comes back as its tenant."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys

import pytest

from sandbox.harness import Supervisor, wait_until
from tests.e2e.conftest import new_token

pytestmark = pytest.mark.e2e
CUSTOMER = 4242002


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pool", *args],
        env={**os.environ, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def activate(
    env: dict[str, str],
    stdin: str,
    *,
    slot: str = "1",
    admin: str = "12",
    client: str = "client_010",
    company: str = "A",
) -> subprocess.CompletedProcess:
    """`booking-pool activate`, the token read from stdin (`--token -`)."""
    args = ["--slot", slot, "--token", "-", "--admin", admin, "--client", client]
    return cli(env, "activate", *args, "--company", company, stdin=stdin)


def supervised_pids(sup: Supervisor) -> dict[str, int]:
    """The slots' programs (not the spawner's) → pid."""
    return {name: pid for name, pid in sup.running().items() if name.startswith("bot-pool-")}


async def test_cli_and_supervisor_restart(stand, tmp_path):
    token, username = new_token()
    await stand.tg.register_bot(token, username)
    sup = Supervisor(tmp_path / "run", stand.env).start(2)
    try:
        await wait_until(
            lambda: asyncio.to_thread(lambda: len(supervised_pids(sup)) == 2),
            timeout=30,
            what="2 programs RUNNING",
        )

        async def both_free():
            return (await stand.manager.get_pool_status())["free"] == 2

        await wait_until(both_free, timeout=60, what="2 waiting slots")

        status = cli(stand.env, "status", "--json")
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["free"] == 2
        human = cli(stand.env, "status")
        assert "🏊 СТАТУС ПУЛА БОТОВ" in human.stdout and "⚪ Свободно: 2/2" in human.stdout

        # Bad arguments: clear errors, nothing handed over.
        bad = activate(stand.env, "nonsense\n", admin="x")
        assert bad.returncode == 2 and "malformed bot token" in bad.stderr
        bad = activate(stand.env, token + "\n", client="client_10")
        assert bad.returncode == 2 and "client_NNN" in bad.stderr
        assert token not in bad.stderr
        bad = cli(stand.env, "release", "--slot", "nine")
        assert bad.returncode == 2 and "bad slot" in bad.stderr
        bad = activate(stand.env, token + "\n", slot="7")
        assert bad.returncode == 1 and "not registered" in bad.stderr

        done = activate(stand.env, token + "\n", company="Салон на Тверской")
        assert done.returncode == 0, done.stderr
        assert f"@{username}" in done.stdout and token not in done.stdout
        reply = await stand.tg.ask(username, CUSTOMER, "/start", timeout=10)
        assert "Салон на Тверской" in reply["text"]

        # kill -9 the active worker: supervisor restarts it and it is the same tenant's bot.
        old = supervised_pids(sup)["bot-pool-1"]
        os.kill(old, signal.SIGKILL)

        async def restarted():
            pid = (await asyncio.to_thread(supervised_pids, sup)).get("bot-pool-1")
            slot = await stand.slot(1)
            return (
                pid not in (None, old)
                and slot
                and slot["pid"] == pid
                and slot["status"] == "active"
                and slot["client_id"] == "client_010"
            )

        await wait_until(restarted, timeout=60, interval=0.3, what="supervisor restart")
        reply = await stand.tg.ask(username, CUSTOMER, "/start", timeout=15)
        assert "Салон на Тверской" in reply["text"]

        released = cli(stand.env, "release", "--slot", "booking-bot-pool-1")
        assert released.returncode == 0, released.stderr
        assert "client_010" in released.stdout
        await stand.wait_status(1, "waiting")
        assert "⚪ Свободно: 2/2" in cli(stand.env, "status").stdout
        log = (sup.logs / "bot-pool-1.log").read_text(encoding="utf-8")
        assert "BOT ACTIVATED" in log and token not in log
    finally:
        await asyncio.to_thread(sup.stop)
    assert sup.proc.returncode == 0
