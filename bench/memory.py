"""`make bench-memory`: N pool slots under supervisord, standalone and forked from the spawner.

Each way in turn (never both at once) on the same PostgreSQL, Redis and Telegram sandbox:
supervisord starts (with the spawner program when forked; the figures start once it listens),
then N slot programs are added to it at once, as `booking-pool grow` does (`pool.scaler`).
Measured:

- slot start: the launcher's process start (/proc) → the slot seen `waiting` in Redis (polled
  every 20 ms), and the CPU the slot's processes used to get there; then `--restarts` waiting
  slots restarted one at a time (`supervisorctl restart`): a slot starting alone;
- PSS (/proc/PID/smaps_rollup) per waiting slot — launcher + forked child, or the one standalone
  process — and the spawner's; the same for active slots after their customers were served;
- activation latency of half the slots, one after the other: `activate_bot()` → the bot answers
  a customer's `/start` (as `make bench` measures it), and the CPU and page faults of the slot's
  processes for it; then `--customers` customers per active bot book through the sandbox's
  buttons, all bots at once;
- PostgreSQL server connections to the database (pg_stat_activity) by role: the slots connect
  as `booking_pool` (as deployed), the tenant bots as `client_NNN`; sampled every 50 ms while
  activating and while the customers are served, and at rest after SLOT_DB_IDLE (set low for
  the run).

The projection for 100 slots adds, to the total measured for N, (100 - N) times a slot's
private memory (USS: what one more slot adds; shared pages are already counted); the upper
bound is 100 x the PSS per slot measured here + the spawner. The targets are judged on the
forked slots: the largest PSS, the bound for 100, the slowest start, and activation p50 and p95
within 10 % of standalone's. Timings depend on what else the machine runs: the load average
is printed with each way.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import secrets
import signal
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from bench.customers import MAX_CUSTOMERS, clock_env, customer_flow, setup_salon
from bench.stand import PoolStand, activate_and_greet, pool_stand
from bench.stats import percentile
from core import keys
from core.db import create_pool, dsn_as
from core.settings import Settings
from pool.scaler import SupervisorPool
from pool.status import SlotStatus, parse
from sandbox.harness import (
    Supervisor,
    cpu_seconds,
    cpu_times,
    smaps_rollup_kib,
    started_at,
    wait_until,
)
from sandbox.telegram.client import SandboxTelegram

SPAWNER = "booking-pool-spawner"
PROJECTED_SLOTS = 100
MB = 1_000_000  # the targets' units: MB and GB are powers of ten here
GB = 1_000_000_000
TARGET_WAITING_MB = 40
TARGET_ACTIVE_MB = 50
TARGET_100_GB = 4.5
TARGET_START_S = 1.0
LATENCY_TOLERANCE = 0.10  # "no worse": p50 and p95 within 10 % of standalone's (10 samples)
POLL = 0.02
SAMPLE = 0.05
_CLIENT_ROLE = re.compile(r"client_\d{3,}\Z")
STOP_REQUESTED = threading.Event()  # set by SIGINT/SIGTERM


def boottime() -> float:
    return time.clock_gettime(time.CLOCK_BOOTTIME)


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Mem:
    """One slot (launcher + forked child, or the one process), or the spawner: KiB."""

    pss: int
    uss: int  # private: what one more such slot adds
    rss: int


def measure(pids: list[int]) -> Mem:
    rollups = [smaps_rollup_kib(pid) for pid in pids]
    return Mem(
        sum(r["Pss"] for r in rollups),
        sum(r["Private_Clean"] + r["Private_Dirty"] for r in rollups),
        sum(r["Rss"] for r in rollups),
    )


@dataclass
class Connections:
    """Server connections to the database by role, at one moment."""

    by_role: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_role.values())

    @property
    def pool(self) -> int:
        return self.by_role.get("booking_pool", 0)

    @property
    def tenants(self) -> dict[str, int]:
        return {r: n for r, n in self.by_role.items() if _CLIENT_ROLE.match(r)}

    @property
    def other(self) -> dict[str, int]:
        return {
            r: n for r, n in self.by_role.items() if r != "booking_pool" and r not in self.tenants
        }

    def line(self) -> str:
        tenants = self.tenants
        other = self.other
        per = f", ≤ {max(tenants.values())} each" if tenants else ""
        names = ", ".join(f"{r} {n}" for r, n in sorted(other.items()))
        return (
            f"{self.total:3d} = booking_pool {self.pool} + client_NNN {sum(tenants.values())} "
            f"({len(tenants)} tenants{per}) + other {sum(other.values())}"
            + (f" ({names})" if names else "")
        )


class ConnectionSampler:
    """Samples pg_stat_activity for the database in the background, keeping the sample with the
    most connections per phase (`phase` is set by the caller). Its own connection is left out."""

    QUERY = (
        "SELECT coalesce(usename, '?') AS role, count(*) AS n FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY 1"
    )

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.phase = "start"
        self.peaks: dict[str, Connections] = {}
        self._lock = asyncio.Lock()

    async def count(self) -> Connections:
        async with self._lock:
            rows = await self.conn.fetch(self.QUERY)
        return Connections({r["role"]: r["n"] for r in rows})

    async def run(self) -> None:
        while True:
            sample = await self.count()
            peak = self.peaks.get(self.phase)
            if peak is None or sample.total > peak.total:
                self.peaks[self.phase] = sample
            await asyncio.sleep(SAMPLE)


@dataclass
class Tenant:
    """A salon bought for the run: its bot in the sandbox, the slot it got."""

    number: int
    client_id: str
    token: str
    bot: str
    company: str
    owner: int
    slot: str = ""

    @classmethod
    def make(cls, number: int) -> Tenant:
        return cls(
            number,
            f"client_{number:03d}",
            f"{7400000000 + number}:AAbenchMemory_{number:04d}_abcdefghijklmnopq",
            f"bench_memory_{number}_bot",
            f"Салон №{number}",
            1_000_000 + number,
        )


@dataclass
class ModeResult:
    name: str
    slots: int
    load: str = ""  # the machine's 1-minute load average before and after: shared machines
    fencing_period: float = 0.0
    launcher_pss: list[int] = field(default_factory=list)  # forked: the launchers' part
    spawner_ready_s: float | None = None
    spawner_cpu_s: float | None = None
    all_waiting_s: float = 0.0
    start_s: list[float] = field(default_factory=list)
    start_cpu_s: list[float] = field(default_factory=list)
    to_fork_s: list[float] = field(default_factory=list)  # forked: launcher start → fork
    restart_s: list[float] = field(default_factory=list)  # one slot alone
    activation_cpu_ms: list[float] = field(default_factory=list)  # the slot's CPU
    activation_sys_ms: list[float] = field(default_factory=list)  # of which the kernel's
    activation_faults: list[int] = field(default_factory=list)  # minor page faults
    spawner_waiting: Mem | None = None
    waiting: list[Mem] = field(default_factory=list)
    supervisord_pss: int = 0
    activation_ms: list[float] = field(default_factory=list)
    served: str = ""
    spawner_mixed: Mem | None = None
    mixed_waiting: list[Mem] = field(default_factory=list)
    mixed_active: list[Mem] = field(default_factory=list)
    conn_waiting: Connections | None = None
    conn_activating: Connections | None = None
    conn_serving: Connections | None = None
    conn_quiet: Connections | None = None
    conn_rest: Connections | None = None

    # -- totals and projections (KiB) -------------------------------------------------------

    def _spawner(self, mem: Mem | None) -> Mem:
        return mem or Mem(0, 0, 0)

    def waiting_total(self) -> int:
        return self._spawner(self.spawner_waiting).pss + sum(m.pss for m in self.waiting)

    def waiting_projection(self, n: int) -> tuple[int, int]:
        """(estimate, upper bound) for `n` waiting slots + the spawner."""
        uss = statistics.mean(m.uss for m in self.waiting)
        pss = statistics.mean(m.pss for m in self.waiting)
        estimate = self.waiting_total() + round((n - len(self.waiting)) * uss)
        return estimate, self._spawner(self.spawner_waiting).pss + round(n * pss)

    def mixed_total(self) -> int:
        slots = self.mixed_waiting + self.mixed_active
        return self._spawner(self.spawner_mixed).pss + sum(m.pss for m in slots)

    def mixed_projection(self, n: int) -> tuple[int, int]:
        """(estimate, upper bound) for `n` slots, half of them active, + the spawner."""
        half = n // 2
        w, a = self.mixed_waiting, self.mixed_active
        estimate = (
            self.mixed_total()
            + round((n - half - len(w)) * statistics.mean(m.uss for m in w))
            + round((half - len(a)) * statistics.mean(m.uss for m in a))
        )
        bound = (
            self._spawner(self.spawner_mixed).pss
            + round((n - half) * statistics.mean(m.pss for m in w))
            + round(half * statistics.mean(m.pss for m in a))
        )
        return estimate, bound


def mb(kib: float) -> float:
    return kib * 1024 / MB


def gb(kib: float) -> float:
    return kib * 1024 / GB


def spread(values: list[float], unit: str, scale: float = 1.0, digits: int = 2) -> str:
    return (
        f"p50 {percentile(values, 50) * scale:.{digits}f} {unit}, "
        f"p95 {percentile(values, 95) * scale:.{digits}f} {unit}, "
        f"max {max(values) * scale:.{digits}f} {unit}"
    )


def mem_line(mems: list[Mem]) -> str:
    pss = [mb(m.pss) for m in mems]
    uss = [mb(m.uss) for m in mems]
    return (
        f"PSS mean {statistics.mean(pss):6.1f} MB, max {max(pss):6.1f} MB "
        f"(private {statistics.mean(uss):5.1f} MB; n={len(mems)})"
    )


# --------------------------------------------------------------------------- one way


def pool_env(stand: PoolStand, password: str, slot_db_idle: float, workdir: Path) -> dict:
    """The slots' settings: the pool's own PostgreSQL role, as deployed (tenant bots connect as
    client_NNN anyway), idle connections closed after `slot_db_idle`, the customers' clock."""
    return {
        **stand.env,
        "DATABASE_URL": dsn_as(stand.pg.dsn, "booking_pool", password),
        "SLOT_DB_IDLE": str(slot_db_idle),
        **clock_env(workdir / "clock"),
    }


def supervised_pid(sup: Supervisor, name: str) -> int | None:
    out = sup.ctl("pid", name).stdout.strip()
    return int(out) if out.isdigit() and out != "0" else None


async def wait_for_slots(stand: PoolStand, n: int, timeout: float) -> dict[str, tuple[float, dict]]:
    """Poll the pool's status until `n` slots are waiting; per slot, when it was first seen
    waiting (boottime clock, taken after the read) and its status entry."""
    seen: dict[str, tuple[float, dict]] = {}
    deadline = time.monotonic() + timeout
    while len(seen) < n:
        if STOP_REQUESTED.is_set():
            raise asyncio.CancelledError("stop requested")
        status = await stand.manager.get_pool_status()
        now = boottime()
        for entry in status["slots"]:
            if entry["status"] == SlotStatus.WAITING and entry["container_id"] not in seen:
                seen[entry["container_id"]] = (now, entry)
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(seen)} of {n} slots waiting after {timeout:g} s")
        await asyncio.sleep(POLL)
    return seen


class ModeRun:
    """One way of running the slots, from supervisord's start to its stop."""

    def __init__(
        self,
        stand: PoolStand,
        sampler: ConnectionSampler,
        *,
        name: str,
        forked: bool,
        n: int,
        env: dict[str, str],
        slot_db_idle: float,
        run_dir: Path,
    ) -> None:
        self.stand = stand
        self.sampler = sampler
        self.name = name
        self.forked = forked
        self.n = n
        self.slot_db_idle = slot_db_idle
        self.sup = Supervisor(run_dir, env, spawner=forked)
        self.scaler = SupervisorPool(f"unix://{run_dir}/supervisor.sock", self.sup.programs,
                                     self.sup.logs, n)  # fmt: skip
        self.result = ModeResult(name, n)
        self.result.fencing_period = (
            stand.settings.heartbeat_interval * stand.settings.fencing_every
        )
        self.spawner: int | None = None
        self.slot_pids: dict[str, list[int]] = {}  # slot → [launcher, forked child]
        self.pids: set[int] = set()  # every process of this run, checked after supervisord

    def phase(self, what: str) -> None:
        if STOP_REQUESTED.is_set():  # a cancellation a library swallowed: stop at the next step
            raise asyncio.CancelledError("stop requested")
        self.sampler.phase = f"{self.name}: {what}"

    def _pids_of(self, slot: str, entry: dict) -> list[int]:
        launcher, fork = entry["pid"], entry.get("fork_pid")
        if self.forked != bool(fork):
            log = self.sup.logs / f"bot-pool-{entry['pool_id']}.log"
            raise SystemExit(
                f"{slot}: {'not forked by the spawner' if self.forked else 'forked'} "
                f"(pid {launcher}, fork_pid {fork}): see {log}"
            )
        pids = [launcher] + ([fork] if fork else [])
        self.slot_pids[slot] = pids
        self.pids.update(pids)
        return pids

    async def start_supervisord(self) -> None:
        self.phase("start")
        self.sup.start(0)

        async def up():
            with contextlib.suppress(Exception):
                return await self.scaler.size() == 0
            return False

        await wait_until(up, timeout=30, what="supervisord")
        if not self.forked:
            return
        self.spawner = await wait_until(
            lambda: asyncio.to_thread(supervised_pid, self.sup, SPAWNER), timeout=30, what=SPAWNER
        )
        self.pids.add(self.spawner)
        socket_path = self.sup.spawner_socket

        async def listening():
            return socket_path.exists()

        await wait_until(listening, timeout=120, interval=POLL, what="the spawner's socket")
        self.result.spawner_ready_s = boottime() - started_at(self.spawner)
        self.result.spawner_cpu_s = cpu_seconds(self.spawner)

    async def start_slots(self) -> None:
        """All N slot programs added at once, as `booking-pool grow` does."""
        grown = time.monotonic()
        await self.scaler.grow(self.n)
        seen = await wait_for_slots(self.stand, self.n, timeout=60 + 10 * self.n)
        self.result.all_waiting_s = time.monotonic() - grown
        for slot, (at, entry) in sorted(seen.items()):
            pids = self._pids_of(slot, entry)
            self.result.start_s.append(at - started_at(pids[0]))
            self.result.start_cpu_s.append(sum(cpu_seconds(p) for p in pids))
            if self.forked:
                self.result.to_fork_s.append(started_at(pids[1]) - started_at(pids[0]))

    async def measure_waiting(self) -> None:
        """At rest: every slot waiting, its idle PostgreSQL connections closed."""
        self.phase("waiting")
        await asyncio.sleep(self.slot_db_idle + 2)
        self.result.conn_waiting = await self.sampler.count()
        if self.spawner:
            self.result.spawner_waiting = measure([self.spawner])
        self.result.waiting = [measure(p) for p in self.slot_pids.values()]
        if self.forked:
            self.result.launcher_pss = [measure(p[:1]).pss for p in self.slot_pids.values()]
        self.result.supervisord_pss = smaps_rollup_kib(self.sup.proc.pid)["Pss"]

    async def restart_one_by_one(self, count: int) -> None:
        """`supervisorctl restart` of `count` waiting slots, one at a time: the start of a
        slot alone (a crash, a rolling upgrade), not of N at once."""
        self.phase("restarts")
        for slot in list(self.slot_pids)[:count]:
            old = self.slot_pids[slot][0]
            program = f"bot-pool-{slot.rsplit('-', 1)[1]}"
            restart = asyncio.create_task(asyncio.to_thread(self.sup.ctl, "restart", program))

            async def registered_again(slot=slot, old=old):
                doc = parse(await self.stand.redis.get(keys.bot_status(slot)))
                if (
                    doc
                    and doc.get("status") == SlotStatus.WAITING
                    and doc.get("pid") not in (None, old)
                ):
                    return boottime(), doc

            at, doc = await wait_until(registered_again, timeout=120, interval=POLL, what=slot)
            pids = self._pids_of(slot, doc)
            self.result.restart_s.append(at - started_at(pids[0]))
            done = await restart
            if done.returncode != 0:
                raise SystemExit(f"supervisorctl restart {program}: {done.stdout}{done.stderr}")

    async def activate_half(self, tg: SandboxTelegram, first_client: int) -> list[Tenant]:
        """Half the slots activated one after the other, timed as `make bench` does."""
        self.phase("activating")
        tenants = [Tenant.make(first_client + i) for i in range(self.n // 2)]
        await self.stand.grant([t.client_id for t in tenants])
        for tenant in tenants:
            await tg.register_bot(tenant.token, tenant.bot)
            free = await self.stand.manager.find_free_bot()
            if free is None:
                raise SystemExit("no free slot to activate")
            tenant.slot = free["container_id"]
            pids = self.slot_pids[tenant.slot]
            before = [cpu_times(p) for p in pids]
            elapsed, _ = await activate_and_greet(
                self.stand.manager,
                tg,
                tenant.slot,
                token=tenant.token,
                username=tenant.bot,
                admin_id=tenant.owner,
                client_id=tenant.client_id,
                company=tenant.company,
                customer=600_000_000 + tenant.number,
            )
            self.result.activation_ms.append(elapsed)
            spent = [
                [a - b for a, b in zip(cpu_times(p), was, strict=True)]
                for p, was in zip(pids, before, strict=True)
            ]
            self.result.activation_cpu_ms.append(sum(u + k for u, k, _ in spent) * 1000)
            self.result.activation_sys_ms.append(sum(k for _, k, _ in spent) * 1000)
            self.result.activation_faults.append(sum(f for *_, f in spent))
        self.result.conn_activating = self.sampler.peaks.get(self.sampler.phase)
        # each salon gets services and staff (the owner's role, on a pool closed after)
        setup = await create_pool(self.stand.pg.dsn, max_size=2)
        try:
            for tenant in tenants:
                await setup_salon(setup, tenant.client_id, tenant.company, tenant.owner)
        finally:
            await setup.close()
        return tenants

    async def serve(self, tg: SandboxTelegram, tenants: list[Tenant], customers: int) -> None:
        """`customers` customers book at every active bot, all at once."""
        self.phase("serving")
        await asyncio.sleep(2 * SAMPLE)  # a first sample of this phase
        started = time.monotonic()
        updates = await asyncio.gather(
            *(
                customer_flow(tg, t.bot, 700_000_000 + 1000 * b + c, c)
                for b, t in enumerate(tenants)
                for c in range(customers)
            )
        )
        served = time.monotonic() - started
        await asyncio.sleep(2 * SAMPLE)
        self.result.conn_serving = self.sampler.peaks.get(self.sampler.phase)
        self.result.served = (
            f"{len(tenants)} bots × {customers} customers booked at once: "
            f"{sum(updates)} updates in {served:.1f} s"
        )
        # memory right after: active and waiting slots side by side
        active = {t.slot for t in tenants}
        if self.spawner:
            self.result.spawner_mixed = measure([self.spawner])
        for slot, pids in self.slot_pids.items():
            mem = measure(pids)
            (self.result.mixed_active if slot in active else self.result.mixed_waiting).append(mem)

    async def quiet_then_release(self, tenants: list[Tenant]) -> None:
        # quiet active slots: a fencing check (every fencing_every heartbeats) opens a
        # connection for SLOT_DB_IDLE; the peak over one such period after the idle time
        await asyncio.sleep(self.slot_db_idle + 2)
        self.phase("quiet")
        await asyncio.sleep(self.result.fencing_period + 1)
        self.result.conn_quiet = self.sampler.peaks.get(self.sampler.phase)
        self.phase("released")
        for tenant in tenants:
            released = await self.stand.manager.release_bot(tenant.slot, reason="bench", timeout=30)
            if not released["released"]:
                raise SystemExit(f"{tenant.slot} was not released: {released['detail']}")
        await asyncio.sleep(self.slot_db_idle + 2)
        self.result.conn_rest = await self.sampler.count()

    async def run(self, *, customers: int, first_client: int, restarts: int) -> ModeResult:
        load_before = os.getloadavg()[0]
        try:
            await self.start_supervisord()
            await self.start_slots()
            await self.measure_waiting()
            await self.restart_one_by_one(restarts)
            async with SandboxTelegram(self.stand.telegram.url) as tg:
                tenants = await self.activate_half(tg, first_client)
                await self.serve(tg, tenants, customers)
            await self.quiet_then_release(tenants)
        except Exception:
            show_logs(self.sup)
            raise
        finally:
            self.sampler.phase = "stopping"
            await asyncio.to_thread(self.sup.stop)
            await asyncio.to_thread(no_leftovers, self.pids, self.name)
        self.result.load = f"{load_before:.1f} → {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        return self.result


def no_leftovers(pids: set[int], name: str, wait: float = 20.0) -> None:
    """After supervisord stopped: every slot process and the spawner must be gone; any still
    running is reported and killed (by pid: only processes this run started)."""
    deadline = time.monotonic() + wait
    alive = set(pids)
    while alive and time.monotonic() < deadline:
        alive = {p for p in alive if running(p)}
        time.sleep(0.2)
    for pid in sorted(alive):
        comm = Path(f"/proc/{pid}/comm").read_text().strip() if running(pid) else "?"
        print(f"!! {name}: pid {pid} ({comm}) still running {wait:g} s after supervisord stopped")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def show_logs(sup: Supervisor, lines: int = 8) -> None:
    """On failure: the end of the spawner's log and of the first slot logs that hold errors."""
    if not sup.logs.exists():
        return
    shown = 0
    for path in sorted(sup.logs.glob("*.log")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.name.startswith(SPAWNER) or ("ERROR" in text or "Traceback" in text):
            tail = "\n    ".join(text.splitlines()[-lines:])
            print(f"--- {path.name} (last lines)\n    {tail}", file=sys.stderr)
            shown += 1
        if shown >= 4:
            break


# --------------------------------------------------------------------------- report


def print_mode(r: ModeResult, slot_db_idle: float) -> None:
    print(f"\n== {r.name}: {r.slots} slots (load average {r.load}) ==")
    if r.spawner_ready_s is not None:
        print(
            f"  spawner listening {r.spawner_ready_s:.1f} s after it started "
            f"({r.spawner_cpu_s:.1f} s of CPU, once per host)"
        )
    print(
        f"  {r.slots} slots added to supervisord at once; all waiting {r.all_waiting_s:.1f} s later"
    )
    print(f"  slot start (launcher start → waiting in Redis): {spread(r.start_s, 's')}")
    if r.to_fork_s:
        print(f"    of which launcher start → forked:            {spread(r.to_fork_s, 's')}")
    print(f"  CPU per slot to get there:                      {spread(r.start_cpu_s, 's')}")
    if r.restart_s:
        print(
            f"  a slot restarted alone ({len(r.restart_s)} in turn, supervisorctl restart): "
            f"{spread(r.restart_s, 's')}"
        )
    print(f"  waiting slot:  {mem_line(r.waiting)}")
    if r.launcher_pss:
        print(f"    of which the launcher: PSS mean {mb(statistics.mean(r.launcher_pss)):.1f} MB")
    if r.spawner_waiting:
        print(
            f"  spawner:       PSS {mb(r.spawner_waiting.pss):6.1f} MB "
            f"(RSS {mb(r.spawner_waiting.rss):.1f} MB, private {mb(r.spawner_waiting.uss):.1f} MB)"
        )
    print(f"  supervisord:   PSS {mb(r.supervisord_pss):6.1f} MB (both ways; not counted below)")
    print(f"  total, {r.slots} waiting: {mb(r.waiting_total()):.0f} MB")
    print(f"  activation (activate_bot → /start answered): {spread(r.activation_ms, 'ms', 1, 0)}")
    print(
        f"    CPU of the slot's processes for it: p50 {percentile(r.activation_cpu_ms, 50):.0f} ms"
        f" (kernel {percentile(r.activation_sys_ms, 50):.0f} ms), minor page faults p50 "
        f"{percentile(r.activation_faults, 50):.0f} (copy-on-write included)"
    )
    print(f"  {r.served}")
    print(f"  active slot:   {mem_line(r.mixed_active)}")
    print(f"  waiting slot:  {mem_line(r.mixed_waiting)}, at the same moment")
    if r.spawner_mixed:
        print(f"  spawner:       PSS {mb(r.spawner_mixed.pss):6.1f} MB")
    half = len(r.mixed_active)
    print(f"  total, {r.slots - half} waiting + {half} active: {mb(r.mixed_total()):.0f} MB")
    print(
        f"  PostgreSQL server connections to booking_saas (SLOT_DB_IDLE={slot_db_idle:g} s; "
        "other: this benchmark's own pool, as the owner):"
    )
    rows = [
        ("all waiting, after SLOT_DB_IDLE", r.conn_waiting),
        ("peak while activating", r.conn_activating),
        ("peak while customers are served", r.conn_serving),
        (f"active, quiet: peak over {r.fencing_period:g} s (fencing)", r.conn_quiet),
        ("released, all waiting, after SLOT_DB_IDLE", r.conn_rest),
    ]
    for label, connections in rows:
        if connections is not None:
            print(f"    {label + ':':43} {connections.line()}")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _p(values: list[float], *ps: int, scale: float = 1, digits: int = 0) -> str:
    """p50 / p95 / … (100 = max) of `values`, as one cell."""
    return " / ".join(f"{percentile(values, p) * scale:.{digits}f}" for p in ps)


def _roles(c: Connections) -> str:
    return f"{c.total} = {c.pool} / {sum(c.tenants.values())} / {sum(c.other.values())}"


def print_summary(results: dict[str, ModeResult]) -> None:
    n = PROJECTED_SLOTS
    rs = list(results.values())
    slots = rs[0].slots
    print("\n== summary (MB = 10^6 bytes, GB = 10^9 bytes) ==")
    print(f"  {'':46}" + "".join(f"{k:>22}" for k in results))
    rows = [
        ("slot start p50 / p95 / max, s", lambda r: _p(r.start_s, 50, 95, 100, digits=2)),
        (
            "a slot restarted alone p50 / max, s",
            lambda r: _p(r.restart_s, 50, 100, digits=2) if r.restart_s else "-",
        ),
        (
            "PSS per waiting slot, mean / max, MB",
            lambda r: (
                f"{mb(statistics.mean(m.pss for m in r.waiting)):.1f} / "
                f"{mb(max(m.pss for m in r.waiting)):.1f}"
            ),
        ),
        (
            "PSS per active slot, mean / max, MB",
            lambda r: (
                f"{mb(statistics.mean(m.pss for m in r.mixed_active)):.1f} / "
                f"{mb(max(m.pss for m in r.mixed_active)):.1f}"
            ),
        ),
        (
            "spawner PSS, MB",
            lambda r: f"{mb(r.spawner_waiting.pss):.1f}" if r.spawner_waiting else "-",
        ),
        (f"total for {slots} waiting, GB", lambda r: f"{gb(r.waiting_total()):.2f}"),
        (f"total for {slots}, half active, GB", lambda r: f"{gb(r.mixed_total()):.2f}"),
        (
            f"{n} waiting + spawner, estimate / bound, GB",
            lambda r: " / ".join(f"{gb(v):.2f}" for v in r.waiting_projection(n)),
        ),
        (
            f"{n}, half active, estimate / bound, GB",
            lambda r: " / ".join(f"{gb(v):.2f}" for v in r.mixed_projection(n)),
        ),
        ("activation p50 / p95, ms", lambda r: _p(r.activation_ms, 50, 95)),
        ("slot CPU per activation p50 / p95, ms", lambda r: _p(r.activation_cpu_ms, 50, 95)),
        ("  of which kernel, p50 / p95, ms", lambda r: _p(r.activation_sys_ms, 50, 95)),
        ("PG peak serving: pool / client_NNN / other", lambda r: _roles(r.conn_serving)),
        ("PG at rest: pool / client_NNN / other", lambda r: _roles(r.conn_rest)),
    ]
    for label, cell in rows:
        print(f"  {label:46}" + "".join(f"{cell(r):>22}" for r in rs))

    forked = results.get("forked")
    if forked is None:
        return
    print("\n== targets (issue 11), judged on the forked slots ==")
    waiting_max = mb(max(m.pss for m in forked.waiting))
    active_max = mb(max(m.pss for m in forked.mixed_active))
    estimate, bound = forked.waiting_projection(n)
    start_max = max(forked.start_s)
    print(
        f"  {verdict(waiting_max <= TARGET_WAITING_MB)}  PSS per waiting slot ≤ "
        f"{TARGET_WAITING_MB} MB (launcher included): max {waiting_max:.1f} MB"
    )
    print(
        f"  {verdict(active_max <= TARGET_ACTIVE_MB)}  PSS per active slot ≤ "
        f"{TARGET_ACTIVE_MB} MB (launcher included): max {active_max:.1f} MB"
    )
    print(
        f"  {verdict(gb(bound) < TARGET_100_GB)}  {n} waiting slots + the spawner < "
        f"{TARGET_100_GB} GB: bound {gb(bound):.2f} GB (estimate {gb(estimate):.2f} GB)"
    )
    print(
        f"  {verdict(start_max < TARGET_START_S)}  slot start < {TARGET_START_S:g} s, all "
        f"{forked.slots} started at once: max {start_max:.2f} s "
        f"(p50 {percentile(forked.start_s, 50):.2f} s)"
    )
    if forked.restart_s:
        alone = max(forked.restart_s)
        print(
            f"  {verdict(alone < TARGET_START_S)}  slot start < {TARGET_START_S:g} s, a slot "
            f"restarted alone: max {alone:.2f} s (n={len(forked.restart_s)})"
        )
    standalone = results.get("standalone")
    if standalone is not None:
        checks = []
        for p in (50, 95):
            f, s = percentile(forked.activation_ms, p), percentile(standalone.activation_ms, p)
            checks.append((p, f, s, f <= s * (1 + LATENCY_TOLERANCE)))
        print(
            f"  {verdict(all(ok for *_, ok in checks))}  activation latency no worse than "
            f"standalone (within {LATENCY_TOLERANCE:.0%}): "
            + ", ".join(f"p{p} {f:.0f} ms vs {s:.0f} ms" for p, f, s, _ in checks)
        )
    peak, active = forked.conn_serving, len(forked.mixed_active)
    projected = round(
        peak.pool * n / forked.slots
        + sum(peak.tenants.values()) * (n // 2) / active
        + sum(peak.other.values())
    )
    print(
        f"  (connections are reported, not judged: {peak.total} at peak with {active} bots "
        f"serving, {forked.conn_rest.total} at rest; scaled linearly, {n} slots with {n // 2} "
        f"serving ≈ {projected})"
    )
    defaults = Settings.model_fields
    idle, beat = defaults["slot_db_idle"].default, defaults["heartbeat_interval"].default
    period = beat * defaults["fencing_every"].default
    if idle >= period:
        print(
            f"  note: with the defaults (SLOT_DB_IDLE {idle:g} s ≥ a fencing check every "
            f"{period:g} s) a quiet active slot keeps its booking_pool connection open"
        )


# --------------------------------------------------------------------------- main


async def bench(args, workdir: Path) -> None:
    loop, me = asyncio.get_running_loop(), asyncio.current_task()

    def stop() -> None:  # Ctrl-C, kill: the finally blocks below stop everything
        STOP_REQUESTED.set()
        me.cancel()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop)
    modes = [m for m in ("standalone", "forked") if m in args.modes]
    print(
        f"Bot Pool memory benchmark: {args.slots} slots under supervisord, "
        f"{' then '.join(modes)}; {args.slots // 2} activated, {args.customers} customers each."
    )
    print(
        f"SLOT_DB_IDLE={args.slot_db_idle:g} s for this run (default 30 s): a slot closes "
        "PostgreSQL connections idle that long."
    )
    async with pool_stand(workdir, stale_after=20) as stand:
        password = secrets.token_urlsafe(16)
        stand.pg.run_sql(f"ALTER ROLE booking_pool LOGIN PASSWORD '{password}'")
        env = pool_env(stand, password, args.slot_db_idle, workdir)
        conn = await asyncpg.connect(stand.pg.dsn)
        sampler = ConnectionSampler(conn)
        sampling = asyncio.create_task(sampler.run())
        results: dict[str, ModeResult] = {}
        try:
            for i, name in enumerate(modes):
                run = ModeRun(
                    stand,
                    sampler,
                    name=name,
                    forked=name == "forked",
                    n=args.slots,
                    env=env,
                    slot_db_idle=args.slot_db_idle,
                    run_dir=workdir / name,
                )
                results[name] = await run.run(
                    customers=args.customers,
                    first_client=1 + i * args.slots,
                    restarts=args.restarts,
                )
                print_mode(results[name], args.slot_db_idle)
        finally:
            sampling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampling
            await conn.close()
    print_summary(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slots", type=int, default=20, help="slot programs (default 20)")
    parser.add_argument(
        "--customers",
        type=int,
        default=3,
        help=f"customers booking at each active bot, at once (default 3, at most {MAX_CUSTOMERS})",
    )
    parser.add_argument(
        "--modes",
        default="standalone,forked",
        help="standalone,forked (default both, one after the other)",
    )
    parser.add_argument(
        "--restarts",
        type=int,
        default=3,
        help="waiting slots restarted one at a time, timed alone (default 3)",
    )
    parser.add_argument("--slot-db-idle", type=float, default=3.0, help="seconds (default 3)")
    parser.add_argument(
        "--workdir", type=Path, help="keep logs and configs there (default: a temporary directory)"
    )
    args = parser.parse_args()
    args.modes = {m.strip() for m in args.modes.split(",")}
    if args.slots < 2 or not 1 <= args.customers <= MAX_CUSTOMERS:
        parser.error(f"--slots must be ≥ 2, --customers between 1 and {MAX_CUSTOMERS}")
    if not 0 <= args.restarts <= args.slots:
        parser.error("--restarts: between 0 and --slots")
    if not args.modes <= {"standalone", "forked"} or not args.modes:
        parser.error("--modes: standalone, forked or both")
    try:
        if args.workdir:
            args.workdir.mkdir(parents=True, exist_ok=True)
            asyncio.run(bench(args, args.workdir.resolve()))
        else:
            with tempfile.TemporaryDirectory(prefix="bot-pool-bench-memory-") as workdir:
                asyncio.run(bench(args, Path(workdir)))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("\ninterrupted: everything started was stopped", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
