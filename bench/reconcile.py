"""The reconciliation pass over 1,000 tenants: how long one pass of sales/reconcile.py takes.

A real PostgreSQL and Redis (started here), 1,000 tenants with open slot assignments and slots
registered in Redis, subscriptions live; then the pass is timed twice: the steady state (every
tenant may run: nothing to do) and a pass after 5 % of them were suspended or ended (each is
released; their workers are down here, so the release ends the assignment in PostgreSQL and
resets the slot in Redis, the path a dead slot takes). Queued and held orders are present too.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from loguru import logger

from bench.stats import percentile
from core import keys
from core.crypto import TokenCipher
from core.db import create_pool
from core.migrations import migrate_platform
from core.redis_client import make_redis
from pool.manager import BotPoolManager
from pool.status import SlotStatus, status_doc
from pool.store import SlotStore
from sales.orders import OrderProcessor
from sales.payments import IpAllowlist
from sales.reconcile import Reconciler
from sandbox.localservers import LocalPostgres, LocalRedis, server_env


class _Quiet:
    """A notifier that sends nothing (the pass's own work is what is measured)."""

    def __getattr__(self, name):
        async def send(*args):
            return None

        return send


async def seed(db, redis, tenants: int) -> None:
    async with db.acquire() as conn, conn.transaction():
        await conn.execute(
            """
            INSERT INTO platform.tenants (client_id, company_name, admin_telegram_id)
            SELECT format('client_%s', lpad(n::text, 4, '0')), 'Салон ' || n, 1000 + n
              FROM generate_series(1, $1) n;
            """,
            tenants,
        )
        await conn.execute(
            """
            INSERT INTO platform.subscriptions (client_id, buyer_telegram_id, status, starts_at,
                                                ends_at)
            SELECT format('client_%s', lpad(n::text, 4, '0')), 1000 + n, 'active', now(),
                   now() + interval '30 days'
              FROM generate_series(1, $1) n;
            INSERT INTO platform.slot_assignments (slot, client_id)
            SELECT format('booking-bot-pool-%s', n), format('client_%s', lpad(n::text, 4, '0'))
              FROM generate_series(1, $1) n;
            """.replace("$1", str(int(tenants)))
        )
        # waiting orders of live tenants (renewals queued, replacements needing a token)
        await conn.execute(
            """
            INSERT INTO platform.orders (kind, buyer_telegram_id, client_id, status, paid_at)
            SELECT CASE WHEN n % 2 = 0 THEN 'renewal' ELSE 'replace_token' END, 1000 + n,
                   format('client_%s', lpad(n::text, 4, '0')),
                   CASE WHEN n % 2 = 0 THEN 'queued' ELSE 'needs_token' END, now()
              FROM generate_series(1, $1 / 10) n
            """,
            tenants,
        )
    async with redis.pipeline(transaction=False) as pipe:
        for n in range(1, tenants + 1):
            slot = f"booking-bot-pool-{n}"
            pipe.set(
                keys.bot_status(slot),
                status_doc(slot, n, SlotStatus.ACTIVE, client_id=f"client_{n:04d}"),
            )
        await pipe.execute()  # no heartbeats: the workers are "down" (no one to ack a release)


async def bench(tenants: int, repeat: int) -> None:
    pg = LocalPostgres().start()
    redis_server = LocalRedis().start()
    try:
        env = server_env(pg.dsn, redis_server)
        db = await create_pool(pg.dsn, min_size=2, max_size=4)
        from core.settings import Settings

        redis = make_redis(Settings(_env_file=None, **{k.lower(): v for k, v in env.items()}))
        try:
            async with db.acquire() as conn:
                await migrate_platform(conn)
            await seed(db, redis, tenants)
            cipher = TokenCipher(TokenCipher.generate_key())
            manager = BotPoolManager(redis, cipher, release_store=SlotStore(db, cipher))
            log = logger.bind(slot="bench")
            processor = OrderProcessor(
                db=db,
                cipher=cipher,
                gateway=None,
                manager=manager,
                notifier=_Quiet(),
                allowlist=IpAllowlist("127.0.0.1/32"),
                log=log,
            )
            reconciler = Reconciler(
                db=db, manager=manager, processor=processor, notifier=_Quiet(), log=log
            )
            steady = []
            for _ in range(repeat):
                started = time.perf_counter()
                done = await reconciler.run()
                steady.append((time.perf_counter() - started) * 1000)
                assert not any(done.values()), done
            broken = tenants // 20
            async with db.acquire() as conn:
                await conn.execute(
                    "UPDATE platform.tenants SET suspended_at = now()"
                    " WHERE client_id IN (SELECT format('client_%s', lpad(n::text, 4, '0'))"
                    " FROM generate_series(1, $1) n)",
                    broken // 2,
                )
                await conn.execute(
                    "UPDATE platform.subscriptions SET status = 'released'"
                    " WHERE client_id IN (SELECT format('client_%s', lpad(n::text, 4, '0'))"
                    " FROM generate_series($1 + 1, $2) n)",
                    broken // 2,
                    broken,
                )
            started = time.perf_counter()
            done = await reconciler.run()
            releasing = (time.perf_counter() - started) * 1000
            assert done["released"] == broken, done
            async with db.acquire() as conn:
                running = await conn.fetchval(
                    "SELECT count(*) FROM platform.slot_assignments WHERE released_at IS NULL"
                )
        finally:
            await redis.aclose()
            await db.close()
    finally:
        redis_server.stop()
        pg.stop()
    print(
        f"reconciliation pass over {tenants} running tenants, nothing to do: "
        f"p50 {percentile(steady, 50):.1f} ms, p95 {percentile(steady, 95):.1f} ms, "
        f"max {max(steady):.1f} ms (n={repeat})"
    )
    print(
        f"reconciliation pass over {tenants} running tenants releasing {broken} "
        f"(suspended or ended; workers down): {releasing:.0f} ms "
        f"({done['expired']} dead-end orders expired; {running} still running)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    logger.remove()
    asyncio.run(bench(args.tenants, args.repeat))


if __name__ == "__main__":
    main()
