"""End-to-end fixtures: the Telegram sandbox as a process, real pool worker processes."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from bots import texts
from bots.clock import write_clock_file
from core.crypto import TokenCipher
from core.migrations import migrate_platform
from core.platform_repo import grant_operator_period
from pool.manager import ActivationResult, BotPoolManager
from sandbox.harness import SandboxTelegramProcess, WorkerProcess, wait_until
from sandbox.telegram.client import SandboxTelegram

_bot_numbers = itertools.count(1)


def new_token() -> tuple[str, str]:
    """A fresh, well-formed token and bot username for one test."""
    n = next(_bot_numbers)
    return f"{7100000000 + n}:AAe2eTestToken_{n:04d}_abcdefghijklmnopqrs", f"e2e_salon_{n}_bot"


@pytest.fixture(scope="session")
def telegram_sandbox(tmp_path_factory) -> Iterator[SandboxTelegramProcess]:
    proc = SandboxTelegramProcess(tmp_path_factory.mktemp("sandbox") / "telegram.log").start()
    try:
        yield proc
    finally:
        proc.stop()


async def fetch(dsn: str, sql: str, *args):
    """The rows of one query on a connection of its own."""
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def clocked_bot(stand: Stand, clock: Path, now, **env: str) -> tuple[str, str]:
    """A fresh bot (token, username) registered in the sandbox, and the workers' "now" read
    from the file `clock`, set to `now`; simulated users click at machine speed, so a higher
    per-user limit than a human needs. `env`: more settings for the workers."""
    token, username = new_token()
    await stand.tg.register_bot(token, username)
    write_clock_file(clock, now)
    stand.env.update(BOOKING_CLOCK_FILE=str(clock), RATELIMIT_MAX_EVENTS="200", **env)
    return token, username


async def set_up_by_buttons(tg: SandboxTelegram, bot: str, owner: int, hours: str) -> None:
    """The owner sets up a haircut (60 min, 1500 ₽), the specialist Вера who does it, and her
    `hours` — by buttons, as an owner would."""
    await tg.ask(bot, owner, "/admin")
    await tg.click(bot, owner, texts.ADMIN_SERVICES)
    await tg.click(bot, owner, texts.ADMIN_ADD_SERVICE)
    reply = await tg.ask(bot, owner, "Стрижка; 60; 1500")
    assert texts.SERVICE_SAVED in reply["text"]
    await tg.ask(bot, owner, "/admin")
    await tg.click(bot, owner, texts.ADMIN_STAFF)
    await tg.click(bot, owner, texts.ADMIN_ADD_STAFF)
    await tg.ask(bot, owner, "Вера")
    await tg.click(bot, owner, texts.STAFF_SERVICES_BTN)
    await tg.click(bot, owner, "Стрижка")
    await tg.click(bot, owner, texts.BACK)
    await tg.click(bot, owner, texts.STAFF_HOURS_BTN)
    reply = await tg.ask(bot, owner, hours)
    assert texts.WEEK_SAVED in reply["text"]


@dataclass
class Stand:
    env: dict[str, str]
    dsn: str
    log_dir: Path
    manager: BotPoolManager
    tg: SandboxTelegram
    cipher: TokenCipher
    workers: dict[int, WorkerProcess] = field(default_factory=dict)

    def start_worker(self, pool_id: int) -> WorkerProcess:
        worker = WorkerProcess(pool_id, self.env, self.log_dir / f"bot-pool-{pool_id}.log").start()
        self.workers[pool_id] = worker
        return worker

    async def slot(self, pool_id: int) -> dict | None:
        status = await self.manager.get_pool_status()
        return next((s for s in status["slots"] if s["pool_id"] == pool_id), None)

    async def wait_status(self, pool_id: int, status: str, timeout: float = 60, **fields) -> dict:
        async def check():
            slot = await self.slot(pool_id)
            if (
                slot
                and slot["status"] == status
                and not slot["stale"]
                and all(slot.get(k) == v for k, v in fields.items())
            ):
                return slot
            return None

        return await wait_until(
            check, timeout=timeout, interval=0.1, what=f"slot {pool_id} {status} {fields}"
        )

    async def grant(self, client_id: str, days: int = 30) -> None:
        """What `booking-pool activate` records for a client without a subscription, so that the
        "may run" rule lets it run (tests that activate through the manager directly)."""
        conn = await asyncpg.connect(self.dsn)
        try:
            await grant_operator_period(conn, client_id, days, "test")
        finally:
            await conn.close()

    async def activate(
        self, pool_id: int, token: str, client: str, company: str, admin: int = 777
    ) -> ActivationResult:
        """Grant the client a period and activate it on slot `pool_id`, as the CLI does."""
        await self.grant(client)
        slot = f"booking-bot-pool-{pool_id}"
        activation = await self.manager.activate_bot(slot, token, admin, client, company)
        return await self.manager.wait_for_activation(slot, activation, 30)

    async def fetch(self, sql: str, *args):
        return await fetch(self.dsn, sql, *args)


@pytest_asyncio.fixture
async def stand(
    env_for_servers, pg_dsn, redis_client, telegram_sandbox, tmp_path
) -> AsyncIterator[Stand]:
    conn = await asyncpg.connect(pg_dsn)
    try:
        await migrate_platform(conn)
    finally:
        await conn.close()
    key = TokenCipher.generate_key()
    env = {
        **env_for_servers,
        "TELEGRAM_API_BASE": telegram_sandbox.url,
        "TOKEN_ENCRYPTION_KEY": key,
        "HEARTBEAT_INTERVAL": "0.5",
        "HEARTBEAT_STALE_AFTER": "4",
        "POLLING_TIMEOUT": "5",
        "LOG_LEVEL": "INFO",
    }
    cipher = TokenCipher(key)
    async with SandboxTelegram(telegram_sandbox.url) as tg:
        stand = Stand(
            env, pg_dsn, tmp_path, BotPoolManager(redis_client, cipher, stale_after=4), tg, cipher
        )
        try:
            yield stand
        finally:
            for worker in stand.workers.values():
                if worker.running():
                    worker.proc.kill()
                    worker.proc.wait()
            await asyncio.sleep(0)


@pytest_asyncio.fixture
async def sales(stand):
    """The Sales service (in this event loop) + the YooKassa stand-in, webhook wired."""
    from tests.e2e.sales_stand import running_sales

    async with running_sales(stand) as sales_stand:
        yield sales_stand
