"""`make demo`: the whole system on this machine, on the sandbox, end to end.

Starts PostgreSQL, Redis and the Telegram stand-in, applies migrations, runs 3 pool workers under
supervisord (the deployment's program definitions: the spawner forks each slot from one process
that imported aiogram once), activates one slot for a demo salon through
the pool manager, lets a simulated customer press /start, and prints the pool status, the
conversation and the measured activation time. Then a whole purchase: the YooKassa stand-in and
the Sales service start, a business owner buys a bot in the Sales Bot's chat, pays, gets
"🎉 ВАШ БОТ ГОТОВ!", and their first customer talks to the new bot. Then it stops everything, or
with `--keep` leaves it running and prints what to try.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from core.crypto import TokenCipher
from core.db import create_pool
from core.migrations import migrate_all
from core.platform_repo import grant_operator_period
from pool.manager import BotPoolManager
from sandbox.buyer import SalesBuyer
from sandbox.harness import (
    REPO,
    ModuleProcess,
    SalesProcess,
    SandboxTelegramProcess,
    SandboxYooKassaProcess,
    Supervisor,
    pss_kib,
    uss_kib,
    wait_until,
)
from sandbox.localservers import LocalPostgres, LocalRedis, server_env
from sandbox.telegram.client import SandboxTelegram
from sandbox.yookassa.client import SandboxYooKassa
from scripts.play import render

DEMO_TOKEN = "7000000001:AAdemoSalonAnnaToken_0123456789abcdef"
DEMO_BOT = "anna_salon_bot"
CUSTOMER_ID = 555000111
OWNER_ID = 987654321
POOL_SIZE = 3
SALES_TOKEN = "7000000100:AAdemoSalesBotToken_0123456789abcdefgh"
SALES_BOT = "botpool_sales_bot"
BUYER_TOKEN = "7000000002:AAdemoBarberBorisToken_0123456789abcd"
BUYER_BOT = "boris_barber_bot"
BUYER_ID = 111222333
SHOP_ID, SHOP_SECRET = "100500", "demo_sandbox_secret_key"
MASTER_TOKEN = "7000000200:AAdemoMasterBotToken_0123456789abcdef"
MASTER_BOT = "botpool_master_bot"
OPERATOR_ID = 424242


def step(text: str) -> None:
    print(f"\n▶ {text}", flush=True)


def show_status(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "pool", "status"], env={**os.environ, **env}, check=False)


async def demo(keep: bool, run_dir: Path) -> None:
    # Ctrl-C and `kill` (SIGTERM) alike cancel the demo, so the `finally` below stops
    # everything; a second signal while stopping changes nothing.
    loop, me = asyncio.get_running_loop(), asyncio.current_task()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, me.cancel)
    step("Starting PostgreSQL and Redis on 127.0.0.1 (temporary directories)")
    pg = LocalPostgres().start()
    redis_server = LocalRedis().start()
    telegram = supervisor = yookassa = sales = master = None
    try:
        print(f"  PostgreSQL on port {pg.port}, Redis on port {redis_server.port}")
        step("Starting the Telegram Bot API sandbox")
        telegram = SandboxTelegramProcess(run_dir / "sandbox-telegram.log").start()
        print(f"  {telegram.url}")
        env = {
            **server_env(pg.dsn, redis_server),
            "TELEGRAM_API_BASE": telegram.url,
            "TOKEN_ENCRYPTION_KEY": TokenCipher.generate_key(),
            "HEARTBEAT_INTERVAL": "2",
            "HEARTBEAT_STALE_AFTER": "8",
            # `python -m scripts.play clock +1d` moves the time of the bots and Sales' checks
            "BOOKING_CLOCK_FILE": str(run_dir / "clock"),
            "REMINDER_CHECK_INTERVAL": "5",
            "SUBSCRIPTION_CHECK_INTERVAL": "5",
        }
        os.environ.update(env)
        from core.settings import Settings

        settings = Settings(_env_file=None)
        step("Applying migrations (schema platform)")
        db = await create_pool(settings.dsn)
        async with db.acquire() as conn:
            for schema, names in (await migrate_all(conn)).items():
                print(f"  {schema}: {', '.join(names) or 'up to date'}")
            # the first salon is activated by hand, as the operator's CLI does: a grant
            await grant_operator_period(conn, "client_001", 30, "demo")

        step(
            f"Starting {POOL_SIZE} pool workers under supervisord ({run_dir}/supervisord.conf),"
            " forked by the spawner"
        )
        supervisor = Supervisor(run_dir, env).start(POOL_SIZE)
        from core.redis_client import make_redis

        redis = make_redis(settings)
        cipher = TokenCipher(env["TOKEN_ENCRYPTION_KEY"])
        manager = BotPoolManager(redis, cipher, stale_after=settings.heartbeat_stale_after)

        async def all_waiting():
            status = await manager.get_pool_status()
            return status["free"] == POOL_SIZE

        t0 = time.monotonic()
        await wait_until(all_waiting, timeout=90, what="3 waiting workers")
        print(
            f"  {POOL_SIZE} workers waiting after {time.monotonic() - t0:.1f} s "
            "(the spawner imports aiogram once; each slot is a fork of it)"
        )
        print(supervisor.ctl("status").stdout.rstrip())
        slots = (await manager.get_pool_status())["slots"]
        spawner = supervisor.running()["booking-pool-spawner"]
        pids = [spawner] + [pid for s in slots for pid in (s["pid"], s["fork_pid"]) if pid]
        own = [uss_kib(s["pid"]) + (uss_kib(s["fork_pid"]) if s["fork_pid"] else 0) for s in slots]
        print(
            f"  memory: {sum(map(pss_kib, pids)) / 1024:.0f} MiB for the spawner and "
            f"{len(slots)} slots (PSS); each slot adds {sum(own) / len(own) / 1024:.0f} MiB of "
            "its own (launcher + fork), the rest is shared with the spawner"
        )
        first_log = (supervisor.logs / "bot-pool-1.log").read_text(encoding="utf-8")
        for line in first_log.splitlines()[:3]:
            print(f"  bot-pool-1 | {line}")

        async with SandboxTelegram(telegram.url) as tg:
            step(f"The owner created @{DEMO_BOT} in @BotFather (registered in the sandbox)")
            await tg.register_bot(DEMO_TOKEN, DEMO_BOT, first_name="Салон Анны")

            step("Sales: find_free_bot() + activate_bot() for «Салон Анны» (client_001)")
            started = time.perf_counter()
            free = await manager.find_free_bot()
            print(f"  find_free_bot() -> {free}")
            activation = await manager.activate_bot(
                free["container_id"], DEMO_TOKEN, OWNER_ID, "client_001", "Салон Анны"
            )
            result = await manager.wait_for_activation(free["container_id"], activation, 30)
            acked = time.perf_counter()
            if not result.ok:
                raise SystemExit(f"activation failed: {result.error}")
            print(
                f"  worker acknowledged: @{result.bot_username} active "
                f"({(acked - started) * 1000:.0f} ms after activate_bot)"
            )

            step("A customer opens the bot and presses Start")
            reply = await tg.ask(DEMO_BOT, CUSTOMER_ID, "/start", timeout=15)
            answered = time.perf_counter()

        step("Isolation: the tenant's bot runs as its own identities")
        async with db.acquire() as conn:
            roles = await conn.fetch(
                "SELECT usename, count(*) AS n FROM pg_stat_activity"
                " WHERE application_name = 'client_001' GROUP BY usename"
            )
        for row in roles:
            print(f"  PostgreSQL: {row['n']} connection(s) as role {row['usename']} (schema only)")
        users = sorted({c["user"] for c in await redis.client_list() if c["user"] != "default"})
        print(f"  Redis: ACL user(s) {', '.join(users)} (keys client_001:* only)")

        step("Pool status (booking-pool status)")
        show_status(env)

        step("The conversation (sandbox transcript)")
        async with SandboxTelegram(telegram.url) as tg:
            for message in await tg.transcript(DEMO_BOT, CUSTOMER_ID):
                print("\n".join(f"  {line}" for line in render(message)))
        assert "Салон Анны" in (reply.get("text") or "")

        slot_log = supervisor.logs / f"bot-pool-{free['pool_id']}.log"
        activated = [
            line
            for line in slot_log.read_text(encoding="utf-8").splitlines()
            if "BOT ACTIVATED" in line
        ]
        step("Measured")
        print(f"  log: {activated[-1] if activated else '(no BOT ACTIVATED line!)'}")
        print(f"  activation (activate_bot → worker ack):        {(acked - started) * 1000:.0f} ms")
        print(
            f"  activation (activate_bot → first /start reply): {(answered - started) * 1000:.0f} ms"
        )
        print("  (the seed promised 5–10 s; `make bench` measures p50/p95 over 20+ activations)")

        sales, yookassa = await purchase_demo(env, run_dir, telegram.url)

        await redis.aclose()
        await db.close()
        if keep:
            master = await start_master(env, run_dir, supervisor, telegram.url)
            print_keep_help(env, run_dir, supervisor, telegram.url, yookassa.url)
            await wait_forever()
    finally:
        step("Stopping everything")
        (run_dir / "demo.env").unlink(missing_ok=True)  # the database password, key and tokens
        for service in (master, sales):
            if service is not None:
                service.terminate()
        if yookassa is not None:
            yookassa.stop()
        if supervisor is not None:
            supervisor.stop()
        if telegram is not None:
            telegram.stop()
        redis_server.stop()
        pg.stop()
        print("  stopped.")


async def purchase_demo(env: dict[str, str], run_dir: Path, telegram_url: str):
    step("A whole purchase: the YooKassa stand-in and the Sales service (python -m sales)")
    yookassa = SandboxYooKassaProcess(
        run_dir / "sandbox-yookassa.log",
        {"YOOKASSA_SHOP_ID": SHOP_ID, "YOOKASSA_SECRET_KEY": SHOP_SECRET},
    ).start()
    print(f"  YooKassa sandbox {yookassa.url}")
    sales_env = {
        **env,
        "BOT_TOKEN_SALES": SALES_TOKEN,
        "YOOKASSA_SHOP_ID": SHOP_ID,
        "YOOKASSA_SECRET_KEY": SHOP_SECRET,
        "YOOKASSA_API_URL": f"{yookassa.url}/v3",
        "YOOKASSA_TRUSTED_NETWORKS": "127.0.0.1/32",
        "SALES_WEBHOOK_PORT": "0",
        "ORDER_SWEEP_INTERVAL": "1",
        "PAYMENT_POLL_INTERVAL": "5",
    }
    env.update({k: v for k, v in sales_env.items() if k not in env})
    async with SandboxTelegram(telegram_url) as tg, SandboxYooKassa(yookassa.url) as yk:
        await tg.register_bot(SALES_TOKEN, SALES_BOT, first_name="Bot Pool")
        sales = SalesProcess(sales_env, run_dir / "sales.log").start()
        webhook = await sales.ready(timeout=90)
        await yk.set_webhook(webhook)
        print(f"  Sales Bot @{SALES_BOT} polling; YooKassa notifications → {webhook}")

        step(f"A barber creates @{BUYER_BOT} in @BotFather and buys it in the Sales Bot")
        await tg.register_bot(BUYER_TOKEN, BUYER_BOT, first_name="Барбершоп Бориса")
        buyer = SalesBuyer(tg, SALES_BOT, BUYER_ID)
        payment_id = await buyer.order(BUYER_TOKEN, "Барбершоп Бориса")
        print(f"  payment {payment_id} created at YooKassa (pending)")

        step("The buyer pays; YooKassa notifies the webhook")
        started = time.perf_counter()
        delivered = (await yk.succeed(payment_id))["delivered"]
        notice = await buyer.expect("🎉 ВАШ БОТ ГОТОВ!", timeout=60)
        ready_ms = (time.perf_counter() - started) * 1000
        print(f"  webhook answered {delivered}; notice after {ready_ms:.0f} ms")
        reply = await tg.ask(BUYER_BOT, CUSTOMER_ID + 1, "/start", timeout=15)
        assert "Барбершоп Бориса" in (reply.get("text") or "")

        step("The Sales Bot conversation (the token message was deleted by the bot)")
        for message in await buyer.transcript():
            print("\n".join(f"  {line}" for line in render(message, ("🤖 sales", "👤 buyer"))))
        print(f"\n  and @{BUYER_BOT} answers its first customer: {reply['text'].splitlines()[0]}")
        assert notice["text"].startswith("🎉 ВАШ БОТ ГОТОВ!")
    return sales, yookassa


async def start_master(env, run_dir, supervisor, telegram_url) -> ModuleProcess:
    step(f"The operator's Master Bot @{MASTER_BOT} (python -m master)")
    master_env = {
        **env,
        "BOT_TOKEN_MASTER": MASTER_TOKEN,
        "ADMIN_IDS_MASTER": str(OPERATOR_ID),
        "MASTER_METRICS_PORT": "0",
        "SUPERVISOR_URL": f"unix://{run_dir}/supervisor.sock",
        "SUPERVISOR_PROGRAMS_DIR": str(supervisor.programs),
        "SUPERVISOR_PROGRAM_DIR": str(REPO),
        "SUPERVISOR_LOG_DIR": str(supervisor.logs),
    }
    env.update({k: v for k, v in master_env.items() if k not in env})
    async with SandboxTelegram(telegram_url) as tg:
        await tg.register_bot(MASTER_TOKEN, MASTER_BOT, first_name="Bot Pool Master")
        master = ModuleProcess("master", master_env, run_dir / "master.log").start()
        reply = await tg.ask(MASTER_BOT, OPERATOR_ID, "/start", timeout=90)
    print(f"  @{MASTER_BOT} answers the operator ({OPERATOR_ID}): {reply['text'].splitlines()[0]}")
    return master


def print_keep_help(env, run_dir, supervisor, telegram_url, yookassa_url) -> None:
    env_file = run_dir / "demo.env"
    env_file.write_text(
        "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items())
        + f'play() {{ (cd {shlex.quote(str(REPO))} && {shlex.quote(sys.executable)} -m scripts.play "$@"); }}\n'
    )
    env_file.chmod(0o600)
    print(
        f"""
Everything keeps running. Who is who (Telegram ids in the sandbox):

  {OWNER_ID:>10}  owner of @{DEMO_BOT} (Салон Анны): /admin sets up services, staff, hours
  {CUSTOMER_ID:>10}  a customer of @{DEMO_BOT}
  {BUYER_ID:>10}  a barber who bought @{BUYER_BOT} in @{SALES_BOT}, and its owner
  {OPERATOR_ID:>10}  the operator, in @{MASTER_BOT} (/pool, /clients, /client client_001)

In another shell, `source {env_file}`, then act as any of them (`play --help`):

  # the owner sets the salon up, then a customer books
  play say {DEMO_BOT} {OWNER_ID} /admin
  play press {DEMO_BOT} {OWNER_ID} "Услуги"
  play say {DEMO_BOT} {CUSTOMER_ID} /start
  play press {DEMO_BOT} {CUSTOMER_ID} "Записаться"
  # a new business: a bot from "@BotFather", bought in the Sales Bot, paid at YooKassa
  play botfather my_demo_bot
  play say {SALES_BOT} 5550123 /start
  play pay
  # time: +1d sends the next day's reminders; +28d brings subscriptions near their end
  play clock +1d
  play clock now
  # the operator
  play say {MASTER_BOT} {OPERATOR_ID} /pool
  play show {DEMO_BOT} {CUSTOMER_ID}

  .venv/bin/booking-pool status
  .venv/bin/supervisorctl -c {supervisor.conf} status
  tail -f {supervisor.logs}/bot-pool-1.log {run_dir}/sales.log {run_dir}/master.log
  stand-ins: Telegram {telegram_url}, YooKassa {yookassa_url}/_sandbox/payments

Press Ctrl-C here to stop it all.""",
        flush=True,
    )


async def wait_forever() -> None:
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep everything running")
    args = parser.parse_args()
    (REPO / ".run").mkdir(exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix="demo-", dir=REPO / ".run"))
    try:
        asyncio.run(demo(args.keep, run_dir))
    except (KeyboardInterrupt, asyncio.CancelledError):
        pass
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
