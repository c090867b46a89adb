"""`python -m sales` and `python -m sandbox.yookassa` as processes: a whole purchase, a clean stop."""

from __future__ import annotations

import pytest

from sandbox.buyer import SalesBuyer
from sandbox.harness import SalesProcess, SandboxYooKassaProcess
from sandbox.yookassa.client import SandboxYooKassa
from tests.e2e.conftest import new_token
from tests.e2e.sales_stand import SALES_BOT, SALES_TOKEN, SECRET, SHOP_ID, sales_env

pytestmark = pytest.mark.e2e


async def test_sales_and_yookassa_sandbox_as_processes(stand, tmp_path):
    yk_proc = SandboxYooKassaProcess(
        tmp_path / "yookassa.log", {"YOOKASSA_SHOP_ID": SHOP_ID, "YOOKASSA_SECRET_KEY": SECRET}
    ).start()
    sales = None
    try:
        await stand.tg.register_bot(SALES_TOKEN, SALES_BOT)
        token, username = new_token()
        await stand.tg.register_bot(token, username)
        stand.start_worker(1)
        sales = SalesProcess(sales_env(stand.env, yk_proc.url), tmp_path / "sales.log").start()
        webhook = await sales.ready()
        async with SandboxYooKassa(yk_proc.url) as yk:
            await yk.set_webhook(webhook)
            buyer = SalesBuyer(stand.tg, SALES_BOT, 6200001)
            payment_id = await buyer.order(token, "Салон на Ленина")
            assert (await yk.succeed(payment_id))["delivered"] == [200]
            notice = await buyer.expect("🎉 ВАШ БОТ ГОТОВ!", timeout=30)
            assert f"@{username}" in notice["text"]
        assert "Салон на Ленина" in (await stand.tg.ask(username, 4244001, "/start"))["text"]
        assert sales.terminate() == 0
        log = sales.log()
        assert token not in log and SECRET not in log
        assert "payment" in log and "active" in log
    finally:
        if sales is not None and sales.proc.poll() is None:
            sales.proc.kill()
            sales.proc.wait()
        yk_proc.stop()
