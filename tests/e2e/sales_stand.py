"""The Sales service in the test's event loop, with the YooKassa stand-in, on top of `stand`:
polling the HTTP Telegram sandbox (e2e), or fed by the in-process one when `stand.tg` is an
`InProcessTelegram` (tests/integration/test_sales_flow.py)."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass

from loguru import logger

from core.settings import Settings
from sales.app import SalesService
from sandbox.buyer import SalesBuyer
from sandbox.telegram.inprocess import InProcessTelegram
from sandbox.yookassa.app import YooKassaServer, YooKassaState
from sandbox.yookassa.client import SandboxYooKassa

SALES_TOKEN = "7999000001:AAsalesBotTokenForTests_abcdefghijkl"
SALES_BOT = "botpool_sales_bot"
SHOP_ID = "100500"
SECRET = "test_secret_Yk_0123456789"
_buyers = itertools.count(6100001)


def sales_env(stand_env: dict[str, str], yookassa_url: str, **overrides: str) -> dict[str, str]:
    return {
        **stand_env,
        "BOT_TOKEN_SALES": SALES_TOKEN,
        "YOOKASSA_SHOP_ID": SHOP_ID,
        "YOOKASSA_SECRET_KEY": SECRET,
        "YOOKASSA_API_URL": f"{yookassa_url}/v3",
        "YOOKASSA_TIMEOUT": "3",
        "YOOKASSA_TRUSTED_NETWORKS": "127.0.0.1/32",
        "SALES_WEBHOOK_PORT": "0",
        "PAYMENT_POLL_INTERVAL": "600",
        "ORDER_SWEEP_INTERVAL": "0.5",
        "SUBSCRIPTION_CHECK_INTERVAL": "600",
        "ACTIVATION_TIMEOUT": "20",
        # simulated buyers type at machine speed: a higher per-user update limit than a human's
        "SALES_RATELIMIT_MAX_EVENTS": "300",
        **overrides,
    }


@dataclass
class SalesStand:
    service: SalesService
    yk: SandboxYooKassa
    yk_state: YooKassaState
    webhook_url: str

    def buyer(self, tg) -> SalesBuyer:
        return SalesBuyer(tg, SALES_BOT, next(_buyers))


async def start_sales(stand, **overrides: str):
    yk_state = YooKassaState(SHOP_ID, SECRET)
    yk_server = YooKassaServer(yk_state)
    await yk_server.start()
    await stand.tg.register_bot(SALES_TOKEN, SALES_BOT, first_name="Bot Pool")
    env = sales_env(stand.env, yk_server.url, **overrides)
    settings = Settings(_env_file=None, **{k.lower(): v for k, v in env.items()})
    tg = stand.tg
    if isinstance(tg, InProcessTelegram):
        service = SalesService(
            settings,
            logger.bind(slot="sales"),
            bot_factory=lambda token, _api_base: tg.bot(token),
            poll=False,
        )
        await service.start()
        tg.attach(service.bot, service.dispatcher)
    else:
        service = SalesService(settings, logger.bind(slot="sales"))
        await service.start()
    webhook = f"http://127.0.0.1:{service.webhook_port}{settings.sales_webhook_path}"
    yk = SandboxYooKassa(yk_server.url)
    await yk.set_webhook(webhook)
    return SalesStand(service, yk, yk_state, webhook), yk_server


@contextlib.asynccontextmanager
async def running_sales(stand, **overrides: str) -> AsyncIterator[SalesStand]:
    """`start_sales`, stopped (service, YooKassa client and stand-in) at the end."""
    sales_stand, yk_server = await start_sales(stand, **overrides)
    try:
        yield sales_stand
    finally:
        await sales_stand.service.stop()
        await sales_stand.yk.close()
        await yk_server.close()
