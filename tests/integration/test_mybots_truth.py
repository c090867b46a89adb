"""/mybots tells the truth: a suspended bot shows as suspended (not «работает»), a paid order
waiting for a slot as queued, deleted data as deleted (and no buttons for it). Real PostgreSQL
and Redis; the Sales Bot's dispatcher fed by the in-process Telegram sandbox."""

from __future__ import annotations

import asyncpg
from loguru import logger

from core.migrations import migrate_platform
from sales import texts
from sales.app import build_dispatcher
from sales.purchase import PurchaseService
from sandbox.telegram.inprocess import InProcessTelegram

BUYER = 8800002
TOKEN = "6100000997:AAmybotsTruth_abcdefghijklmnopqrstuvw"
SALES_BOT = "mybots_truth_bot"


async def add(conn, client_id: str, status: str, *, suspended=False, order=None, purged=False):
    await conn.execute(
        "INSERT INTO platform.tenants (client_id, company_name, admin_telegram_id, suspended_at)"
        " VALUES ($1, $2, 1, CASE WHEN $3 THEN now() END)",
        client_id,
        f"Салон {client_id[-3:]}",
        suspended,
    )
    await conn.execute(
        "INSERT INTO platform.tenant_bots (client_id, bot_id, bot_username, token_encrypted,"
        " token_fingerprint) VALUES ($1, 1, $2, 'x', 'fp')",
        client_id,
        f"bot_{client_id[-3:]}",
    )
    await conn.execute(
        "INSERT INTO platform.subscriptions (client_id, buyer_telegram_id, status, ends_at,"
        " released_at, archive_until, purged_at) VALUES ($1, $2, $3, now() + interval '20 days',"
        " CASE WHEN $3 = 'released' THEN now() END, CASE WHEN $3 = 'released' THEN now() END,"
        " CASE WHEN $4 THEN now() END)",
        client_id,
        BUYER,
        status,
        purged,
    )
    if order:
        await conn.execute(
            "INSERT INTO platform.orders (kind, buyer_telegram_id, client_id, status, paid_at)"
            " VALUES ('renewal', $1, $2, $3, now())",
            BUYER,
            client_id,
            order,
        )


async def test_mybots_shows_suspension_queueing_and_deleted_data(pg_dsn, redis_client):
    db = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=3)
    try:
        async with db.acquire() as conn:
            await migrate_platform(conn)
            await add(conn, "client_801", "active", suspended=True)
            await add(conn, "client_802", "released", order="queued")
            await add(conn, "client_803", "released", purged=True)
            await add(conn, "client_804", "active")
        purchase = PurchaseService(
            db=db,
            cipher=None,
            checker=None,
            gateway=None,
            processor=None,
            return_url="",
            log=logger,
        )
        tg = InProcessTelegram()
        await tg.register_bot(TOKEN, SALES_BOT)
        bot = tg.bot(TOKEN)
        tg.attach(bot, build_dispatcher(redis=redis_client, purchase_service=purchase))
        answer = await tg.ask(SALES_BOT, BUYER, "/mybots")
    finally:
        await db.close()
    assert [m["from"] for m in await tg.transcript(SALES_BOT, BUYER)] == ["user", "bot"]
    blocks = {b.split(" — ")[0]: b for b in answer["text"].split("\n\n")[1:]}
    suspended = blocks["⏸ @bot_801"]
    assert "приостановлен оператором" in suspended and "работает" not in suspended
    assert texts.STATUS_QUEUED in blocks["⏳ @bot_802"]
    assert "данные удалены" in blocks["🗑 @bot_803"]
    assert "🟢 @bot_804" in blocks
    buttons = [b["text"] for row in answer["reply_markup"]["inline_keyboard"] for b in row]
    assert not any("bot_803" in b for b in buttons)  # nothing to renew or export any more
    assert texts.EXPORT.format(username="bot_802") in buttons
