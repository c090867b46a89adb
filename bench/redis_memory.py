"""`make bench-redis`: Redis memory after 10,000 abandoned conversations.

A fresh `redis-server` (no maxmemory, so nothing is evicted and the figure is what the code
leaves behind). The FSM storages are built exactly as the services build them — each tenant
bot's by `bots.factory.build_dispatcher` with `BotOptions.from_settings`, the Sales Bot's by
`sales.app.build_dispatcher` with the Sales service's settings — and each conversation writes
through them what the real flow writes before the user walks away:

- customers of 10 tenant bots (8,000): the booking dialog up to the phone number (its stack and
  its context, whose draft holds service, specialist, day, time and name), written by
  aiogram-dialog's own storage code;
- buyers in the Sales Bot (2,000): the purchase up to the owner's id (state, and data with the
  tariff, the bot, its encrypted token and the company).

Then it prints the memory right after, and again once `FSM_TTL` has passed (the bench sets
`FSM_TTL=60` in its own environment; code without FSM TTLs ignores it and keeps everything).
Run it on any checkout: `python -m bench.redis_memory`.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import os
import time
from dataclasses import asdict
from types import SimpleNamespace

import redis.asyncio as aioredis
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram_dialog.context.storage import StorageProxy

from bots.context import TenantContext
from bots.dialogs.draft import BookingDraft
from bots.dialogs.states import BookingSG
from bots.factory import BotOptions
from bots.factory import build_dispatcher as build_tenant_dispatcher
from core.crypto import TokenCipher
from core.settings import Settings
from sales.app import build_dispatcher as build_sales_dispatcher
from sandbox.localservers import LocalRedis

TENANTS = 10
BOT_ID = 7_000_000_001


def _mb(n: int) -> str:
    return f"{n / 2**20:.2f} MB"


async def _used(redis: aioredis.Redis) -> tuple[int, int]:
    info = await redis.info("memory")
    return int(info["used_memory"]), int(await redis.dbsize())


def _sales_storage(redis: aioredis.Redis, settings: Settings):
    kwargs = {}
    # the Sales service passes its FSM TTL where the code has one (this branch); main has none
    if "fsm_ttl" in inspect.signature(build_sales_dispatcher).parameters:
        kwargs["fsm_ttl"] = settings.fsm_ttl
    return build_sales_dispatcher(redis=redis, purchase_service=None, **kwargs).storage


async def _customer(storage, user_id: int) -> None:
    proxy = StorageProxy(
        storage=storage,
        events_isolation=SimpleEventIsolation(),
        user_id=user_id,
        chat_id=user_id,
        thread_id=None,
        business_connection_id=None,
        bot=SimpleNamespace(id=BOT_ID),
        state_groups={BookingSG.__full_group_name__: BookingSG},
    )
    stack = await proxy.load_stack()
    context = stack.push(BookingSG.service, None)
    stack.last_message_id = 1000 + user_id
    steps = [
        (BookingSG.staff, BookingDraft(service_id=3)),
        (BookingSG.time, BookingDraft(service_id=3, staff_id=2, day=20300305)),
        (
            BookingSG.phone,
            BookingDraft(
                service_id=3, staff_id=2, day=20300305, starts=47_338_200, name="Анна Петрова"
            ),
        ),
    ]
    for state, draft in steps:  # each step saves the context and the stack, as the dialog does
        context.state, context.dialog_data = state, {"draft": asdict(draft)}
        await proxy.save_context(context)
        await proxy.save_stack(stack)


async def _buyer(storage, cipher: TokenCipher, user_id: int) -> None:
    key = StorageKey(bot_id=BOT_ID + 1, chat_id=user_id, user_id=user_id)
    token = f"{7_100_000_000 + user_id}:AAbenchToken_{user_id:08d}_abcdefghijklmn"
    await storage.set_state(key, "Purchase:token")
    await storage.set_data(key, {"tariff_id": 1})
    await storage.set_data(
        key,
        {
            "tariff_id": 1,
            "bot_id": 7_100_000_000 + user_id,
            "username": f"salon_{user_id}_bot",
            "token_encrypted": cipher.encrypt(token),
            "fingerprint": cipher.fingerprint(token),
            "company": "Салон красоты «Бенчмарк»",
        },
    )
    await storage.set_state(key, "Purchase:owner")


async def run(conversations: int, sales_share: float, ttl: int) -> None:
    os.environ["FSM_TTL"] = str(ttl)
    settings = Settings(_env_file=None)
    cipher = TokenCipher(TokenCipher.generate_key())
    server = LocalRedis().start()
    redis = aioredis.Redis(
        host=server.host, port=server.port, password=server.password, decode_responses=True
    )
    try:
        baseline, _ = await _used(redis)
        buyers = int(conversations * sales_share)
        customers = conversations - buyers
        options = BotOptions.from_settings(settings)
        tenants = [
            build_tenant_dispatcher(
                TenantContext(f"client_{n:03d}", "Салон", 1), redis=redis, db=None, options=options
            ).storage
            for n in range(1, TENANTS + 1)
        ]
        sales = _sales_storage(redis, settings)
        started = time.monotonic()
        for i in range(0, conversations, 50):  # 50 users at a time
            await asyncio.gather(
                *(
                    _customer(tenants[n % TENANTS], 100_000 + n)
                    if n < customers
                    else _buyer(sales, cipher, 500_000 + n)
                    for n in range(i, min(i + 50, conversations))
                )
            )
        after, keys_after = await _used(redis)
        expiring = 0
        async for key in redis.scan_iter(count=1000):
            expiring += await redis.ttl(key) > 0
        print(
            f"Redis memory after {conversations:,} abandoned conversations "
            f"({customers:,} customers of {TENANTS} tenant bots, {buyers:,} Sales buyers)"
        )
        print(f"  empty Redis:               {_mb(baseline)}")
        print(
            f"  right after:               {_mb(after)} "
            f"({keys_after:,} keys, {expiring:,} with a TTL; written in "
            f"{time.monotonic() - started:.1f} s)"
        )
        # wait until FSM_TTL has passed and Redis's active expiry has settled
        deadline = time.monotonic() + ttl + 30
        await asyncio.sleep(ttl + 1)
        previous = -1
        while time.monotonic() < deadline:
            _, n = await _used(redis)
            if n == 0 or n == previous:
                break
            previous = n
            await asyncio.sleep(2)
        later, keys_later = await _used(redis)
        print(f"  once FSM_TTL={ttl} s passed: {_mb(later)} ({keys_later:,} keys left)")
    finally:
        await redis.aclose()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--sales-share", type=float, default=0.2)
    parser.add_argument("--ttl", type=int, default=60, help="FSM_TTL for this run (s, ≥ 60)")
    args = parser.parse_args()
    asyncio.run(run(args.conversations, args.sales_share, args.ttl))


if __name__ == "__main__":
    main()
