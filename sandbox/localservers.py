"""Throw-away PostgreSQL and Redis servers on 127.0.0.1, started from the machine's binaries.

Used by the test suite (`tests/conftest.py`), `make demo` and `make bench`; no Docker, no system
services. Each server lives in its own temporary directory and is removed again by `stop()`:

    with LocalPostgres() as pg, LocalRedis() as rd:
        print(pg.dsn, rd.url)

`mirakuru` runs each server process: it starts it, waits until it is ready (PostgreSQL: its pid
file says "ready", as `pg_ctl start -w` waits for; Redis: it accepts connections), stops it
(SIGINT, PostgreSQL's fast shutdown; SIGTERM for Redis) and kills it and whatever it left when
it does not stop. `start_executor` (also used for the sandbox stand-ins) picks a free port and
tries another when that one was taken in the meantime. What is ours: finding the binaries, the
temporary directory, `initdb` and the role and database the application expects, the settings
files, and running PostgreSQL as its own user:

PostgreSQL: `initdb` and `postgres` refuse to run as root, so when this process is root every
PostgreSQL binary runs as the `postgres` system user (the apt package `postgresql` creates it)
and the temporary directory is handed to that user. (pytest-postgresql runs `pg_ctl` as the
current user, in pytest's root-only temporary directory; pytest-redis passes the password on
the command line. Neither serves `make demo`, which runs outside pytest.)

Passwords are random unless given. They appear in `dsn` / `url` (that is their point) but never
in `repr()`, a command line, exception texts or log output from this module.

`python -m sandbox.localservers` starts both servers, prints the DSN and URL, and stops them on
Ctrl-C.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote

import mirakuru.base
import psutil
from mirakuru import (
    AlreadyRunning,
    Executor,
    ExecutorError,
    ProcessExitedWithError,
    TCPExecutor,
    TimeoutExpired,
)
from mirakuru.exceptions import ProcessFinishedWithError

__all__ = [
    "LocalPostgres",
    "LocalRedis",
    "LocalServerError",
    "find_free_port",
    "find_pg_bindir",
    "find_redis_server",
    "server_env",
    "start_executor",
    "stop_executor",
]

HOST = "127.0.0.1"
PG_OS_USER = "postgres"  # the OS user PostgreSQL runs as when we are root
PG_SUPERUSER = "postgres"  # the database superuser created by initdb
_PORT_ATTEMPTS = 3  # retries when a port we picked ourselves was taken in the meantime
_POLL = 0.02  # seconds between readiness checks
_TAIL_LINES = 30
_REDACTED = "********"

ExecutorT = TypeVar("ExecutorT", bound=Executor)


class LocalServerError(RuntimeError):
    """A local server could not be found, started or used (the text never holds a password)."""


# --------------------------------------------------------------------------- helpers


def find_free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_executor(make: Callable[[int], ExecutorT], port: int | None = None) -> ExecutorT:
    """`make(port).start()`: on `port`, or on a port that was free a moment ago and, when that
    one was taken in the meantime (something listens there, or the process exited: it could not
    bind), on another one, `_PORT_ATTEMPTS` times in all. Raises mirakuru's error of the last
    attempt; whatever the attempt started is stopped first, also on Ctrl-C."""
    _use_exact_exit_hook()
    attempts = 1 if port else _PORT_ATTEMPTS
    for attempt in range(1, attempts + 1):
        executor = make(port or find_free_port())
        try:
            return executor.start()
        except (AlreadyRunning, ProcessExitedWithError):
            if attempt == attempts:
                raise
        except BaseException:
            executor.kill()
            raise
    raise AssertionError("unreachable")


def stop_executor(executor: mirakuru.base.SimpleExecutor) -> None:
    """Stop it (its stop signal, then SIGKILL after its timeout), also when it had ended already."""
    with contextlib.suppress(ProcessFinishedWithError):
        executor.stop()


def _use_exact_exit_hook() -> None:
    """mirakuru kills, at exit, every process whose `mirakuru_uuid` merely contains this
    process's pid: with pids 1234 and 21234 one test run would kill another's servers. Ours
    takes only the processes that our own executors started and nobody stopped."""
    atexit.unregister(mirakuru.base.cleanup_subprocesses)
    atexit.unregister(_kill_leftovers)
    atexit.register(_kill_leftovers)


def _kill_leftovers() -> None:
    prefix = f"{os.getpid()}:"
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if process.environ().get(mirakuru.base.ENV_UUID, "").startswith(prefix):
                process.kill()


def _why(error: ExecutorError) -> str:
    if isinstance(error, AlreadyRunning):
        return "the port is already in use"
    if isinstance(error, ProcessExitedWithError):
        return f"it exited with code {error.exit_code}"
    if isinstance(error, TimeoutExpired):
        return f"not ready within {error.timeout:g} s"
    return type(error).__name__


def _version_key(path: Path) -> tuple[int, ...]:
    # /usr/lib/postgresql/15/bin -> (15,); non-numeric names sort first
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name)) or (-1,)


def find_pg_bindir() -> Path:
    """The directory with `initdb`, `postgres` and `psql`.

    `PG_BINDIR` if set; else the newest `/usr/lib/postgresql/*/bin` that has `initdb`; else
    `pg_config --bindir`.
    """
    explicit = os.environ.get("PG_BINDIR")
    if explicit:
        bindir = Path(explicit)
        if not (bindir / "initdb").is_file():
            raise LocalServerError(f"PG_BINDIR={explicit} has no initdb")
        return bindir

    candidates = [
        path for path in Path("/usr/lib/postgresql").glob("*/bin") if (path / "initdb").is_file()
    ]
    if candidates:
        return max(candidates, key=_version_key)

    pg_config = shutil.which("pg_config")
    if pg_config:
        result = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        )
        bindir = Path(result.stdout.strip())
        if result.returncode == 0 and (bindir / "initdb").is_file():
            return bindir

    raise LocalServerError(
        "PostgreSQL server binaries (initdb, postgres) not found: install the apt package "
        "`postgresql` (sudo apt-get install -y postgresql), or set PG_BINDIR to the "
        "directory that holds initdb"
    )


def find_redis_server() -> Path:
    """The `redis-server` binary (`REDIS_SERVER` env var, else PATH, else /usr/bin, /usr/sbin)."""
    explicit = os.environ.get("REDIS_SERVER")
    if explicit:
        if not Path(explicit).is_file():
            raise LocalServerError(f"REDIS_SERVER={explicit} does not exist")
        return Path(explicit)
    found = shutil.which("redis-server")
    if found:
        return Path(found)
    for candidate in (Path("/usr/bin/redis-server"), Path("/usr/sbin/redis-server")):
        if candidate.is_file():
            return candidate
    raise LocalServerError(
        "redis-server not found: install the apt package `redis-server` "
        "(sudo apt-get install -y redis-server), or set REDIS_SERVER to the binary"
    )


def _redact(text: str, hidden: Iterable[str]) -> str:
    for secret in hidden:
        if secret:
            text = text.replace(secret, _REDACTED)
            quoted = quote(secret, safe="")
            if quoted != secret:
                text = text.replace(quoted, _REDACTED)
    return text


def _tail(path: Path, lines: int = _TAIL_LINES) -> str:
    try:
        content = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(content.splitlines()[-lines:]) or "(empty log)"


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(value: str) -> str:
    # standard_conforming_strings is on (the default since 9.1): only quotes need doubling
    return "'" + value.replace("'", "''") + "'"


def _clean_env() -> dict[str, str]:
    """Our environment without libpq's PG* variables (they would redirect psql and initdb)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env["LC_ALL"] = "C"
    env["LANG"] = "C"
    return env


def server_env(database_url: str, redis: LocalRedis) -> dict[str, str]:
    """Environment variables a child process (a worker, a bot) needs to reach these servers.

    Only the four variables; merge them into `os.environ` yourself:
    `subprocess.Popen(..., env={**os.environ, **server_env(dsn, redis)})`.
    """
    return {
        "DATABASE_URL": database_url,
        "REDIS_HOST": redis.host,
        "REDIS_PORT": str(redis.port),
        "REDIS_PASSWORD": redis.password,
    }


class _ServerBase:
    """Temporary directory bookkeeping and context-manager support shared by both servers."""

    _prefix = "localserver-"

    def __init__(self, *, base_dir: Path | str | None, port: int | None, keep: bool) -> None:
        self._base_dir = Path(base_dir) if base_dir is not None else None
        self._fixed_port = port is not None
        self._port = port if port is not None else 0
        self._keep = keep and base_dir is not None
        self._root: Path | None = None

    @property
    def host(self) -> str:
        return HOST

    @property
    def port(self) -> int:
        if not self._port:
            raise LocalServerError(f"{type(self).__name__} has no port yet: call start() first")
        return self._port

    @property
    def root_dir(self) -> Path:
        """The temporary directory that holds this server's files (created by start())."""
        if self._root is None:
            raise LocalServerError(f"{type(self).__name__} is not started")
        return self._root

    def _make_root(self) -> Path:
        if self._base_dir is not None:
            self._base_dir.mkdir(parents=True, exist_ok=True)
        self._root = Path(tempfile.mkdtemp(prefix=self._prefix, dir=self._base_dir))
        return self._root

    def _remove_root(self) -> None:
        root, self._root = self._root, None
        if root is not None and not self._keep:
            shutil.rmtree(root, ignore_errors=True)

    def start(self) -> Self:  # pragma: no cover - overridden
        raise NotImplementedError

    def stop(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"port={self._port}" if self._root is not None else "stopped"
        return f"<{type(self).__name__} {HOST} {state}>"


# --------------------------------------------------------------------------- PostgreSQL


class LocalPostgres(_ServerBase):
    """A PostgreSQL cluster in a temporary directory, tuned for tests (no fsync), on 127.0.0.1.

    `start()` creates the LOGIN role `user` (password auth over TCP, scram-sha-256; CREATEROLE,
    as the one role of a developer machine makes the tenants' roles), the
    database `database` owned by it, and the extension `btree_gist` in it. The superuser
    `postgres` is reachable without a password over the unix socket in the temporary
    directory (`admin_dsn`).
    """

    _prefix = "botpool-pg-"

    def __init__(
        self,
        *,
        base_dir: Path | str | None = None,
        port: int | None = None,
        user: str = "booking_user",
        password: str | None = None,
        database: str = "booking_saas",
        keep: bool = False,
        bindir: Path | str | None = None,
        start_timeout: float = 60.0,
    ) -> None:
        """`base_dir` is where the temporary directory is made (default: the system temp dir);
        `keep=True` (only with `base_dir`) leaves it on disk after stop() for inspection."""
        super().__init__(base_dir=base_dir, port=port, keep=keep)
        self.user = user
        self.password = password if password is not None else secrets.token_urlsafe(18)
        self.database = database
        self._bindir = Path(bindir) if bindir is not None else None
        self._start_timeout = start_timeout
        self._executor: _PostgresExecutor | None = None
        self._run_as: pwd.struct_passwd | None = None

    # ---- addresses

    @property
    def dsn(self) -> str:
        """postgresql://user:password@127.0.0.1:port/database (the application's role)."""
        return self.dsn_for(self.database)

    def dsn_for(self, database: str, user: str | None = None, password: str | None = None) -> str:
        """A TCP DSN for `database` as `user` (default: the application's role and password)."""
        if user is None:
            user, password = self.user, self.password
        auth = quote(user, safe="")
        if password is not None:
            auth += ":" + quote(password, safe="")
        return f"postgresql://{auth}@{HOST}:{self.port}/{quote(database, safe='')}"

    @property
    def admin_dsn(self) -> str:
        """The superuser `postgres` over the unix socket (trust auth), database `postgres`."""
        return self.admin_dsn_for("postgres")

    def admin_dsn_for(self, database: str) -> str:
        return (
            f"postgresql://{PG_SUPERUSER}@/{quote(database, safe='')}"
            f"?host={quote(str(self.socket_dir), safe='/')}&port={self.port}"
        )

    @property
    def socket_dir(self) -> Path:
        return self.root_dir

    @property
    def data_dir(self) -> Path:
        return self.root_dir / "data"

    @property
    def log_path(self) -> Path:
        return self.root_dir / "server.log"

    @property
    def bindir(self) -> Path:
        if self._bindir is None:
            self._bindir = find_pg_bindir()
        return self._bindir

    @property
    def running(self) -> bool:
        return self._executor is not None and self._executor.running()

    # ---- lifecycle

    def start(self) -> Self:
        if self.running:
            return self
        bindir = self.bindir  # fail early, before making directories
        self._run_as = self._os_user()
        root = self._make_root()
        try:
            if self._run_as is not None:
                os.chown(root, self._run_as.pw_uid, self._run_as.pw_gid)
            self._initdb(bindir)
            self._write_settings()
            self._start_server(bindir)
            self._bootstrap()
        except BaseException:
            self._teardown()
            raise
        return self

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove the temporary directory.

        Safe to call more than once, and after a failed start().
        """
        self._teardown()

    def _teardown(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            stop_executor(executor)
        self._remove_root()
        if not self._fixed_port:
            self._port = 0

    # ---- SQL as the superuser

    def run_sql(self, sql: str, *, database: str = "postgres") -> str:
        """Run SQL (one or more statements, psql meta-commands allowed) as the superuser.

        Each statement runs in its own transaction (psql autocommit); stops at the first
        error and raises LocalServerError. Returns psql's unaligned, tuples-only output.
        """
        if not self.running:
            raise LocalServerError("LocalPostgres is not running: call start() first")
        result = self._run(
            [
                str(self.bindir / "psql"),
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                str(self.socket_dir),
                "-p",
                str(self.port),
                "-U",
                PG_SUPERUSER,
                "-d",
                database,
            ],
            input_text=sql,
        )
        if result.returncode != 0:
            raise LocalServerError(
                f"psql failed (exit {result.returncode}) on database {database!r}:\n"
                + self._redact(result.stderr.strip() or result.stdout.strip())
            )
        return result.stdout

    def create_database(
        self, name: str, owner: str | None = None, *, template: str | None = None
    ) -> str:
        """Create database `name` owned by `owner` (default: the app role), with btree_gist.

        With `template`, the new database is a copy of that one (made by this method, so it
        has btree_gist already; nobody may be connected to it): one statement instead of two,
        which is what a test suite creating a database per test wants.
        Returns its DSN for the application's role (the owner, when it is the app role).
        """
        owner = owner if owner is not None else self.user
        create = f"CREATE DATABASE {_quote_ident(name)} OWNER {_quote_ident(owner)} "
        if template is not None:
            self.run_sql(create + f"TEMPLATE {_quote_ident(template)};\n")
            return self.dsn_for(name)
        self.run_sql(
            create + "TEMPLATE template0 ENCODING 'UTF8';\n"
            f"\\connect {_quote_ident(name)}\n"
            "CREATE EXTENSION IF NOT EXISTS btree_gist;\n"
        )
        return self.dsn_for(name)

    def drop_database(self, name: str) -> None:
        """Drop database `name`, closing whatever connections are still open to it."""
        self.run_sql(f"DROP DATABASE IF EXISTS {_quote_ident(name)} WITH (FORCE);")

    # ---- internals

    def _os_user(self) -> pwd.struct_passwd | None:
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam(PG_OS_USER)
        except KeyError:
            raise LocalServerError(
                "running as root, and PostgreSQL refuses to run as root: there is no "
                f"{PG_OS_USER!r} system user to run it as (the apt package `postgresql` "
                "creates one), or run the tests as an ordinary user"
            ) from None

    def _run(
        self,
        args: list[str],
        *,
        input_text: str | None = None,
        timeout: float | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL binary, as the `postgres` OS user when we are root."""
        kwargs: dict[str, Any] = {}
        if self._run_as is not None:
            kwargs = {
                "user": self._run_as.pw_uid,
                "group": self._run_as.pw_gid,
                "extra_groups": [],
            }
        env = _clean_env()
        if self._run_as is not None:
            env["HOME"] = self._run_as.pw_dir
        try:
            return subprocess.run(
                args,
                input=input_text,
                capture_output=True,
                text=True,
                env=env,
                cwd=self._root,
                timeout=timeout if timeout is not None else self._start_timeout,
                check=False,
                **kwargs,
            )
        except subprocess.TimeoutExpired as exc:
            raise LocalServerError(
                f"{Path(args[0]).name} did not finish in {exc.timeout:.0f} s"
            ) from None

    def _redact(self, text: str) -> str:
        return _redact(text, [self.password])

    def _initdb(self, bindir: Path) -> None:
        result = self._run(
            [
                str(bindir / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                PG_SUPERUSER,
                "-E",
                "UTF8",
                "--locale=C",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--no-sync",
            ]
        )
        if result.returncode != 0:
            hint = ""
            if self._run_as is not None:
                hint = (
                    f"\n(running as root: initdb runs as {PG_OS_USER!r}, which must be able to "
                    f"reach {self.root_dir}; pass a base_dir outside private home directories)"
                )
            raise LocalServerError(
                f"initdb failed (exit {result.returncode}):\n"
                + self._redact((result.stderr or result.stdout).strip())
                + hint
            )

    def _write_settings(self) -> None:
        conf = self.data_dir / "localservers.conf"
        conf.write_text(
            "# written by sandbox.localservers: a throw-away server for tests\n"
            f"listen_addresses = '{HOST}'\n"
            f"unix_socket_directories = {_quote_literal(str(self.socket_dir))}\n"
            "fsync = off\n"
            "synchronous_commit = off\n"
            "full_page_writes = off\n"
            "wal_level = minimal\n"
            "max_wal_senders = 0\n"
            "max_wal_size = 1GB\n"
            "checkpoint_timeout = 30min\n"
            "max_connections = 200\n"
            "max_locks_per_transaction = 256\n"
            "shared_buffers = 32MB\n"
            "work_mem = 4MB\n"
            "logging_collector = off\n"
            "log_min_messages = warning\n"
            "log_min_error_statement = panic\n"  # failing statements may hold passwords
            "log_connections = off\n",
            encoding="utf-8",
        )
        if self._run_as is not None:
            os.chown(conf, self._run_as.pw_uid, self._run_as.pw_gid)
        main_conf = self.data_dir / "postgresql.conf"
        text = main_conf.read_text(encoding="utf-8")
        if "include = 'localservers.conf'" not in text:
            with main_conf.open("a", encoding="utf-8") as handle:
                handle.write("\ninclude = 'localservers.conf'\n")

    def _start_server(self, bindir: Path) -> None:
        popen: dict[str, Any] = {}
        if self._run_as is not None:
            popen = {"user": self._run_as.pw_uid, "group": self._run_as.pw_gid, "extra_groups": []}

        def server(port: int) -> _PostgresExecutor:
            self._port = port
            return _PostgresExecutor(
                [str(bindir / "postgres"), "-D", str(self.data_dir), "-p", str(port)],
                port,
                self.data_dir,
                cwd=str(self.root_dir),
                envvars={"LC_ALL": "C", "LANG": "C"},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                popen_kwargs=popen,
                timeout=self._start_timeout,
                sleep=_POLL,
                stop_signal=signal.SIGINT,  # fast shutdown: do not wait for clients to leave
            )

        with open(self.log_path, "ab") as log:  # the server keeps its own descriptor
            try:
                self._executor = start_executor(server, self._port if self._fixed_port else None)
            except ExecutorError as error:
                raise LocalServerError(
                    f"PostgreSQL did not start on {HOST}:{self._port}: {_why(error)}\n"
                    f"--- {self.log_path} (last lines) ---\n{self._redact(_tail(self.log_path))}"
                ) from None

    def _bootstrap(self) -> None:
        self.run_sql(
            f"CREATE ROLE {_quote_ident(self.user)} LOGIN CREATEROLE PASSWORD "
            f"{_quote_literal(self.password)};\n"
            f"CREATE DATABASE {_quote_ident(self.database)} OWNER {_quote_ident(self.user)} "
            "TEMPLATE template0 ENCODING 'UTF8';\n"
            f"\\connect {_quote_ident(self.database)}\n"
            "CREATE EXTENSION IF NOT EXISTS btree_gist;\n"
        )


class _PostgresExecutor(TCPExecutor):
    """`postgres -D DATA -p PORT`, ready once its pid file says so (what `pg_ctl start -w`
    waits for: the server has opened its sockets and finished starting up)."""

    def __init__(self, command: list[str], port: int, data_dir: Path, **kwargs: Any) -> None:
        super().__init__(command, HOST, port, **kwargs)
        self._pid_file = data_dir / "postmaster.pid"

    def after_start_check(self) -> bool:
        try:
            lines = self._pid_file.read_text(encoding="utf-8").splitlines()
        except OSError:
            return False
        return len(lines) > 7 and lines[7].strip() == "ready"  # LOCK_FILE_LINE_PM_STATUS


# --------------------------------------------------------------------------- Redis


class LocalRedis(_ServerBase):
    """A `redis-server` child process on 127.0.0.1 with a password and no persistence."""

    _prefix = "botpool-redis-"

    def __init__(
        self,
        *,
        base_dir: Path | str | None = None,
        port: int | None = None,
        password: str | None = None,
        keep: bool = False,
        binary: Path | str | None = None,
        start_timeout: float = 15.0,
    ) -> None:
        """`base_dir` is where the temporary directory is made (default: the system temp dir);
        `keep=True` (only with `base_dir`) leaves it on disk after stop() for inspection."""
        super().__init__(base_dir=base_dir, port=port, keep=keep)
        self.password = password if password is not None else secrets.token_urlsafe(18)
        self._binary = Path(binary) if binary is not None else None
        self._start_timeout = start_timeout
        self._executor: TCPExecutor | None = None

    @property
    def url(self) -> str:
        """redis://:password@127.0.0.1:port/0"""
        return f"redis://:{quote(self.password, safe='')}@{HOST}:{self.port}/0"

    @property
    def log_path(self) -> Path:
        return self.root_dir / "redis.log"

    @property
    def pid(self) -> int | None:
        process = self._executor.process if self._executor is not None else None
        return process.pid if process is not None else None

    @property
    def running(self) -> bool:
        return self._executor is not None and self._executor.running()

    @property
    def binary(self) -> Path:
        if self._binary is None:
            self._binary = find_redis_server()
        return self._binary

    def start(self) -> Self:
        if self.running:
            return self
        binary = self.binary
        self._make_root()
        try:
            conf = self._write_config()

            def server(port: int) -> TCPExecutor:
                self._port = port
                self.log_path.unlink(missing_ok=True)
                return TCPExecutor(
                    [str(binary), str(conf), "--port", str(port)],
                    HOST,
                    port,
                    cwd=str(self.root_dir),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    timeout=self._start_timeout,
                    sleep=_POLL,
                )

            self._executor = self._started(
                lambda: start_executor(server, self._port if self._fixed_port else None)
            )
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server (SIGTERM; it saves nothing) and remove the temporary directory.

        Safe to call more than once, and after a failed start().
        """
        executor, self._executor = self._executor, None
        if executor is not None:
            stop_executor(executor)
        self._remove_root()
        if not self._fixed_port:
            self._port = 0

    def restart_empty(self) -> None:
        """Stop the server and start it again on the same port and password, with no data."""
        executor = self._executor
        if executor is None:
            raise LocalServerError("LocalRedis is not started")
        stop_executor(executor)
        for leftover in ("dump.rdb", "appendonly.aof", "appendonlydir"):
            path = self.root_dir / leftover
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        # the old listening socket is gone once the process has exited; redis sets
        # SO_REUSEADDR, so connections in TIME_WAIT do not block the port
        self._started(executor.start)

    # ---- internals

    def _started(self, start: Callable[[], TCPExecutor]) -> TCPExecutor:
        try:
            return start()
        except ExecutorError as error:
            raise LocalServerError(
                f"redis-server did not start on {HOST}:{self._port}: {_why(error)}\n"
                f"--- {self.log_path} (last lines) ---\n"
                + _redact(_tail(self.log_path), [self.password])
            ) from None

    def _write_config(self) -> Path:
        """The settings, the password among them, in a file only we can read (not on the command
        line, where every local user sees it)."""
        conf = self.root_dir / "redis.conf"
        escaped = self.password.replace("\\", "\\\\").replace('"', '\\"')
        conf.write_text(
            "# written by sandbox.localservers: a throw-away server for tests\n"
            f"bind {HOST}\n"
            f'requirepass "{escaped}"\n'
            'save ""\n'
            "appendonly no\n"
            f'dir "{self.root_dir}"\n'
            "daemonize no\n"
            "supervised no\n"
            "protected-mode yes\n"
            f'logfile "{self.log_path}"\n'
            "loglevel notice\n"
            "databases 16\n",
            encoding="utf-8",
        )
        conf.chmod(0o600)
        return conf


# --------------------------------------------------------------------------- CLI


def _print_env(pg: LocalPostgres, rd: LocalRedis, out: Mapping[str, str]) -> None:
    print("PostgreSQL and Redis are running (Ctrl-C stops both and removes their files).")
    print(f"  postgres data: {pg.data_dir}")
    print(f"  admin (psql):  {pg.bindir / 'psql'} '{pg.admin_dsn}'")
    print(f"  redis files:   {rd.root_dir}")
    for key, value in out.items():
        print(f"export {key}='{value}'")


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m sandbox.localservers",
        description="Start a throw-away PostgreSQL and Redis on 127.0.0.1 until Ctrl-C.",
    )
    parser.add_argument("--pg-port", type=int, default=None)
    parser.add_argument("--redis-port", type=int, default=None)
    parser.add_argument("--base-dir", type=Path, default=None)
    args = parser.parse_args(argv)

    with (
        LocalPostgres(base_dir=args.base_dir, port=args.pg_port) as pg,
        LocalRedis(base_dir=args.base_dir, port=args.redis_port) as rd,
    ):
        _print_env(pg, rd, server_env(pg.dsn, rd))
        # also when started in the background, where SIGINT arrives ignored
        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("stopping...")
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    raise SystemExit(main())
