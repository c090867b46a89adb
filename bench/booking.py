"""`make bench-booking`: the booking bot's figures.

1. The owner's calendar week of a busy salon (10 specialists, 400 bookings), SQL included,
   against its target (p95 < 50 ms).
2. Free-slot computation for a busy day: 10 specialists with a lunch break, 200 bookings
   that day, a 30-minute step — the pure functions the bot runs (`bots.slots.free_slots_any`
   behind `BookingService.available_times`, `bots.slots.days_with_slots` behind
   `available_days`), and the whole `BookingService.available_times` with its queries on a
   real PostgreSQL.
3. Booking-flow throughput of one tenant bot through the Telegram sandbox: a real pool worker
   process runs the bot; `--customers` simulated customers book concurrently, each going
   /start → Записаться → service → specialist → day → time → name → phone → Подтвердить
   (9 updates). Prints updates handled per second and bookings per second.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.customers import NOW, STAFF, clock_env, customer_flow, setup_salon
from bots import views
from bots.clock import FixedClock
from bots.context import TenantContext
from bots.parsing import parse_week
from bots.services import (
    BookingService,
    CalendarService,
    CatalogueService,
    SalonService,
    ScheduleService,
)
from bots.slots import Interval, Rules, StaffDay, days_with_slots, free_slots_any
from core.crypto import TokenCipher
from core.db import create_pool
from core.migrations import migrate_platform, migrate_tenant
from core.platform_repo import grant_operator_period
from core.redis_client import make_redis
from pool.manager import BotPoolManager
from sandbox.harness import SandboxTelegramProcess, WorkerProcess, cpu_seconds, wait_until
from sandbox.localservers import LocalPostgres, LocalRedis, server_env
from sandbox.telegram.client import SandboxTelegram

DAY = date(2030, 3, 4)
OWNER = 990000001
BOOKINGS = 200


def busy_day(tz) -> tuple[list[StaffDay], Rules]:
    """10 specialists 09:00-13:00, 14:00-21:00; 20 bookings each (200 in all), 30 min long,
    leaving gaps; 60-minute service, 15-minute buffer."""
    from datetime import time as t

    staff = []
    for s in range(STAFF):
        member = StaffDay(s + 1, weekly={0: [Interval(t(9), t(13)), Interval(t(14), t(21))]})
        start = datetime.combine(DAY, t(9), tz).astimezone(UTC)
        for i in range(BOOKINGS // STAFF):
            begin = start + timedelta(minutes=33 * i + 3 * s)
            member.busy.append((begin, begin + timedelta(minutes=25)))
        staff.append(member)
    rules = Rules(
        tz=tz,
        duration=timedelta(minutes=60),
        step=timedelta(minutes=30),
        buffer=timedelta(minutes=15),
        min_notice=timedelta(minutes=60),
        horizon_days=30,
    )
    return staff, rules


def timed(repeat: int, run) -> tuple[list[float], object]:
    """Milliseconds of each of `repeat` calls of `run()`, and the last result."""
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        timings.append((time.perf_counter() - started) * 1000)
    return timings, result


def bench_pure(repeat: int) -> None:
    from zoneinfo import ZoneInfo

    staff, rules = busy_day(ZoneInfo("Europe/Moscow"))
    timings, result = timed(repeat, lambda: free_slots_any(staff, DAY, NOW, rules))
    print(
        f"free slots, pure computation ({STAFF} specialists, {BOOKINGS} bookings): "
        f"median {statistics.median(timings):.3f} ms, max {max(timings):.3f} ms "
        f"(n={repeat}, {len(result)} start times free)"
    )
    timings, result = timed(repeat, lambda: days_with_slots(staff, NOW, rules))
    print(
        f"days with free slots, pure computation ({rules.horizon_days}-day horizon, the same "
        f"specialists): median {statistics.median(timings):.3f} ms, max {max(timings):.3f} ms "
        f"(n={repeat}, {len(result)} days)"
    )


async def bench_service(db, repeat: int) -> None:
    tenant = TenantContext("client_900", "Бенчмарк", OWNER)
    clock = FixedClock(NOW)
    async with db.acquire() as conn:
        await migrate_tenant(conn, tenant.client_id)
    catalogue = CatalogueService(db, tenant, clock)
    schedule = ScheduleService(db, tenant, clock)
    service = await catalogue.add_service("Стрижка", 60, 1500)
    await SalonService(db, tenant, clock).update_setting("buffer_min", 15)
    staff_ids = []
    for s in range(STAFF):
        staff_id = await catalogue.add_staff(f"Мастер {s + 1}")
        await catalogue.toggle_staff_service(staff_id, service)
        await schedule.set_week(staff_id, parse_week("пн-вс 09:00-13:00, 14:00-21:00"))
        staff_ids.append(staff_id)
    async with db.acquire() as conn:
        await conn.execute(
            f"INSERT INTO {tenant.client_id}.bot_users (telegram_id) VALUES ($1)", OWNER
        )
        start = datetime(2030, 3, 4, 6, 0, tzinfo=UTC)
        rows = []
        for s, staff_id in enumerate(staff_ids):
            for i in range(BOOKINGS // STAFF):
                begin = start + timedelta(minutes=33 * i + 3 * s)
                end = begin + timedelta(minutes=25)
                rows.append((f"k{s}-{i}", OWNER, "К", "+79990000000", service, staff_id, 0,
                             begin, end, end))  # fmt: skip
        await conn.executemany(
            f"INSERT INTO {tenant.client_id}.bookings (request_key, customer_id, customer_name,"
            " customer_phone, service_id, staff_id, price, starts_at, ends_at, blocked_until)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            rows,
        )
    booking = BookingService(db, tenant, clock)
    await booking.available_times(service, 0, DAY)  # warm up
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        free = await booking.available_times(service, 0, DAY)
        timings.append((time.perf_counter() - started) * 1000)
    print(
        f"free slots, BookingService.available_times with PostgreSQL: "
        f"median {statistics.median(timings):.2f} ms, max {max(timings):.2f} ms "
        f"(n={repeat}, {len(free)} start times free)"
    )


WEEK_BOOKINGS = 400


async def bench_week_view(db, repeat: int) -> None:
    """The owner's calendar week of a busy salon: 10 specialists, 400 bookings that week — the
    service's queries and the text the owner reads, as the dialog's getter runs them."""
    tenant = TenantContext("client_901", "Бенчмарк-неделя", OWNER)
    clock = FixedClock(NOW)
    async with db.acquire() as conn:
        await migrate_tenant(conn, tenant.client_id)
    catalogue = CatalogueService(db, tenant, clock)
    schedule = ScheduleService(db, tenant, clock)
    service = await catalogue.add_service("Стрижка", 45, 1500)
    staff_ids = []
    for s in range(STAFF):
        staff_id = await catalogue.add_staff(f"Мастер {s + 1}")
        await schedule.set_week(staff_id, parse_week("пн-вс 09:00-13:00, 14:00-21:00"))
        staff_ids.append(staff_id)
    per_day = WEEK_BOOKINGS // (STAFF * 7) + 1
    rows = []
    for n in range(WEEK_BOOKINGS):
        s, rest = n % STAFF, n // STAFF
        day, slot = divmod(rest, per_day)
        begin = datetime(2030, 3, 4, 6, 0, tzinfo=UTC) + timedelta(days=day, minutes=50 * slot)
        end = begin + timedelta(minutes=45)
        rows.append((f"w{n}", OWNER, "К", "+79990000000", service, staff_ids[s], 1500,
                     begin, end, end))  # fmt: skip
    async with db.acquire() as conn:
        await conn.execute(
            f"INSERT INTO {tenant.client_id}.bot_users (telegram_id) VALUES ($1)", OWNER
        )
        await conn.executemany(
            f"INSERT INTO {tenant.client_id}.bookings (request_key, customer_id, customer_name,"
            " customer_phone, service_id, staff_id, price, starts_at, ends_at, blocked_until)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            rows,
        )
    calendar = CalendarService(db, tenant, clock)

    async def week() -> str:
        return views.week_text(DAY, await calendar.span(DAY, 7))

    await week()  # warm up
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        text = await week()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    verdict = "PASS" if p95 < 50 else "FAIL"
    print(
        f"calendar week view ({STAFF} specialists, {WEEK_BOOKINGS} bookings that week, SQL "
        f"included): p50 {statistics.median(timings):.2f} ms, p95 {p95:.2f} ms, "
        f"max {timings[-1]:.2f} ms (n={repeat}, {len(text)} characters) — target p95 < 50 ms: "
        f"{verdict}"
    )


async def bench_flow(pg, redis_server, workdir: Path, customers: int) -> None:
    telegram = SandboxTelegramProcess(workdir / "telegram.log").start()
    worker = None
    try:
        key = TokenCipher.generate_key()
        env = {
            **server_env(pg.dsn, redis_server),
            "TELEGRAM_API_BASE": telegram.url,
            "TOKEN_ENCRYPTION_KEY": key,
            "LOG_LEVEL": "WARNING",
            **clock_env(workdir / "clock"),
            "POLLING_TIMEOUT": "5",
        }
        os.environ.update(env)
        from core.settings import Settings

        settings = Settings(_env_file=None)
        db = await create_pool(settings.dsn)
        async with db.acquire() as conn:
            await migrate_platform(conn)
            await grant_operator_period(conn, "client_001", 1, "bench")  # no Sales here
        redis = make_redis(settings)
        manager = BotPoolManager(redis, TokenCipher(key), stale_after=10)
        worker = WorkerProcess(1, env, workdir / "bot-pool-1.log").start()

        async def ready():
            return (await manager.get_pool_status())["free"] == 1

        await wait_until(ready, timeout=120, what="a waiting worker")
        token, bot = "7300000001:AAbenchBookingToken_abcdefghijklmnopq", "bench_booking_bot"
        async with SandboxTelegram(telegram.url) as tg:
            await tg.register_bot(token, bot)
            activation = await manager.activate_bot(
                "booking-bot-pool-1", token, OWNER, "client_001", "Бенчмарк"
            )
            result = await manager.wait_for_activation("booking-bot-pool-1", activation, 30)
            if not result.ok:
                raise SystemExit(f"activation failed: {result.error}")
            await setup_salon(db, "client_001", "Бенчмарк", OWNER)
            await customer_flow(tg, bot, 1_000_000, 0)  # warm-up, not counted
            cpu_before = cpu_seconds(worker.pid)
            started = time.perf_counter()
            counts = await asyncio.gather(
                *(customer_flow(tg, bot, 2_000_000 + i, i + 1) for i in range(customers))
            )
            elapsed = time.perf_counter() - started
            cpu = cpu_seconds(worker.pid) - cpu_before
        async with db.acquire() as conn:
            booked = await conn.fetchval("SELECT count(*) FROM client_001.bookings")
        await redis.aclose()
        await db.close()
        total = sum(counts)
        print(
            f"booking flow through the sandbox, one tenant bot (worker process), "
            f"{customers} concurrent customers: {total} updates in {elapsed:.2f} s = "
            f"{total / elapsed:.0f} updates/s, {customers / elapsed:.1f} bookings/s "
            f"({booked - 1} booked)"
        )
        print(
            f"  the worker process used {cpu:.2f} s of CPU for them: "
            f"{cpu / total * 1000:.1f} ms per update"
        )
    finally:
        if worker is not None and worker.running():
            worker.terminate()
        telegram.stop()


async def bench(customers: int, repeat: int, workdir: Path) -> None:
    bench_pure(repeat)
    pg = LocalPostgres().start()
    redis_server = LocalRedis().start()
    try:
        db = await create_pool(pg.dsn)
        try:
            await bench_service(db, repeat // 10 or 1)
            await bench_week_view(db, repeat // 2 or 1)
        finally:
            await db.close()
        await bench_flow(pg, redis_server, workdir, customers)
    finally:
        redis_server.stop()
        pg.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=40, help="at most 99")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bot-pool-bench-booking-") as workdir:
        asyncio.run(bench(args.customers, args.repeat, Path(workdir)))


if __name__ == "__main__":
    main()
