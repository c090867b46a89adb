"""`make bench`: activation latency and worker memory, on loopback.

Latency is measured from the manager's `activate_bot()` to the tenant bot's answer to the
customer's first `/start` (sent right after `activate_bot` returns, so it waits in Telegram's
queue until the bot polls), over `--runs` activations (default 24) cycling through a pool of 3
real worker processes; each run releases its slot afterwards. Also prints the worker's own
figure (config taken → bot polling), the resident memory of a waiting and an active worker, and
that of the tenant bot's own PostgreSQL connections (role client_NNN; server-side backends).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from bench.stand import activate_and_greet, pool_stand
from bench.stats import percentile, summary
from sandbox.harness import WorkerProcess, pss_kib, rss_kib, wait_until
from sandbox.telegram.client import SandboxTelegram

CUSTOMER = 600000001


async def bench(runs: int, pool_size: int, workdir: Path) -> None:
    workers: list[WorkerProcess] = []
    async with pool_stand(workdir, HEARTBEAT_INTERVAL="1") as stand:
        try:
            await stand.grant([f"client_{i + 1:03d}" for i in range(runs)])
            manager, db = stand.manager, stand.db
            workers = [
                WorkerProcess(n, stand.env, workdir / f"bot-pool-{n}.log").start()
                for n in range(1, pool_size + 1)
            ]

            async def ready():
                return (await manager.get_pool_status())["free"] == pool_size

            await wait_until(ready, timeout=120, what=f"{pool_size} waiting workers")
            waiting_rss = [rss_kib(w.pid) for w in workers]
            waiting_pss = [pss_kib(w.pid) for w in workers]

            to_answer: list[float] = []
            in_worker: list[float] = []
            active_rss: list[int] = []
            active_pss: list[int] = []
            backend_rss: list[int] = []
            backend_pss: list[int] = []
            backends_per_tenant: list[int] = []
            async with SandboxTelegram(stand.telegram.url) as tg:
                for i in range(runs):
                    token = f"{7200000000 + i}:AAbenchToken_{i:04d}_abcdefghijklmnopqrstu"
                    username = f"bench_salon_{i}_bot"
                    await tg.register_bot(token, username)
                    free = await manager.find_free_bot()
                    if free is None:
                        raise SystemExit("no free slot: a release did not complete")
                    slot = free["container_id"]
                    elapsed, result = await activate_and_greet(
                        manager,
                        tg,
                        slot,
                        token=token,
                        username=username,
                        admin_id=1000 + i,
                        client_id=f"client_{i + 1:03d}",
                        company=f"Салон №{i + 1}",
                        customer=CUSTOMER,
                    )
                    to_answer.append(elapsed)
                    in_worker.append(float(result.duration_ms))
                    worker = workers[int(free["pool_id"]) - 1]
                    active_rss.append(rss_kib(worker.pid))
                    active_pss.append(pss_kib(worker.pid))
                    async with db.acquire() as conn:
                        pids = await conn.fetch(
                            "SELECT pid FROM pg_stat_activity"
                            " WHERE application_name = $1 AND usename = $1",
                            f"client_{i + 1:03d}",
                        )
                    backends_per_tenant.append(len(pids))
                    backend_rss.extend(rss_kib(r["pid"]) for r in pids)
                    backend_pss.extend(pss_kib(r["pid"]) for r in pids)
                    await manager.release_bot(slot, reason="bench", timeout=30)
        finally:
            for w in workers:
                if w.running():
                    w.terminate()

    print()
    print(f"Activation latency over {runs} activations, pool of {pool_size} workers, loopback:")
    print(summary("activate_bot → first /start answered", to_answer))
    print(summary("worker: config taken → bot polling (ack)", in_worker))
    print()
    print("Resident memory per worker process:")
    print(
        f"  waiting: RSS {sum(waiting_rss) / len(waiting_rss) / 1024:6.1f} MiB   "
        f"PSS {sum(waiting_pss) / len(waiting_pss) / 1024:6.1f} MiB"
    )
    print(
        f"  active:  RSS {sum(active_rss) / len(active_rss) / 1024:6.1f} MiB   "
        f"PSS {sum(active_pss) / len(active_pss) / 1024:6.1f} MiB  "
        f"(max RSS {max(active_rss) / 1024:.1f} MiB)"
    )
    if backend_rss:
        print(
            f"  a tenant's PostgreSQL connection (its own role; server backend): "
            f"RSS {sum(backend_rss) / len(backend_rss) / 1024:.1f} MiB   "
            f"PSS {sum(backend_pss) / len(backend_pss) / 1024:.1f} MiB; "
            f"{max(backends_per_tenant)} per active tenant"
        )
    target = percentile(to_answer, 95)
    print(
        f"\np95 {'<' if target < 1000 else '≥'} 1 s target: {target:.0f} ms "
        f"(the seed promised 5–10 s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=24)
    parser.add_argument("--pool-size", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bot-pool-bench-") as workdir:
        asyncio.run(bench(args.runs, args.pool_size, Path(workdir)))


if __name__ == "__main__":
    main()
