"""Customers of a tenant bot, for the benchmarks: a salon set up so that a booking can be made,
and one customer booking through the Telegram sandbox by pressing the bot's buttons.

The flow names a day (`Вт 05.03`): the bot must run with `clock_env(...)` (its "now" is `NOW`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from bots import texts
from bots.clock import write_clock_file
from bots.context import TenantContext
from bots.parsing import parse_week
from bots.services import CatalogueService, ScheduleService
from sandbox.telegram.client import SandboxTelegram

NOW = datetime(2030, 3, 4, 4, 0, tzinfo=UTC)  # Monday 07:00 in Moscow
STAFF = 10
HOURS = [f"{h:02d}:00" for h in (9, 10, 11, 12, 14, 15, 16, 17, 18, 19)]
MAX_CUSTOMERS = STAFF * len(HOURS)  # distinct (specialist, hour) pairs on the booked day


def clock_env(path: Path) -> dict[str, str]:
    """Write a clock file set to `NOW`; the setting that makes a bot read it."""
    write_clock_file(path, NOW)
    return {"BOOKING_CLOCK_FILE": str(path)}


async def setup_salon(db: asyncpg.Pool, client_id: str, company: str, owner: int) -> None:
    """One service («Стрижка», 60 min) and `STAFF` specialists «Мастер N» who do it, every day
    09:00–13:00 and 14:00–21:00 (through the owner's service, as /admin would)."""
    tenant = TenantContext(client_id, company, owner)
    catalogue, schedule = CatalogueService(db, tenant), ScheduleService(db, tenant)
    service = await catalogue.add_service("Стрижка", 60, 1500)
    for s in range(STAFF):
        staff_id = await catalogue.add_staff(f"Мастер {s + 1}")
        await catalogue.toggle_staff_service(staff_id, service)
        await schedule.set_week(staff_id, parse_week("пн-вс 09:00-13:00, 14:00-21:00"))


async def customer_flow(tg: SandboxTelegram, bot: str, user: int, index: int) -> int:
    """One booking: /start → Записаться → service → specialist → day → time → name → phone →
    Подтвердить; customer `index` (< MAX_CUSTOMERS per bot) takes its own specialist and hour.
    Returns the number of updates the customer sent."""
    updates = 0

    async def click(text: str):
        nonlocal updates
        updates += 1
        return await tg.click(bot, user, text, timeout=60)

    async def ask(text: str):
        nonlocal updates
        updates += 1
        return await tg.ask(bot, user, text, timeout=60)

    await ask("/start")
    await click(texts.MENU_BOOK)
    await click("Стрижка")
    await click(f"Мастер {index % STAFF + 1}")
    await click("Вт 05.03")
    await click(HOURS[index // STAFF])  # each customer a different specialist or hour
    await ask(f"Клиент {index}")
    updates += 1
    sent = await tg.send_message(bot, user, f"+7999{index:07d}")
    await tg.wait_for_reply(bot, user, after=sent["message_id"], timeout=60)
    await tg.wait_for_reply(bot, user, after=sent["message_id"] + 1, timeout=60)
    reply = await click(texts.CONFIRM)
    if "Вы записаны" not in reply["text"]:
        raise SystemExit(f"@{bot}, customer {index}: {reply['text']}")
    return updates
