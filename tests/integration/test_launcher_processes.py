"""The launcher ↔ spawner pieces that need child processes or a listening socket: what the
launcher imports, how it learns the slot's exit status, one spawner per socket, and the per-slot
lock."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from pool import launcher, slotlock
from pool.spawner import Spawner, SpawnerError


def test_the_launcher_imports_only_the_standard_library():
    code = (
        "import sys, pool.launcher\n"
        "heavy = {'aiogram', 'pydantic', 'pydantic_settings', 'loguru', 'asyncpg', 'redis',"
        " 'core', 'bots', 'aiohttp'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _child(code: str) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, "-c", code])
    return proc, os.pidfd_open(proc.pid)


def test_the_exit_status_comes_from_the_socket_once_the_slot_ended():
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    proc, pidfd = _child("import sys; sys.exit(3)")
    try:
        theirs.send(json.dumps({"exit": 3}).encode())
        assert launcher.wait_for_slot(ours, pidfd) == 3
    finally:
        proc.wait()
        os.close(pidfd)
        ours.close()
        theirs.close()


def test_a_killed_slot_reported_by_the_spawner_is_a_negative_signal():
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    proc, pidfd = _child("import time; time.sleep(60)")
    try:
        proc.kill()
        proc.wait()
        theirs.send(json.dumps({"signal": signal.SIGKILL}).encode())
        theirs.close()
        assert launcher.wait_for_slot(ours, pidfd) == -signal.SIGKILL
    finally:
        os.close(pidfd)
        ours.close()


def test_a_slot_that_ends_with_nobody_to_tell_gives_no_status_quickly():
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    proc, pidfd = _child("import os; os._exit(0)")
    try:
        theirs.close()  # the spawner is gone and the slot said nothing
        started = time.monotonic()
        assert launcher.wait_for_slot(ours, pidfd) is None
        assert time.monotonic() - started < launcher.STATUS_WAIT + 1
    finally:
        proc.wait()
        os.close(pidfd)
        ours.close()


def test_one_spawner_per_socket(tmp_path):
    first = Spawner(tmp_path / "run" / "spawner.sock")
    first.open()
    try:
        assert oct((tmp_path / "run").stat().st_mode & 0o777) == "0o700"
        assert oct((tmp_path / "run" / "spawner.sock").stat().st_mode & 0o777) == "0o600"
        with pytest.raises(SpawnerError, match="another spawner"):
            Spawner(tmp_path / "run" / "spawner.sock").open()
    finally:
        first.close()
    assert not (tmp_path / "run" / "spawner.sock").exists()


HOLD = """
import sys, time
from pathlib import Path
from pool import slotlock
slotlock.acquire(Path(sys.argv[1]))
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


@contextlib.contextmanager
def holder_of(path, seconds: float):
    """Another process holding the slot's lock for `seconds` (killed at the end)."""
    with subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    ) as holder:
        try:
            assert holder.stdout.readline().strip() == "held"
            yield holder
        finally:
            holder.kill()
            holder.wait()


def test_a_slot_waits_for_its_predecessor_then_takes_the_lock(tmp_path):
    path = slotlock.lock_path(str(tmp_path / "spawner.sock"), 3)
    with holder_of(path, 1) as holder:
        said: list[str] = []
        fd = slotlock.acquire(path, grace=20, say=said.append)
        try:
            assert holder.poll() is not None  # it stopped by itself
            assert f"pid {holder.pid}" in said[0]
            assert path.read_text().strip() == str(os.getpid())
        finally:
            os.close(fd)


def test_a_predecessor_that_does_not_stop_is_killed_after_the_grace(tmp_path):
    path = slotlock.lock_path(str(tmp_path / "spawner.sock"), 4)
    with holder_of(path, 600) as holder:
        said: list[str] = []
        fd = slotlock.acquire(path, grace=0.5, say=said.append)
        os.close(fd)
        assert holder.wait(timeout=5) == -signal.SIGKILL
        assert any("killing it" in line for line in said)


def test_a_slot_abandoned_while_it_waits_kills_nobody(tmp_path):
    path = slotlock.lock_path(str(tmp_path / "spawner.sock"), 5)
    with holder_of(path, 600) as holder:
        asked = []

        def abandoned() -> bool:  # the launcher dies while we wait for the lock
            asked.append(True)
            return len(asked) > 1

        with pytest.raises(slotlock.Abandoned):
            slotlock.acquire(path, grace=1.0, poll=0.1, abandoned=abandoned)
        assert holder.poll() is None  # the slot that took over keeps running
