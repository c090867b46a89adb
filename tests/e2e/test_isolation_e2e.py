"""A live tenant bot under the deployment's narrow identities: the worker runs as PostgreSQL role
and Redis user `booking_pool`, the Sales service as `booking_sales` (a whole purchase), the Master
as `booking_master`; the tenant's bot itself connects as `client_001` to both, and a customer's
booking still works."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import aiohttp
import asyncpg
import pytest

from bots import texts
from bots.clock import write_clock_file
from core import redis_acl
from core.db import dsn_as
from sandbox.harness import ModuleProcess
from sandbox.localservers import find_free_port
from tests.e2e.conftest import new_token
from tests.e2e.sales_stand import start_sales

pytestmark = pytest.mark.e2e
ALICE = 890101
ADMIN = 890201
MASTER_TOKEN = "7099999998:AAmasterBotToken_isolation_abcdefghijklm"
MASTER_BOT = "pool_master_isolation_bot"
NOW = datetime(2030, 3, 4, 5, 0, tzinfo=UTC)  # Monday 08:00 in Moscow
SALON = """
INSERT INTO client_001.services (name, duration_min, price) VALUES ('Стрижка', 60, 1500);
INSERT INTO client_001.staff (name) VALUES ('Вера');
INSERT INTO client_001.staff_services VALUES (1, 1);
INSERT INTO client_001.working_hours (staff_id, weekday, starts, ends)
    SELECT 1, d, '10:00', '14:00' FROM generate_series(0, 5) AS d;
"""


async def test_a_tenant_bot_runs_as_its_own_identities(stand, pg_server, redis_client, tmp_path):
    # the deployment's service identities, made here by the admins (superuser, Redis default)
    roles = ("booking_pool", "booking_sales", "booking_master")
    password = {role: secrets.token_urlsafe(16) for role in roles}
    for role, secret in password.items():
        pg_server.run_sql(f"ALTER ROLE {role} LOGIN PASSWORD '{secret}'")
        await redis_acl.set_user(redis_client, role, redis_acl.service_rules(role, secret))
    clock = tmp_path / "clock"
    write_clock_file(clock, NOW)
    stand.env["BOOKING_CLOCK_FILE"] = str(clock)
    pool_env = {
        **stand.env,
        "DATABASE_URL": dsn_as(stand.dsn, "booking_pool", password["booking_pool"]),
        "REDIS_USERNAME": "booking_pool",
        "REDIS_PASSWORD": password["booking_pool"],
    }
    sales, yk_server = await start_sales(
        stand,
        DATABASE_URL=dsn_as(stand.dsn, "booking_sales", password["booking_sales"]),
        REDIS_USERNAME="booking_sales",
        REDIS_PASSWORD=password["booking_sales"],
    )
    tg = stand.tg
    token, bot = new_token()
    await tg.register_bot(token, bot)
    await tg.register_bot(MASTER_TOKEN, MASTER_BOT)
    metrics_port = find_free_port()
    master = ModuleProcess(
        "master",
        {
            **stand.env,
            "DATABASE_URL": dsn_as(stand.dsn, "booking_master", password["booking_master"]),
            "REDIS_USERNAME": "booking_master",
            "REDIS_PASSWORD": password["booking_master"],
            "BOT_TOKEN_MASTER": MASTER_TOKEN,
            "ADMIN_IDS_MASTER": str(ADMIN),
            "MASTER_METRICS_PORT": str(metrics_port),
            "ALERT_INTERVAL": "0.5",
            # one slot, taken: a "pool full" alert could land between a command and its answer
            "POOL_ALERT_THRESHOLD": "1",
        },
        tmp_path / "master.log",
    ).start()
    try:
        stand.env = pool_env
        stand.start_worker(1)
        await stand.wait_status(1, "waiting")
        buyer = sales.buyer(tg)
        payment_id = await buyer.order(token, "Студия Веры")
        assert (await sales.yk.succeed(payment_id))["delivered"] == [200]
        await buyer.expect("🎉 ВАШ БОТ ГОТОВ!", timeout=30)

        owner = await asyncpg.connect(stand.dsn)
        try:
            await owner.execute(SALON)
        finally:
            await owner.close()

        await tg.ask(bot, ALICE, "/start")
        await tg.click(bot, ALICE, texts.MENU_BOOK)
        await tg.click(bot, ALICE, "Стрижка")
        await tg.click(bot, ALICE, "Вера")
        await tg.click(bot, ALICE, "Вт 05.03")
        reply = await tg.click(bot, ALICE, "10:00")
        assert reply["text"] == texts.ASK_NAME
        await tg.ask(bot, ALICE, "Алиса")
        sent = await tg.press_reply_button(bot, ALICE, texts.SHARE_PHONE, phone="+79991110001")
        await tg.wait_for_reply(bot, ALICE, after=sent["message_id"])
        summary = await tg.wait_for_reply(bot, ALICE, after=sent["message_id"] + 1)
        assert "Проверьте запись" in summary["text"]
        reply = await tg.click(bot, ALICE, texts.CONFIRM)
        assert "Вы записаны" in reply["text"]
        rows = await stand.fetch("SELECT customer_name FROM client_001.bookings")
        assert [r["customer_name"] for r in rows] == ["Алиса"]

        # PostgreSQL: the bot's connections are role client_001, the slot's are booking_pool
        sessions = await stand.fetch(
            "SELECT usename, application_name FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        tenant = [s["usename"] for s in sessions if s["application_name"] == "client_001"]
        assert tenant and set(tenant) == {"client_001"} and len(tenant) <= 2
        # nobody connects as the owner (the Master may not have connected yet: it starts slowly)
        assert {"client_001", "booking_pool", "booking_sales"} <= {s["usename"] for s in sessions}
        assert {s["usename"] for s in sessions} <= {"client_001", *roles}
        # Redis: the bot's connections are ACL user client_001, and its FSM works through it
        users = {c["user"] for c in await redis_client.client_list()}
        assert {"client_001", "booking_pool", "booking_sales"} <= users
        await tg.ask(bot, ALICE, "/start")
        await tg.click(bot, ALICE, texts.MENU_BOOK)
        await tg.click(bot, ALICE, "Стрижка")  # mid-way through a booking: state is stored
        assert await redis_client.keys("client_001:fsm:*")
        log = (stand.log_dir / "bot-pool-1.log").read_text(encoding="utf-8")
        assert "limit not checked" not in log and "handler failed" not in log

        # the Master, as booking_master, sees the pool, the client and the metrics
        pool = await tg.ask(MASTER_BOT, ADMIN, "/pool", timeout=20)
        assert "🟢 Занято: 1/1" in pool["text"] and "client_001" in pool["text"]
        card = await tg.ask(MASTER_BOT, ADMIN, "/client client_001", timeout=10)
        assert "Студия Веры" in card["text"]
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{metrics_port}/metrics") as response:
                assert response.status == 200
                assert "bot_pool_slots" in await response.text()
        master_log = (tmp_path / "master.log").read_text(encoding="utf-8")
        assert "permission denied" not in master_log.lower(), master_log[-2000:]
    finally:
        master.terminate()
        await sales.service.stop()
        await sales.yk.close()
        await yk_server.close()
