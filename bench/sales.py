"""`make bench-sales`: from "payment succeeded" to the buyer's notice, and a burst of purchases.

Everything real on loopback: PostgreSQL, Redis, the Telegram and YooKassa stand-ins, `python -m
sales`, and `--pool` pool workers (default 10).

1. Latency: `--runs` purchases (default 24) one after another. Each buyer goes through the whole
   chat; the clock starts when YooKassa marks the payment succeeded (the control call that also
   POSTs the notification to our webhook) and stops when the "🎉 ВАШ БОТ ГОТОВ!" message exists
   in the buyer's chat. Each bot is released afterwards so the pool never runs out.
2. Burst: `--burst` purchases (default 20) paid at the same moment against the pool. Every paid
   order must end `active` or `queued`, no client may hold two slots, and each activation must
   happen once. Then half the pool is released and the queue must drain into it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from bench.stats import percentile
from core.crypto import TokenCipher
from core.db import create_pool
from core.migrations import migrate_all
from core.redis_client import make_redis
from core.settings import Settings
from pool.manager import BotPoolManager
from sandbox.buyer import SalesBuyer
from sandbox.harness import (
    SalesProcess,
    SandboxTelegramProcess,
    SandboxYooKassaProcess,
    WorkerProcess,
    wait_until,
)
from sandbox.localservers import LocalPostgres, LocalRedis, server_env
from sandbox.telegram.client import SandboxTelegram
from sandbox.yookassa.client import SandboxYooKassa

SALES_TOKEN = "7990000001:AAbenchSalesBotToken_abcdefghijklmno"
SALES_BOT = "bench_sales_bot"
SHOP_ID, SECRET = "100500", "bench_secret_key_0123456789"


def token(n: int) -> tuple[str, str]:
    return f"{7200000000 + n}:AAbenchSalonToken_{n:05d}_abcdefghijklmn", f"bench_salon_{n}_bot"


async def bench(runs: int, burst: int, pool_size: int, workdir: Path) -> None:
    pg = LocalPostgres().start()
    redis_server = LocalRedis().start()
    telegram = SandboxTelegramProcess(workdir / "telegram.log").start()
    yookassa = SandboxYooKassaProcess(
        workdir / "yookassa.log", {"YOOKASSA_SHOP_ID": SHOP_ID, "YOOKASSA_SECRET_KEY": SECRET}
    ).start()
    workers: list[WorkerProcess] = []
    sales = None
    try:
        env = {
            **server_env(pg.dsn, redis_server),
            "TELEGRAM_API_BASE": telegram.url,
            "TOKEN_ENCRYPTION_KEY": TokenCipher.generate_key(),
            "HEARTBEAT_INTERVAL": "1",
            "LOG_LEVEL": "WARNING",
        }
        os.environ.update(env)
        settings = Settings(_env_file=None)
        db = await create_pool(settings.dsn, max_size=3)
        async with db.acquire() as conn:
            await migrate_all(conn)
        redis = make_redis(settings)
        manager = BotPoolManager(redis, TokenCipher(env["TOKEN_ENCRYPTION_KEY"]), stale_after=20)
        print(f"starting {pool_size} pool workers and the Sales service…", flush=True)
        workers = [
            WorkerProcess(n, env, workdir / f"worker-{n}.log").start()
            for n in range(1, pool_size + 1)
        ]
        sales_env = {
            **env,
            "LOG_LEVEL": "INFO",
            "BOT_TOKEN_SALES": SALES_TOKEN,
            "YOOKASSA_SHOP_ID": SHOP_ID,
            "YOOKASSA_SECRET_KEY": SECRET,
            "YOOKASSA_API_URL": f"{yookassa.url}/v3",
            "YOOKASSA_TRUSTED_NETWORKS": "127.0.0.1/32",
            "SALES_WEBHOOK_PORT": "0",
            "ORDER_SWEEP_INTERVAL": "0.5",
            "DB_POOL_MAX_SIZE": "10",
        }
        async with SandboxTelegram(telegram.url) as tg, SandboxYooKassa(yookassa.url) as yk:
            await tg.register_bot(SALES_TOKEN, SALES_BOT)
            sales = SalesProcess(sales_env, workdir / "sales.log").start()
            await yk.set_webhook(await sales.ready(timeout=120))

            async def pool_free():
                return (await manager.get_pool_status())["free"] == pool_size

            await wait_until(pool_free, timeout=180, interval=0.5, what="the pool waiting")
            for n in range(1, runs + burst + 1):
                await tg.register_bot(*token(n))

            # 1. latency, one purchase at a time
            latencies = []
            for n in range(1, runs + 1):
                buyer = SalesBuyer(tg, SALES_BOT, 700000000 + n)
                payment_id = await buyer.order(token(n)[0], f"Салон №{n}")
                started = time.perf_counter()
                await yk.succeed(payment_id)
                await buyer.expect("🎉 ВАШ БОТ ГОТОВ!", timeout=60)
                latencies.append((time.perf_counter() - started) * 1000)
                slot = (await manager.get_pool_status())["slots"]
                for s in slot:
                    if s["client_id"]:
                        await manager.release_bot(s["container_id"], reason="bench")
            print(
                f"\npayment succeeded → buyer's notice ({runs} purchases, one at a time):\n"
                f"  p50 {percentile(latencies, 50):.0f} ms   p95 {percentile(latencies, 95):.0f} ms"
                f"   max {max(latencies):.0f} ms   min {min(latencies):.0f} ms",
                flush=True,
            )

            # 2. the burst
            await wait_until(pool_free, timeout=60, interval=0.2, what="the pool free again")
            buyers = [SalesBuyer(tg, SALES_BOT, 710000000 + i) for i in range(burst)]
            payments = await asyncio.gather(
                *(b.order(token(runs + i + 1)[0], f"Студия №{i + 1}") for i, b in enumerate(buyers))
            )
            started = time.perf_counter()
            await asyncio.gather(*(yk.succeed(p) for p in payments))
            paid_at = time.perf_counter()

            async def settled():
                async with db.acquire() as conn:
                    rows = await conn.fetch(
                        "SELECT status, count(*) FROM platform.orders"
                        " WHERE payment_id = any($1::text[]) GROUP BY status",
                        payments,
                    )
                counts = {r["status"]: r["count"] for r in rows}
                done = counts.get("active", 0) + counts.get("queued", 0)
                return counts if done == burst else None

            counts = await wait_until(settled, timeout=120, interval=0.1, what="orders settled")
            settled_ms = (time.perf_counter() - started) * 1000
            async with db.acquire() as conn:
                twice = await conn.fetchval(
                    "SELECT count(*) FROM (SELECT client_id FROM platform.slot_assignments"
                    " WHERE released_at IS NULL GROUP BY client_id HAVING count(*) > 1) x"
                )
                paid = await conn.fetchval(
                    "SELECT count(*) FROM platform.payments WHERE payment_id = any($1::text[])",
                    payments,
                )
                clients = await conn.fetchval(
                    "SELECT count(DISTINCT client_id) FROM platform.orders"
                    " WHERE payment_id = any($1::text[])",
                    payments,
                )

            async def count_notices():
                total = 0
                for b in buyers:
                    total += sum("ВАШ БОТ ГОТОВ" in (m["text"] or "") for m in await b.transcript())
                return total

            async def notices_sent():
                n = await count_notices()
                return n if n >= counts.get("active", 0) else None

            try:
                notices = await wait_until(notices_sent, timeout=30, what="notices")
            except TimeoutError:
                notices = await count_notices()
            print(
                f"\n{burst} purchases paid at once against a pool of {pool_size}:\n"
                f"  all paid in {(paid_at - started) * 1000:.0f} ms (webhooks answered);"
                f" every order active or queued after {settled_ms:.0f} ms\n"
                f"  orders: {dict(sorted(counts.items()))}; payments recorded: {paid};"
                f" distinct clients: {clients}\n"
                f"  clients on two slots: {twice}; ready notices: {notices}",
                flush=True,
            )
            ok = (
                counts.get("active", 0) == min(burst, pool_size)
                and paid == burst
                and clients == burst
                and twice == 0
                and notices == counts.get("active", 0)
            )

            # ... and the queue drains into released slots
            queued = counts.get("queued", 0)
            if queued:
                status = await manager.get_pool_status()
                active = [s["container_id"] for s in status["slots"] if s["client_id"]][:queued]
                started = time.perf_counter()
                await asyncio.gather(*(manager.release_bot(s, reason="bench") for s in active))

                async def drained():
                    return (await settled()) and (await settled()).get("queued", 0) == 0

                await wait_until(drained, timeout=120, interval=0.1, what="the queue drained")
                print(
                    f"  released {len(active)} slots: the {queued} queued orders were active "
                    f"{(time.perf_counter() - started) * 1000:.0f} ms later",
                    flush=True,
                )
            print(f"\nresult: {'OK' if ok else 'FAILED'}", flush=True)
        await redis.aclose()
        await db.close()
        if not ok:
            raise SystemExit(1)
    finally:
        if sales is not None and sales.proc.poll() is None:
            sales.terminate()
        for worker in workers:
            if worker.running():
                worker.terminate()
        yookassa.stop()
        telegram.stop()
        redis_server.stop()
        pg.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=24)
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--pool", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sales-") as workdir:
        asyncio.run(bench(args.runs, args.burst, args.pool, Path(workdir)))


if __name__ == "__main__":
    main()
