"""Slots forked by the spawner under supervisord, and every way that can fail: the spawner absent
(the launcher runs the slot itself), the spawner killed while slots run, a launcher or a slot
killed with SIGKILL, a clean stop through supervisorctl; and logs that still name their slot."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
import time
from pathlib import Path

import pytest

from sandbox.harness import Supervisor, parent_pid, process_ended, process_name, wait_until
from tests.e2e.conftest import new_token

pytestmark = pytest.mark.e2e
CUSTOMER = 4242011


class SyslogReceiver:
    """A /dev/log stand-in: the datagrams slots send with LOG_SYSLOG=true, drained by a thread
    (a full datagram queue would block the senders, as a stalled journald would)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.2)
        self.lines: list[str] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        while not self.done.is_set():
            try:
                self.lines.append(self.sock.recv(65536).decode("utf-8", "replace"))
            except TimeoutError:
                continue

    def close(self) -> None:
        self.done.set()
        self.thread.join()
        self.sock.close()


async def test_forked_slots_survive_the_spawner_and_die_with_their_launcher(stand, tmp_path):
    token, username = new_token()
    await stand.tg.register_bot(token, username)
    syslog = SyslogReceiver(tmp_path / "log.sock")
    env = {**stand.env, "LOG_SYSLOG": "true", "LOG_SYSLOG_ADDRESS": str(syslog.path)}
    sup = Supervisor(tmp_path / "run", env).start(2)
    try:
        one = await stand.wait_status(1, "waiting")
        two = await stand.wait_status(2, "waiting")
        programs = await wait_until(
            lambda: asyncio.to_thread(lambda: len(p := sup.running()) == 3 and p),
            timeout=30,
            what="the spawner and 2 slots RUNNING",
        )
        spawner = programs["booking-pool-spawner"]
        # each slot is the spawner's child, named after its slot; its launcher is supervisor's
        for n, slot in ((1, one), (2, two)):
            assert slot["pid"] == programs[f"bot-pool-{n}"]
            assert parent_pid(slot["fork_pid"]) == spawner
            assert process_name(slot["fork_pid"]) == f"bot-pool-{n}"
        # logs: the slot's supervisor log and its syslog identifier
        log = (sup.logs / "bot-pool-1.log").read_text(encoding="utf-8")
        assert "| [booking-bot-pool-1] | 🕐 BOT CONTAINER STARTED IN WAITING MODE" in log
        await wait_until(
            lambda: asyncio.to_thread(
                lambda: any(
                    "booking-bot-pool-2: INFO" in line and "WAITING MODE" in line
                    for line in list(syslog.lines)
                )
            ),
            what="slot 2's waiting line in syslog",
        )

        assert (await stand.activate(1, token, "client_041", "Салон Вилки")).ok
        assert "Салон Вилки" in (await stand.tg.ask(username, CUSTOMER, "/start"))["text"]

        # the spawner dies: supervisor restarts it; the running slots do not notice
        os.kill(spawner, signal.SIGKILL)
        assert "Салон Вилки" in (await stand.tg.ask(username, CUSTOMER, "/start"))["text"]
        programs = await wait_until(
            lambda: asyncio.to_thread(
                lambda: (p := sup.running()).get("booking-pool-spawner", spawner) != spawner and p
            ),
            timeout=30,
            what="a new spawner",
        )
        spawner = programs["booking-pool-spawner"]
        for n, slot in ((1, one), (2, two)):
            assert programs[f"bot-pool-{n}"] == slot["pid"] and not process_ended(slot["fork_pid"])
        assert "Салон Вилки" in (await stand.tg.ask(username, CUSTOMER, "/start"))["text"]

        # kill -9 the active slot's launcher: its slot ends within seconds, a new fork (from
        # the new spawner) takes the tenant over, and the two never poll at once
        os.kill(one["pid"], signal.SIGKILL)
        await wait_until(
            lambda: asyncio.to_thread(process_ended, one["fork_pid"]),
            timeout=10,
            what="the orphaned slot to end",
        )

        async def taken_over(old):
            slot = await stand.slot(1)
            return (
                slot
                and slot["fork_pid"] not in (None, old["fork_pid"])
                and slot["status"] == "active"
                and slot["client_id"] == "client_041"
                and slot
            )

        one = await wait_until(lambda: taken_over(one), timeout=60, what="the tenant resumed")
        assert parent_pid(one["fork_pid"]) == spawner
        assert "Салон Вилки" in (await stand.tg.ask(username, CUSTOMER, "/start"))["text"]
        assert (await stand.tg.stats())["bots"][username]["conflicts"] == 0

        # kill -9 the slot itself: its launcher ends the same way, supervisor starts it again
        killed = "exited: bot-pool-1 (terminated by SIGKILL; not expected)"
        assert (sup.logs / "supervisord.log").read_text(encoding="utf-8").count(killed) == 1
        os.kill(one["fork_pid"], signal.SIGKILL)
        one = await wait_until(lambda: taken_over(one), timeout=60, what="the tenant resumed")
        assert (sup.logs / "supervisord.log").read_text(encoding="utf-8").count(killed) == 2
        assert "Traceback" not in (sup.logs / "bot-pool-1.log").read_text(encoding="utf-8")
        assert "Салон Вилки" in (await stand.tg.ask(username, CUSTOMER, "/start"))["text"]

        # supervisorctl stop: a clean stop within seconds, the slot unregistered
        started = time.monotonic()
        stopped = await asyncio.to_thread(sup.ctl, "stop", "bot-pool-2")
        assert "bot-pool-2: stopped" in stopped.stdout
        assert time.monotonic() - started < 10
        assert process_ended(two["fork_pid"])
        assert await stand.slot(2) is None
        assert "slot stopped" in (sup.logs / "bot-pool-2.log").read_text(encoding="utf-8")
        await asyncio.to_thread(sup.ctl, "start", "bot-pool-2")
        await stand.wait_status(2, "waiting")
    finally:
        await asyncio.to_thread(sup.stop)
        syslog.close()
    assert sup.proc.returncode == 0


async def test_without_a_spawner_the_launcher_runs_the_slot_itself(stand, tmp_path):
    sup = Supervisor(tmp_path / "run", stand.env, spawner=False)
    nowhere = tmp_path / "no-spawner" / "spawner.sock"
    sup.env.update({"POOL_SPAWNER_SOCKET": str(nowhere), "POOL_SPAWNER_WAIT": "0.5"})
    sup.start(1)
    try:
        slot = await stand.wait_status(1, "waiting", timeout=60)
        programs = await asyncio.to_thread(sup.running)
        assert slot["pid"] == programs["bot-pool-1"] and slot["fork_pid"] is None
        log = (sup.logs / "bot-pool-1.log").read_text(encoding="utf-8")
        warnings = [line for line in log.splitlines() if "spawner not reachable" in line]
        assert len(warnings) == 1 and "[booking-bot-pool-1]" in warnings[0]
        assert "running the slot in-process" in warnings[0]
    finally:
        await asyncio.to_thread(sup.stop)
    assert sup.proc.returncode == 0
