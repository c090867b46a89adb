"""One process per slot on a host: a lock file `slot-N.lock` beside the spawner's socket.

A relaunched slot can start while its predecessor is still stopping (its launcher was killed and
it noticed a moment later, or a spawner restart orphaned it): two processes of one slot would
poll one tenant's token at once (409 for both) and the older one's shutdown would unregister the
newer one. So a slot takes the lock before it starts and holds it until it exits; the kernel
releases it however the process ends. A predecessor that does not stop within `grace` seconds
is killed. Standard library only (the launcher's fallback path uses it before importing aiogram).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path


class SlotBusy(Exception):
    pass


class Abandoned(Exception):
    """Whoever wanted this slot is gone (a forked slot's launcher died while it waited)."""


def lock_path(socket_path: str, pool_id: int | str) -> Path:
    return Path(socket_path).parent / f"slot-{pool_id}.lock"


def _holder(fd: int) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        return int(os.pread(fd, 32, 0).decode().strip() or "0") or None
    return None


def acquire(
    path: Path,
    *,
    grace: float = 20.0,
    say: Callable[[str], None] = lambda _: None,
    poll: float = 0.1,
    abandoned: Callable[[], bool] = lambda: False,
) -> int:
    """Lock `path` for this process (the returned fd holds the lock until it is closed or the
    process ends); wait for a predecessor, then kill it after `grace` seconds — unless
    `abandoned()` says meanwhile that this process is no longer wanted (it must not kill a
    successor that took over)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        deadline = time.monotonic() + grace
        killed = False
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if abandoned():
                    raise Abandoned(path.name) from None
                pid = _holder(fd)
                if not told:
                    say(f"waiting for the previous process of this slot (pid {pid}) to stop")
                    told = True
                if time.monotonic() >= deadline:
                    if killed or pid is None or pid == os.getpid():
                        raise SlotBusy(f"{path.name} is still held (pid {pid})") from None
                    say(f"pid {pid} did not stop within {grace:.0f} s: killing it")
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(pid, signal.SIGKILL)
                    killed = True
                    deadline = time.monotonic() + 5
                time.sleep(poll)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return fd
    except BaseException:
        os.close(fd)
        raise
