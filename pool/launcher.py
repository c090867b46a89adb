"""`booking-pool-worker`: the slot program supervisor runs (one per slot, BOT_POOL_ID=N).

It imports only the standard library (a few MB instead of aiogram's ~166 MB) and asks the spawner
(`POOL_SPAWNER_SOCKET`, see `pool.spawner`) to fork the slot from its preloaded process, handing
over its stdin/stdout/stderr (SCM_RIGHTS) so the slot's logs go where this program's go. It stays
the process supervisor sees: SIGTERM/SIGINT are forwarded to the slot, and it exits with the
slot's status when the slot ends. The slot ends when this process dies (it watches their socket
for EOF), so a `kill -9` here leaves no orphan polling the tenant's token.

Without a spawner (the setting is empty) it runs the slot itself: it becomes `python -m
pool.worker` (exec, same PID). A spawner that is configured but does not answer within
`POOL_SPAWNER_WAIT` seconds gives one warning line and the same fallback: a slot never depends on
the spawner being up.

Protocol (a SOCK_SEQPACKET unix socket: one JSON message per packet):
  launcher → spawner  {"v": 1, "env": {...}, "cwd": "..."}  + fds [stdin, stdout, stderr]
  spawner → launcher  {"pid": N}                              + fds [pidfd of the slot]
                   or {"error": "..."}
  later, from the slot or the spawner: {"exit": code} or {"signal": number}
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import sys
import time

PROTOCOL = 1
SLOT_PREFIX = "booking-bot-pool-"  # core.settings.SLOT_PREFIX (not imported: no pydantic here)
MAX_MESSAGE = 1 << 20
FORWARDED = (signal.SIGTERM, signal.SIGINT)
STATUS_WAIT = 2.0  # after the slot ended: how long to wait for its exit status


class SpawnerUnavailable(Exception):
    pass


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _slot_name() -> str:
    return f"{SLOT_PREFIX}{os.environ.get('BOT_POOL_ID', '?')}"


def _say(level: str, text: str) -> None:
    """One line in the format of the slot's log (core.logs.FORMAT), and to syslog as the slot
    when the slot logs there (LOG_SYSLOG)."""
    now = time.time()
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)) + f".{int(now % 1 * 1000):03d}"
    print(f"{stamp} | {level: <7} | [{_slot_name()}] | {text}", file=sys.stderr, flush=True)
    if _truthy(os.environ.get("LOG_SYSLOG")):
        priority = 8 + (4 if level == "WARNING" else 3 if level == "ERROR" else 6)  # facility user
        with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            address = os.environ.get("LOG_SYSLOG_ADDRESS") or "/dev/log"
            s.sendto(f"<{priority}>{_slot_name()}: {level} {text}".encode(), address)


def connect(path: str, wait: float) -> socket.socket:
    """Connect to the spawner, retrying while it is not listening yet (starting, restarting)."""
    deadline = time.monotonic() + wait
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            sock.connect(path)
            return sock
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            sock.close()
            if time.monotonic() >= deadline:
                raise SpawnerUnavailable(type(exc).__name__) from None
            time.sleep(0.2)
        except OSError as exc:  # permission denied, not a socket...
            sock.close()
            raise SpawnerUnavailable(f"{type(exc).__name__}: {exc.strerror}") from None


def request_slot(sock: socket.socket, timeout: float) -> tuple[int, int]:
    """Ask for the slot; return (pid, pidfd) of the forked slot."""
    message = {"v": PROTOCOL, "env": dict(os.environ), "cwd": os.getcwd()}
    try:
        sock.settimeout(timeout)
        socket.send_fds(sock, [json.dumps(message).encode()], [0, 1, 2])
        data, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, 1)
    except OSError as exc:  # timeout included
        raise SpawnerUnavailable(f"{type(exc).__name__}: {exc}") from None
    finally:
        sock.settimeout(None)
    try:
        reply = json.loads(data) if data else {"error": "the spawner closed the connection"}
    except ValueError:
        reply = {"error": "unreadable reply"}
    if "pid" not in reply or len(fds) != 1:
        for fd in fds:
            os.close(fd)
        raise SpawnerUnavailable(str(reply.get("error", "no pid in the reply")))
    return int(reply["pid"]), fds[0]


def _status(message: bytes) -> int | None:
    """A status message as an exit code (a signal as -number), or None."""
    with contextlib.suppress(ValueError, TypeError, AttributeError):
        data = json.loads(message)
        if "exit" in data:
            return int(data["exit"])
        if "signal" in data:
            return -int(data["signal"])
    return None


def wait_for_slot(sock: socket.socket, pidfd: int) -> int | None:
    """Wait until the slot ends; its exit code (-signal if killed), or None if nobody said.

    The status comes from the slot itself (a normal exit) or from the spawner (which reaps it);
    a slot killed while its spawner is gone ends with EOF and no status."""
    status: int | None = None
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    poller.register(sock, select.POLLIN)
    listening = True
    ended_at: float | None = None
    while True:
        if ended_at is not None and (status is not None or not listening):
            return status
        timeout = None if ended_at is None else ended_at + STATUS_WAIT - time.monotonic()
        if timeout is not None and timeout <= 0:
            return status
        for fd, _ in poller.poll(None if timeout is None else timeout * 1000):
            if fd == pidfd:
                poller.unregister(pidfd)
                ended_at = time.monotonic()
                continue
            try:
                message = sock.recv(MAX_MESSAGE)
            except OSError:
                message = b""
            if not message:  # the slot and the spawner both closed: nothing more to hear
                poller.unregister(sock)
                listening = False
            elif status is None:
                status = _status(message)


def run_in_process() -> None:
    """Become the slot: `python -m pool.worker`, same PID, same stdout/stderr."""
    os.execv(sys.executable, [sys.executable, "-m", "pool.worker"])


def _exit_like(status: int | None) -> None:
    if status is None:
        _say("ERROR", "slot ended without an exit status")
        sys.exit(1)
    if status < 0:  # killed: end the same way, so supervisor reports the signal
        with contextlib.suppress(OSError, ValueError):  # SIGKILL/SIGSTOP have no handler
            signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
        sys.exit(128 - status)
    sys.exit(status)


def main() -> None:
    path = os.environ.get("POOL_SPAWNER_SOCKET", "").strip()
    if not path:
        run_in_process()
    try:
        wait = float(os.environ.get("POOL_SPAWNER_WAIT") or 30)
    except ValueError:
        wait = 30.0

    pidfd: int | None = None
    pending: list[int] = []

    def forward(signum, _frame) -> None:
        if pidfd is None:
            pending.append(signum)  # asked to stop before the slot exists: pass it on at once
            return
        with contextlib.suppress(ProcessLookupError):
            signal.pidfd_send_signal(pidfd, signum)

    try:
        sock = connect(path, wait)
    except SpawnerUnavailable as exc:
        _say("WARNING", f"spawner not reachable at {path} ({exc}): running the slot in-process")
        run_in_process()
    for signum in FORWARDED:
        signal.signal(signum, forward)
    try:
        _pid, pidfd = request_slot(sock, timeout=max(wait, 10.0))
    except SpawnerUnavailable as exc:
        if pending:  # told to stop meanwhile: nothing was started
            sys.exit(0)
        sock.close()
        _say("WARNING", f"the spawner did not start the slot ({exc}): running it in-process")
        for signum in FORWARDED:
            signal.signal(signum, signal.SIG_DFL)
        run_in_process()
    for signum in pending:
        forward(signum, None)
    _exit_like(wait_for_slot(sock, pidfd))


if __name__ == "__main__":
    main()
