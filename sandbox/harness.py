"""Whole processes for the e2e tests, `make demo` and `make bench`: the Telegram stand-in,
pool workers (plain or under supervisord), and small waiting helpers.

Nothing here runs at import time.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from mirakuru import ExecutorError, OutputExecutor

from pool.scaler import render_program, render_spawner
from sandbox.localservers import HOST, start_executor, stop_executor

REPO = Path(__file__).resolve().parent.parent


async def wait_until(
    check: Callable[[], Awaitable[object]],
    *,
    timeout: float = 10.0,
    interval: float = 0.05,
    what: str = "condition",
):
    """Await `check()` until it returns something truthy; return it, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(interval)


class _StandInProcess:
    """`python -m <module> --port N` on a free port, run by mirakuru: started, ready once it
    prints that it listens on that port, stopped (SIGTERM, then SIGKILL) by `stop()`."""

    module = ""
    name = ""

    def __init__(self, log_path: Path | None = None, env: dict[str, str] | None = None) -> None:
        self.log_path = log_path
        self.env = env or {}
        self.executor: OutputExecutor | None = None
        self.url: str | None = None

    def start(self, timeout: float = 30.0):
        def stand_in(port: int) -> OutputExecutor:
            self.url = f"http://{HOST}:{port}"
            return OutputExecutor(
                [sys.executable, "-m", self.module, "--port", str(port)],
                banner=re.escape(f"listening on {self.url}"),
                cwd=str(REPO),
                envvars=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,  # where the banner is looked for
                popen_kwargs={"stderr": log},  # not `stderr=`: that would be searched too
                timeout=timeout,
                sleep=0.02,
            )

        with open(self.log_path or os.devnull, "ab") as log:
            try:
                self.executor = start_executor(stand_in)
            except ExecutorError as error:
                raise RuntimeError(
                    f"the {self.name} sandbox did not start (see its log)"
                ) from error
        return self

    def stop(self) -> None:
        if self.executor is not None:
            stop_executor(self.executor)


class SandboxTelegramProcess(_StandInProcess):
    """`python -m sandbox.telegram` on a free port; `url` once started."""

    module = "sandbox.telegram"
    name = "Telegram"


class ModuleProcess:
    """`python -m <module>` with extra environment, logging to `log_path`."""

    def __init__(self, module: str, env: dict[str, str], log_path: Path) -> None:
        self.module = module
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def start(self):
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", self.module],
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=REPO,
            )
        return self

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def terminate(self, timeout: float = 15.0) -> int:
        """SIGTERM and wait; returns the exit code (raises if it did not stop in time)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            return self.proc.wait(timeout)
        return self.proc.returncode

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class WorkerProcess(ModuleProcess):
    """One `python -m pool.worker` for slot `pool_id`."""

    def __init__(self, pool_id: int, env: dict[str, str], log_path: Path) -> None:
        super().__init__("pool.worker", {**env, "BOT_POOL_ID": str(pool_id)}, log_path)
        self.pool_id = pool_id

    @property
    def slot(self) -> str:
        return f"booking-bot-pool-{self.pool_id}"


class Supervisor:
    """A private supervisord in `run_dir` running `size` slots from the deployment's template,
    forked by the spawner (its program too) unless `spawner` is False."""

    def __init__(self, run_dir: Path, env: dict[str, str], *, spawner: bool = True) -> None:
        self.run_dir = run_dir
        self.env = dict(env)
        self.conf = run_dir / "supervisord.conf"
        self.programs = run_dir / "programs"
        self.logs = run_dir / "logs"
        self.proc: subprocess.Popen | None = None
        self.spawner_dir: Path | None = None
        if spawner:  # short: a unix socket's path has at most 107 bytes
            self.spawner_dir = Path(tempfile.mkdtemp(prefix="bot-pool-spawner-"))
            self.env["POOL_SPAWNER_SOCKET"] = str(self.spawner_dir / "spawner.sock")
        else:
            self.env["POOL_SPAWNER_SOCKET"] = ""

    @property
    def spawner_socket(self) -> Path | None:
        return None if self.spawner_dir is None else self.spawner_dir / "spawner.sock"

    def write_config(self, size: int) -> None:
        self.programs.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(
            "[unix_http_server]\n"
            f"file={self.run_dir}/supervisor.sock\n"
            "chmod=0700\n\n"
            "[supervisord]\n"
            f"logfile={self.logs}/supervisord.log\n"
            f"pidfile={self.run_dir}/supervisord.pid\n"
            "nodaemon=true\n\n"
            "[rpcinterface:supervisor]\n"
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n"
            "[supervisorctl]\n"
            f"serverurl=unix://{self.run_dir}/supervisor.sock\n\n"
            "[include]\n"
            f"files = {self.programs}/*.conf\n",
            encoding="utf-8",
        )
        if self.spawner_dir is not None:
            (self.programs / "spawner.conf").write_text(
                render_spawner(python=sys.executable, app_dir=REPO, log_dir=self.logs),
                encoding="utf-8",
            )
        for n in range(1, size + 1):
            (self.programs / f"bot-pool-{n}.conf").write_text(
                render_program(n, python=sys.executable, app_dir=REPO, log_dir=self.logs),
                encoding="utf-8",
            )

    def start(self, size: int) -> Supervisor:
        self.write_config(size)
        bindir = Path(sys.executable).parent
        self.proc = subprocess.Popen(
            [str(bindir / "supervisord"), "-c", str(self.conf)],
            env={**os.environ, **self.env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=self.run_dir,
        )
        return self

    def ctl(self, *args: str) -> subprocess.CompletedProcess:
        bindir = Path(sys.executable).parent
        return subprocess.run(
            [str(bindir / "supervisorctl"), "-c", str(self.conf), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )

    def running(self) -> dict[str, int]:
        """Program name → pid of every RUNNING program (`supervisorctl status`)."""
        pids = {}
        for line in self.ctl("status").stdout.splitlines():
            parts = line.split()
            if len(parts) >= 4 and parts[1] == "RUNNING" and parts[2] == "pid":
                pids[parts[0]] = int(parts[3].rstrip(","))
        return pids

    def stop(self, timeout: float = 60.0) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # supervisord stops its programs (SIGTERM each) and exits
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.spawner_dir is not None:
            shutil.rmtree(self.spawner_dir, ignore_errors=True)


def process_ended(pid: int) -> bool:
    """The process is gone or a zombie (ended, not yet reaped by whoever is its parent now)."""
    try:
        return _stat_fields(pid)[0] in ("Z", "X")
    except OSError:
        return True


def process_name(pid: int) -> str:
    """/proc/PID/comm: what `ps -o comm` shows (a forked slot is named `bot-pool-N`)."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def parent_pid(pid: int) -> int | None:
    try:
        return int(_stat_fields(pid)[1])
    except (OSError, IndexError, ValueError):
        return None


def rss_kib(pid: int) -> int:
    """Resident memory of a process, KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _rollup_kib(pid: int, *fields: str) -> int:
    try:
        rollup = smaps_rollup_kib(pid)
    except OSError:
        return 0
    return sum(rollup.get(field, 0) for field in fields)


def pss_kib(pid: int) -> int:
    """Proportional set size (shared pages split between sharers), KiB."""
    return _rollup_kib(pid, "Pss")


def uss_kib(pid: int) -> int:
    """Unique set size: the pages only this process has (what ending it would free), KiB."""
    return _rollup_kib(pid, "Private_Clean", "Private_Dirty")


def smaps_rollup_kib(pid: int) -> dict[str, int]:
    """`/proc/PID/smaps_rollup` as {field: KiB} (Rss, Pss, Private_Clean, Private_Dirty…);
    raises OSError when the process is gone."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        fields[name.rstrip(":")] = int(value)
    return fields


def _stat_fields(pid: int) -> list[str]:
    """`/proc/PID/stat` from field 3 (state) on: the command name may hold spaces."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_times(pid: int) -> tuple[float, float, int]:
    """User and system CPU seconds of a process, and its minor page faults (copy-on-write
    included), from /proc."""
    fields = _stat_fields(pid)
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick, int(fields[7])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc."""
    user, system, _ = cpu_times(pid)
    return user + system


def started_at(pid: int) -> float:
    """When the process started, on the clock of `time.clock_gettime(time.CLOCK_BOOTTIME)`
    (to the kernel's tick, 10 ms); raises OSError when it is gone."""
    return int(_stat_fields(pid)[19]) / os.sysconf("SC_CLK_TCK")


class SandboxYooKassaProcess(_StandInProcess):
    """`python -m sandbox.yookassa` on a free port; `url` once started (API at `url + '/v3'`)."""

    module = "sandbox.yookassa"
    name = "YooKassa"


_WEBHOOK_RE = re.compile(r"YooKassa webhook listening on (http://\S+)")


class SalesProcess(ModuleProcess):
    """`python -m sales` logging to `log_path`; `webhook_url` once it listens."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        super().__init__("sales", env, log_path)
        self.webhook_url: str | None = None

    async def ready(self, timeout: float = 60.0) -> str:
        async def listening():
            if self.proc.poll() is not None:
                raise RuntimeError(f"sales exited with {self.proc.returncode}:\n{self.log()}")
            match = _WEBHOOK_RE.search(self.log())
            return match.group(1) if match and "Sales Bot @" in self.log() else None

        self.webhook_url = await wait_until(listening, timeout=timeout, what="the Sales service")
        return self.webhook_url
