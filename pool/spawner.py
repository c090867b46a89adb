"""`booking-pool-spawner`: forks pool slots from one process that has imported everything.

Importing aiogram costs ~166 MB and 3–5 s of CPU per process. The spawner pays that once per host:
it imports what a slot runs, freezes those objects out of the garbage collector's reach
(`gc.freeze()`, so the children never write to the shared pages) and listens on
`POOL_SPAWNER_SOCKET`. Each slot program (`pool.launcher`) asks for its slot there; the spawner
forks a child that takes the launcher's stdin/stdout/stderr and environment and runs the slot as
`python -m pool.worker` would. A waiting slot then costs ~30 MB instead of ~168 MB and starts in
well under a second.

The spawner never opens a connection, a thread or an event loop (a fork copies them); every child
opens its own. Children start their own session, so stopping or restarting the spawner (a new
release) leaves every running slot alone; slots restarted after that are forked from the new code.
Only the pool's own account (or root) may connect: the socket is 0600 in a directory nobody else
may write, and the peer's uid is checked.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import gc
import json
import os
import random
import selectors
import signal
import socket
import stat
import struct
import sys
import time
import traceback
from pathlib import Path

from loguru import logger

from core.logs import setup_logging
from core.settings import Settings
from pool import launcher
from pool.status import LAUNCHER_PID_ENV

IDENT = "booking-pool-spawner"
PR_SET_NAME = 15
_UCRED = struct.Struct("3i")


class SpawnerError(Exception):
    pass


def preload() -> None:
    """Import everything a slot runs, build what it would build lazily, then freeze it."""
    import aiogram.client.session.aiohttp  # noqa: F401  (the bot's HTTP session)
    import aiogram_dialog  # noqa: F401  (the tenant bot's screens)
    import asyncpg.pool  # noqa: F401
    import redis.asyncio  # noqa: F401

    import pool.worker  # noqa: F401  (aiogram, the booking bot, core)
    from bots.factory import prepare_screens

    _build_response_models()
    prepare_screens()  # the tenant bot's routers and dialogs, shared with every slot
    gc.collect()
    gc.freeze()


_kept: list[type] = []


def _build_response_models() -> None:
    """The pydantic models a slot would otherwise build in its own memory at its first API calls.

    aiogram parses each answer of the Bot API as `Response[<what the method returns>]`, a
    generic model built (and cached) at the method's first call; the answer to `getUpdates`
    alone costs about 8 MB, the six kinds below about 10 MB. Built here they are shared by every
    slot; built in a slot, each active slot pays them again (measured with `make bench-memory`).
    pydantic caches generic models by weak reference only: `_kept` holds them (else the first
    garbage collection frees them and each slot builds them again). Two models of aiogram-dialog
    are built on first use the same way (`defer_build`)."""
    from aiogram import methods
    from aiogram.methods.base import Response
    from aiogram_dialog.api.internal.fake_data import ReplyCallbackQuery
    from aiogram_dialog.context.intent_middleware import InaccessibleBusinessMessage

    _kept[:] = (
        Response[method.__returning__]
        for method in (
            methods.GetUpdates,  # list[Update]
            methods.GetMe,  # User
            methods.GetWebhookInfo,  # WebhookInfo
            methods.SendMessage,  # Message (also sendDocument)
            methods.EditMessageText,  # Message | bool (the dialogs' edits)
            methods.AnswerCallbackQuery,  # bool (also deleteWebhook, setMyCommands, deleteMessage)
        )
    )
    for model in (ReplyCallbackQuery, InaccessibleBusinessMessage):
        model.model_rebuild()


def _set_process_name(name: str) -> None:
    """What `ps -o comm`, top and /proc/PID/comm show (15 bytes)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_NAME, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0)


def _exit_code(value) -> int:
    if value is None:
        return 0
    return value if isinstance(value, int) else 1


class Spawner:
    def __init__(self, path: Path, log=logger) -> None:
        self.path = path
        self.log = log
        self.listener: socket.socket | None = None
        self.lock_fd: int | None = None
        self.wakeup: tuple[int, int] | None = None
        self.selector: selectors.BaseSelector | None = None
        self.children: dict[int, tuple[socket.socket, str]] = {}  # pid → (connection, slot)
        self.stopping = False

    # -- the socket ---------------------------------------------------------------------------

    def open(self) -> None:
        directory = self.path.parent
        if not directory.exists():
            directory.mkdir(mode=0o700)
        info = directory.stat()
        if info.st_uid != os.geteuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise SpawnerError(
                f"{directory} must belong to this account and be writable by nobody else"
            )
        self.lock_fd = os.open(directory / "spawner.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SpawnerError(f"another spawner is running on {self.path}") from None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # a previous spawner's socket
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        old_umask = os.umask(0o177)
        try:
            listener.bind(str(self.path))
        finally:
            os.umask(old_umask)
        os.chmod(self.path, 0o600)
        listener.listen(256)  # a whole host of launchers at boot
        self.listener = listener

    def close(self) -> None:
        """Stop listening; running slots are left alone."""
        if self.listener is not None:
            self.listener.close()
            self.listener = None
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        for conn, _ in self.children.values():
            conn.close()
        self.children.clear()
        if self.lock_fd is not None:
            os.close(self.lock_fd)
            self.lock_fd = None

    # -- the loop -----------------------------------------------------------------------------

    def serve(self) -> None:
        assert self.listener is not None
        self.wakeup = os.pipe()
        for fd in self.wakeup:
            os.set_blocking(fd, False)
        signal.set_wakeup_fd(self.wakeup[1])
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ)
        self.selector.register(self.wakeup[0], selectors.EVENT_READ)
        try:
            while not self.stopping:
                for key, _ in self.selector.select(timeout=5):
                    if key.fileobj is self.listener:
                        self._accept()
                    else:
                        with contextlib.suppress(BlockingIOError):
                            os.read(self.wakeup[0], 512)
                self._reap()
        finally:
            self.log.info("spawner stopping; {} running slots are left alone", len(self.children))
            self.close()

    def _stop(self, *_) -> None:
        self.stopping = True

    def _accept(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        fds: list[int] = []
        try:
            pid, uid, _gid = _UCRED.unpack(
                conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size)
            )
            if uid not in (os.geteuid(), 0):
                raise SpawnerError(f"uid {uid} (pid {pid}) may not start slots")
            conn.settimeout(1)  # a launcher sends at once; one that stalls holds up the rest
            data, fds, _, _ = socket.recv_fds(conn, launcher.MAX_MESSAGE, 3)
            conn.settimeout(None)
            env, cwd = self._parse(data, fds)
            env[LAUNCHER_PID_ENV] = str(pid)
        except Exception as exc:  # OSError, SpawnerError, a malformed message: never fatal
            self.log.warning("refused a request: {}", exc)
            with contextlib.suppress(OSError):
                conn.send(json.dumps({"error": str(exc)}).encode())
            conn.close()
            for fd in fds:
                os.close(fd)
            return
        self._fork(conn, fds, env, cwd)

    @staticmethod
    def _parse(data: bytes, fds: list[int]) -> tuple[dict[str, str], str]:
        try:
            request = json.loads(data)
        except ValueError:
            raise SpawnerError("unreadable request") from None
        if not isinstance(request, dict) or request.get("v") != launcher.PROTOCOL:
            raise SpawnerError(f"unknown protocol (this spawner speaks {launcher.PROTOCOL})")
        env = request.get("env")
        if not isinstance(env, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in env.items()
        ):
            raise SpawnerError("no environment in the request")
        if not env.get("BOT_POOL_ID", "").isdigit():
            raise SpawnerError("BOT_POOL_ID is not set")
        if len(fds) != 3:
            raise SpawnerError("the request must carry stdin, stdout and stderr")
        return env, str(request.get("cwd") or "/")

    def _fork(self, conn: socket.socket, fds: list[int], env: dict[str, str], cwd: str) -> None:
        slot = f"{launcher.SLOT_PREFIX}{env['BOT_POOL_ID']}"
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            pid = os.fork()
        except OSError as exc:  # out of memory or processes: the launcher runs it in-process
            self.log.error("cannot fork {}: {}", slot, exc)
            with contextlib.suppress(OSError):
                conn.send(json.dumps({"error": f"fork failed: {exc.strerror}"}).encode())
            conn.close()
            pid = -1
        if pid == 0:
            self._become_slot(conn, fds, env, cwd)  # never returns
        for fd in fds:
            os.close(fd)
        if pid < 0:
            return
        self.children[pid] = (conn, slot)
        try:
            pidfd = os.pidfd_open(pid)
            try:
                socket.send_fds(conn, [json.dumps({"pid": pid}).encode()], [pidfd])
            finally:
                os.close(pidfd)
        except OSError as exc:  # the launcher left: the slot sees the same and stops
            self.log.warning("{} (pid {}): its launcher is gone ({})", slot, pid, exc)
        self.log.info("forked {} as pid {}", slot, pid)

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            code = os.waitstatus_to_exitcode(status)
            conn, slot = self.children.pop(pid, (None, "?"))
            if conn is not None:
                message = {"exit": code} if code >= 0 else {"signal": -code}
                with contextlib.suppress(OSError):
                    conn.send(json.dumps(message).encode())
                conn.close()
            how = f"exit code {code}" if code >= 0 else signal.Signals(-code).name
            self.log.info("{} (pid {}) ended: {}", slot, pid, how)

    # -- the child ----------------------------------------------------------------------------

    def _close_in_child(self, keep: socket.socket) -> None:
        """Drop the spawner's descriptors: the listener, its lock, other slots' connections."""
        signal.set_wakeup_fd(-1)
        if self.selector is not None:
            self.selector.close()
        for fd in self.wakeup or ():
            os.close(fd)
        if self.listener is not None:
            self.listener.close()
        if self.lock_fd is not None:
            os.close(self.lock_fd)
        for conn, _ in self.children.values():
            if conn is not keep:
                conn.close()

    def _become_slot(
        self, conn: socket.socket, fds: list[int], env: dict[str, str], cwd: str
    ) -> None:
        code = 1
        try:
            os.setsid()  # out of the spawner's process group: signals to it never reach us
            for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, signal.SIG_DFL)
            self._close_in_child(conn)
            for target, fd in enumerate(fds):
                os.dup2(fd, target)
            for fd in fds:
                if fd > 2:
                    os.close(fd)
            os.environ.clear()
            os.environ.update(env)
            time.tzset()  # TZ as the launcher has it
            with contextlib.suppress(OSError):
                os.chdir(cwd)
            random.seed()  # not the spawner's sequence
            _set_process_name(f"bot-pool-{env['BOT_POOL_ID']}")
            from pool import worker

            worker.serve(worker.load_settings(), lifeline=conn)
            code = 0
        except SystemExit as exc:
            code = _exit_code(exc.code)
        except BaseException:
            with contextlib.suppress(Exception):
                traceback.print_exc()
            code = 1
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            with contextlib.suppress(OSError):
                conn.send(json.dumps({"exit": code}).encode())
            os._exit(code)


def main() -> None:
    try:
        settings = Settings()
    except ValueError as exc:
        print(f"pool spawner: bad settings: {exc}", file=sys.stderr)
        sys.exit(2)
    if not settings.pool_spawner_socket:
        print("pool spawner: POOL_SPAWNER_SOCKET is not set", file=sys.stderr)
        sys.exit(2)
    log = setup_logging(
        settings.log_level,
        ident=IDENT,
        syslog_address=settings.log_syslog_address if settings.log_syslog else None,
    )
    started = time.monotonic()
    preload()
    spawner = Spawner(Path(settings.pool_spawner_socket), log)
    try:
        spawner.open()
    except (OSError, SpawnerError) as exc:
        log.error("cannot listen on {}: {}", settings.pool_spawner_socket, exc)
        sys.exit(1)
    log.info(
        "spawner ready in {:.1f} s: slots are forked on {}",
        time.monotonic() - started,
        settings.pool_spawner_socket,
    )
    spawner.serve()


if __name__ == "__main__":
    main()
