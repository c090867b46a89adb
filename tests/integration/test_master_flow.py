"""The Master Bot's screens: its real Dispatcher fed by the in-process Telegram sandbox, on real
PostgreSQL and Redis, with slots registered in Redis as workers register them. An operator's
message returns when the bot has handled it, so a stranger's silence is checked at once. The
pool's processes, alerts, growth under supervisord and metrics stay end-to-end
(tests/e2e/test_master_e2e.py, test_master_clients_e2e.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest_asyncio

from core import keys
from core.crypto import TokenCipher
from core.localtime import date_text
from core.migrations import migrate_platform
from master import texts
from master.app import build_dispatcher
from master.services import ClientService, PoolService
from pool.manager import BotPoolManager
from pool.status import SlotStatus, status_doc, unix_now
from sandbox.telegram.inprocess import InProcessTelegram
from tests.integration.test_mybots_truth import add

ADMIN = 1000201
STRANGER = 1000202
MASTER_TOKEN = "7099999997:AAmasterBotToken_flow_abcdefghijklmnopq"
MASTER_BOT = "pool_master_flow_bot"


@dataclass
class Master:
    tg: InProcessTelegram
    db: asyncpg.Pool
    redis: object

    async def register(self, n: int, status: SlotStatus = SlotStatus.WAITING, **fields) -> None:
        """Slot n as its worker registers it: a status document and a fresh heartbeat."""
        slot = f"booking-bot-pool-{n}"
        await self.redis.set(keys.bot_status(slot), status_doc(slot, n, status, **fields))
        await self.redis.zadd(keys.pool_heartbeats(), {slot: unix_now()})

    async def fetch(self, sql: str, *args):
        async with self.db.acquire() as conn:
            return await conn.fetch(sql, *args)


@pytest_asyncio.fixture
async def master(pg_dsn, redis_client) -> AsyncIterator[Master]:
    db = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=3)
    async with db.acquire() as conn:
        await migrate_platform(conn)
    cipher = TokenCipher(TokenCipher.generate_key())
    manager = BotPoolManager(redis_client, cipher, stale_after=20)
    pool = PoolService(manager, db, None, grow_step=1, max_size=10)
    clients = ClientService(db, manager, cipher, timeout=5)
    tg = InProcessTelegram()
    await tg.register_bot(MASTER_TOKEN, MASTER_BOT)
    bot = tg.bot(MASTER_TOKEN)
    tg.attach(bot, build_dispatcher(pool, clients, admin_ids={ADMIN}, alert_threshold=0.8))
    try:
        yield Master(tg, db, redis_client)
    finally:
        await bot.session.close()
        await db.close()


async def test_the_operator_gets_help_and_a_stranger_gets_nothing(master):
    tg = master.tg
    help_text = await tg.ask(MASTER_BOT, ADMIN, "/start")
    assert "/pool" in help_text["text"] and "/clients" in help_text["text"]
    for command in ("/start", "/pool", "/clients"):
        await tg.send_message(MASTER_BOT, STRANGER, command)
    # every update was handled when send_message returned: no answer at all
    assert {m["from"] for m in await tg.transcript(MASTER_BOT, STRANGER)} == {"user"}


async def test_pool_shows_free_and_busy_slots_and_release_asks_first(master):
    tg = master.tg
    await master.register(1, SlotStatus.ACTIVE, client_id="client_101", bot_username="salon1_bot")
    await master.register(2)
    await master.register(3)
    pool = await tg.ask(MASTER_BOT, ADMIN, "/pool")
    assert "🏊 СТАТУС ПУЛА БОТОВ\n⚪ Свободно: 2/3\n🟢 Занято: 1/3" in pool["text"]
    assert "client_101" in pool["text"] and "@salon1_bot" in pool["text"]
    confirm = await tg.click(MASTER_BOT, ADMIN, "🔓 Освободить 1")
    assert "Освободить слот booking-bot-pool-1 (client_101" in confirm["text"]
    assert texts.BTN_CONFIRM_RELEASE in str(confirm["reply_markup"])


async def test_clients_list_card_and_extend_with_confirmation(master):
    tg = master.tg
    async with master.db.acquire() as conn:
        await add(conn, "client_001", "active")
    listing = await tg.ask(MASTER_BOT, ADMIN, "/clients")
    assert "👥 Клиенты: 1 · страница 1/1" in listing["text"]
    # ⚪: the subscription is live but no slot runs the bot
    assert "⚪ client_001 · Салон 001 · @bot_001 · активна до" in listing["text"]
    card = await tg.click(MASTER_BOT, ADMIN, "client_001 · Салон 001")
    assert "client_001" in card["text"] and "Слот: не запущен" in card["text"]
    before = (await master.fetch("SELECT ends_at FROM platform.subscriptions"))[0]["ends_at"]

    ask = await tg.click(MASTER_BOT, ADMIN, "➕ 30 дн.")
    assert ask["text"] == "Продлить подписку client_001 на 30 дн.?"
    done = await tg.click(MASTER_BOT, ADMIN, "✅ Да")
    after = (await master.fetch("SELECT ends_at FROM platform.subscriptions"))[0]["ends_at"]
    assert (after - before).days == 30
    assert done["text"] == f"➕ Подписка client_001 продлена до {date_text(after)}."  # in МСК
