"""Integrity of the business (issue 10): nobody runs a bot they have not paid for.

Real pool workers, the Sales service, the Telegram and YooKassa stand-ins, PostgreSQL, Redis.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from bots.clock import write_clock_file
from sales import texts
from sandbox.buyer import payment_id_of
from sandbox.harness import REPO, wait_until
from tests.e2e.conftest import new_token

pytestmark = pytest.mark.e2e


async def value(stand, sql: str, *args):
    rows = await stand.fetch(sql, *args)
    return rows[0][0] if rows else None


async def buy(stand, sales, company: str):
    """A buyer who paid and whose bot runs; returns (buyer, payment id, bot username)."""
    token, username = new_token()
    await stand.tg.register_bot(token, username)
    buyer = sales.buyer(stand.tg)
    payment_id = await buyer.order(token, company)
    await sales.yk.succeed(payment_id)
    await buyer.expect("🎉 ВАШ БОТ ГОТОВ!", timeout=30)
    return buyer, payment_id, username


async def suspend(stand, client_id: str) -> None:
    """What the Master's «Приостановить» records (the release is left to the rule)."""
    await stand.fetch(
        "UPDATE platform.tenants SET suspended_at = now(), suspended_reason = 'test'"
        " WHERE client_id = $1",
        client_id,
    )


async def open_slot(stand, client_id: str):
    return await value(
        stand,
        "SELECT slot FROM platform.slot_assignments WHERE client_id = $1 AND released_at IS NULL",
        client_id,
    )


async def order_status(stand, order_id) -> str:
    return await value(stand, "SELECT status FROM platform.orders WHERE id = $1", order_id)


async def wait_order(stand, order_id, status: str, timeout: float = 30) -> None:
    async def reached():
        return await order_status(stand, order_id) == status

    await wait_until(reached, timeout=timeout, interval=0.1, what=f"order {status}")


async def test_a_suspended_tenant_gets_no_bot_from_a_new_token(stand, sales):
    stand.start_worker(1)
    stand.start_worker(2)
    await stand.wait_status(1, "waiting")
    await stand.wait_status(2, "waiting")
    buyer, _, _ = await buy(stand, sales, "Салон Анны")
    await stand.wait_status(1, "active", client_id="client_001")

    # The operator suspends (the Master records it and releases the slot).
    await suspend(stand, "client_001")
    await stand.manager.release_bot("booking-bot-pool-1", reason="suspended by operator")
    assert await open_slot(stand, "client_001") is None

    # The buyer tries «Заменить токен»: refused, told why, nothing runs.
    token2, username2 = new_token()
    await stand.tg.register_bot(token2, username2)
    await buyer.mybots()
    await buyer.send_new_token(token2)
    told = await buyer.expect("приостановлен")
    assert told["text"] == texts.BOT_SUSPENDED
    assert (
        await value(stand, "SELECT count(*) FROM platform.orders WHERE kind = 'replace_token'") == 0
    )

    # A replace order made before the suspension (the hole on main): held, not run.
    order_id = await value(
        stand,
        "INSERT INTO platform.orders (kind, buyer_telegram_id, client_id, token_encrypted,"
        " token_fingerprint, bot_username, status, paid_at)"
        " VALUES ('replace_token', $1, 'client_001', $2, $3, $4, 'paid', now()) RETURNING id",
        buyer.user_id,
        stand.cipher.encrypt(token2),
        stand.cipher.fingerprint(token2),
        username2,
    )
    await wait_order(stand, order_id, "held")
    await buyer.expect("приостановлен оператором")
    assert await open_slot(stand, "client_001") is None
    kinds = [r["kind"] for r in await stand.fetch("SELECT kind FROM platform.alerts")]
    assert kinds == ["order_held"]

    # Any path straight to a worker: PostgreSQL refuses the assignment.
    activation = await stand.manager.activate_bot(
        "booking-bot-pool-2", token2, 777, "client_001", "Салон Анны"
    )
    result = await stand.manager.wait_for_activation("booking-bot-pool-2", activation, 30)
    assert (result.ok, result.code) == (False, "not_allowed")
    assert "suspended" in result.error
    await stand.wait_status(2, "waiting")
    assert await open_slot(stand, "client_001") is None


async def test_the_reconciliation_pass_stops_a_running_tenant_that_may_not_run(stand, sales):
    stand.start_worker(1)
    await stand.wait_status(1, "waiting")
    await buy(stand, sales, "Салон Анны")
    await stand.wait_status(1, "active", client_id="client_001")
    assert (await sales.service.reconciler.run())["released"] == 0

    # Suspended behind everyone's back (no release sent): the next pass stops it.
    await suspend(stand, "client_001")
    assert (await sales.service.reconciler.run())["released"] == 1
    await stand.wait_status(1, "waiting")
    assert await open_slot(stand, "client_001") is None
    kinds = [r["kind"] for r in await stand.fetch("SELECT kind FROM platform.alerts")]
    assert kinds == ["tenant_released"]
    assert (await sales.service.reconciler.run())["released"] == 0


async def test_a_renewal_paid_by_a_suspended_tenant_keeps_it_suspended(stand, sales):
    stand.start_worker(1)
    await stand.wait_status(1, "waiting")
    buyer, _, username = await buy(stand, sales, "Барбершоп")
    ends = await value(stand, "SELECT ends_at FROM platform.subscriptions")

    # A renewal started before the operator suspends the tenant, paid after.
    await buyer.mybots()
    await buyer.click("Продлить")
    await buyer.expect("Выберите срок")
    await buyer.click("3 месяца")
    renewal = payment_id_of(await buyer.expect("Заказ №"))
    await suspend(stand, "client_001")
    await stand.manager.release_bot("booking-bot-pool-1", reason="suspended by operator")
    await sales.yk.succeed(renewal)
    held = await buyer.expect("приостановлен оператором", timeout=30)
    assert f"@{username}" in held["text"]
    order_id = await value(stand, "SELECT id FROM platform.orders WHERE payment_id = $1", renewal)
    assert await order_status(stand, order_id) == "held"
    assert await open_slot(stand, "client_001") is None
    assert await value(stand, "SELECT suspended_at IS NOT NULL FROM platform.tenants")
    new_end = await value(stand, "SELECT ends_at FROM platform.subscriptions")
    assert new_end - ends == timedelta(days=90)  # the paid days are kept
    assert "order_held" in [
        r["kind"] for r in await stand.fetch("SELECT kind FROM platform.alerts")
    ]

    # While suspended, «Продлить» is refused before any payment.
    await buyer.mybots()
    await buyer.click("Продлить")
    await buyer.expect("Выберите срок")
    await buyer.click("1 месяц")
    await buyer.expect("Продление и замена токена недоступны")

    # The operator resumes: the held order starts the bot again.
    await stand.fetch("UPDATE platform.tenants SET suspended_at = NULL")
    assert (await sales.service.reconciler.run())["unheld"] == 1
    await buyer.expect("🎉 ВАШ БОТ ГОТОВ!", timeout=30)
    await stand.wait_status(1, "active", client_id="client_001")


async def test_a_replace_order_of_an_ended_subscription_never_runs(stand, sales):
    stand.start_worker(1)
    await stand.wait_status(1, "waiting")
    buyer, _, _ = await buy(stand, sales, "Студия")
    token2, username2 = new_token()
    await stand.tg.register_bot(token2, username2)
    orders = {}
    for status in ("queued", "needs_token"):  # left waiting: no free slot, a rejected token
        orders[status] = await value(
            stand,
            "INSERT INTO platform.orders (kind, buyer_telegram_id, client_id, token_encrypted,"
            " token_fingerprint, bot_username, status, paid_at, queued_at)"
            " VALUES ('replace_token', $1, 'client_001', $2, $3, $4, $5, now(), now())"
            " RETURNING id",
            buyer.user_id,
            stand.cipher.encrypt(token2),
            stand.cipher.fingerprint(token2),
            username2,
            status,
        )

    # The subscription runs out and the lifecycle frees the slot.
    ends = await value(stand, "SELECT ends_at FROM platform.subscriptions")
    lifecycle = sales.service.lifecycle
    assert (await lifecycle.tick(ends + timedelta(minutes=1)))["grace"] == 1
    assert (await lifecycle.tick(ends + timedelta(days=3, minutes=1)))["released"] == 1
    await buyer.expect("остановлен")
    await stand.wait_status(1, "waiting")

    # The queued replacement does not take the freed slot: it expires, the buyer is told.
    await wait_order(stand, orders["queued"], "expired")
    await buyer.expect("подписка бота закончилась")
    # The one waiting for a token is expired by the reconciliation pass.
    assert (await sales.service.reconciler.run())["expired"] == 1
    assert await order_status(stand, orders["needs_token"]) == "expired"
    assert await open_slot(stand, "client_001") is None
    events = await stand.fetch(
        "SELECT event FROM platform.activation_history WHERE client_id = 'client_001' ORDER BY id"
    )
    assert [e["event"] for e in events] == ["activated", "released"]
    assert (await stand.slot(1))["status"] == "waiting"


async def test_a_full_refund_releases_the_bot_once_even_when_replayed(stand, sales):
    stand.start_worker(1)
    await stand.wait_status(1, "waiting")
    buyer, payment_id, username = await buy(stand, sales, "Салон Веры")
    ends = await value(stand, "SELECT ends_at FROM platform.subscriptions")

    # Half refunded: half of the 30 days are taken off, the bot keeps running.
    refund = await sales.yk.refund(payment_id, "495.00")
    told = await buyer.expect("Возврат", timeout=30)
    assert "495.00 RUB" in told["text"] and f"@{username}" in told["text"]
    assert ends - await value(stand, "SELECT ends_at FROM platform.subscriptions") == timedelta(
        days=15
    )
    assert (await stand.slot(1))["status"] == "active"
    assert await sales.yk.notify_refund(refund["id"], times=3) == [200] * 3

    # The rest refunded, the notification delivered three times: released once, data kept.
    await sales.yk.refund(payment_id, times=3)
    told = await buyer.expect("бот остановлен", timeout=30)
    assert "Данные сохранены до" in told["text"]
    await stand.wait_status(1, "waiting")
    sub = (await stand.fetch("SELECT status, archive_until FROM platform.subscriptions"))[0]
    assert sub["status"] == "released" and sub["archive_until"] > datetime.now(UTC)
    assert await value(stand, "SELECT count(*) FROM platform.refunds") == 2
    events = await stand.fetch("SELECT event, detail FROM platform.activation_history ORDER BY id")
    assert [(e["event"], e["detail"]) for e in events] == [
        ("activated", None),
        ("released", "refunded"),
    ]
    alerts = [r["kind"] for r in await stand.fetch("SELECT kind FROM platform.alerts")]
    assert alerts == ["refund", "refund"]
    assert await value(stand, "SELECT count(*) FROM client_001.bot_users") is not None  # kept

    # The reconciliation pass finds nothing left to do.
    assert (await sales.service.reconciler.run())["released"] == 0


async def test_unpaid_orders_expire_and_a_late_payment_is_still_honoured(stand, sales):
    stand.start_worker(1)
    await stand.wait_status(1, "waiting")
    token, username = new_token()
    await stand.tg.register_bot(token, username)
    buyer = sales.buyer(stand.tg)
    payment_id = await buyer.order(token, "Салон")
    order_id = await value(
        stand, "SELECT id FROM platform.orders WHERE payment_id = $1", payment_id
    )
    assert (await sales.service.reconciler.run())["unpaid_expired"] == 0
    await stand.fetch(
        "UPDATE platform.orders SET created_at = now() - interval '25 hours' WHERE id = $1",
        order_id,
    )
    assert (await sales.service.reconciler.run())["unpaid_expired"] == 1
    assert await order_status(stand, order_id) == "expired"
    await buyer.expect("не был оплачен за 24 ч")

    # The buyer had the payment page open and pays after all: the money is not lost.
    await sales.yk.succeed(payment_id)
    await buyer.expect("🎉 ВАШ БОТ ГОТОВ!", timeout=30)


async def test_order_limits_refuse_the_fourth_unpaid_and_the_eleventh_in_a_minute(stand, sales):
    token, username = new_token()
    await stand.tg.register_bot(token, username)

    # At most 3 orders waiting for payment per buyer.
    hoarder = sales.buyer(stand.tg)
    for _ in range(3):
        await hoarder.order(token, "Салон")
    await hoarder.until_summary(token, "Салон")
    await hoarder.click("Перейти к оплате")
    await hoarder.expect("неоплаченных заказа")
    assert await value(stand, "SELECT count(*) FROM platform.orders") == 3

    # At most 10 summaries a minute, even when each payment is cancelled at once.
    busy = sales.buyer(stand.tg)
    for _ in range(10):
        await sales.yk.cancel(await busy.order(token, "Салон"))
    await busy.until_summary(token, "Салон")
    await busy.click("Перейти к оплате")
    refused = await busy.expect("Слишком много заказов")
    assert refused["text"] == texts.TOO_MANY_ORDERS
    assert await value(stand, "SELECT count(*) FROM platform.orders") == 13
    assert len(await sales.yk.payments()) == 13


async def test_booking_pool_activate_grants_a_period_and_refuses_a_suspended_tenant(stand):
    stand.start_worker(1)
    await stand.wait_status(1, "waiting")
    token, username = new_token()
    await stand.tg.register_bot(token, username)
    env = {**os.environ, **stand.env}
    activate = [
        sys.executable, "-m", "pool.cli", "activate", "--slot", "1", "--token", "-",
        "--admin", "777", "--client", "client_005", "--company", "Салон Анны", "--days", "7",
    ]  # fmt: skip

    def run(args):
        return subprocess.run(
            args, input=f"{token}\n", env=env, cwd=REPO, capture_output=True, text=True, timeout=60
        )

    done = await asyncio.to_thread(run, activate)
    assert done.returncode == 0, done.stderr
    assert "operator grant: client_005 may run until" in done.stdout
    left = await value(
        stand,
        "SELECT granted_until - now() FROM platform.operator_grants WHERE client_id = $1",
        "client_005",
    )
    assert timedelta(days=6, hours=23) < left <= timedelta(days=7)
    await stand.wait_status(1, "active", client_id="client_005")

    release = [sys.executable, "-m", "pool.cli", "release", "--slot", "1"]
    assert (await asyncio.to_thread(run, release)).returncode == 0
    await suspend(stand, "client_005")
    refused = await asyncio.to_thread(run, activate)
    assert refused.returncode == 1
    assert "client_005 is suspended" in refused.stderr and token not in refused.stderr
    assert (await stand.slot(1))["status"] == "waiting"


async def test_a_flooding_user_is_slowed_down_and_other_buyers_are_not(stand):
    from tests.e2e.sales_stand import start_sales

    sales, yk_server = await start_sales(
        stand, SALES_RATELIMIT_MAX_EVENTS="5", SALES_RATELIMIT_WINDOW="60"
    )
    try:
        flooder, other = sales.buyer(stand.tg), sales.buyer(stand.tg)
        for n in range(8):
            await flooder.say(f"сообщение {n}")
        calm = await flooder.expect("Слишком много сообщений подряд")
        assert calm["text"] == texts.SLOW_DOWN

        async def answered():
            replies = [m["text"] for m in await flooder.transcript() if m["from"] == "bot"]
            return replies.count(texts.UNKNOWN) == 5 and replies.count(texts.SLOW_DOWN) == 1

        await wait_until(answered, timeout=20, interval=0.1, what="5 answers and one notice")
        await other.say("/start")
        await other.expect("Тарифы")
    finally:
        await sales.service.stop()
        await sales.yk.close()
        await yk_server.close()


async def test_the_subscription_checks_take_now_from_the_clock_file(stand, tmp_path):
    """`make demo-keep` moves time with `BOOKING_CLOCK_FILE` (`play clock +28d`): Sales' own
    checks read it too, not only the tenant bots."""
    from tests.e2e.sales_stand import start_sales

    clock = tmp_path / "clock"
    sales, yk_server = await start_sales(stand, BOOKING_CLOCK_FILE=str(clock))
    try:
        stand.start_worker(1)
        await stand.wait_status(1, "waiting")
        buyer, _, _ = await buy(stand, sales, "Салон Часов")
        ends = await value(stand, "SELECT ends_at FROM platform.subscriptions")
        assert (await sales.service.lifecycle.tick())["grace"] == 0  # no file: the real time
        write_clock_file(clock, ends + timedelta(minutes=1))
        assert (await sales.service.lifecycle.tick())["grace"] == 1
        await buyer.expect("Подписка на бота")
    finally:
        await sales.service.stop()
        await sales.yk.close()
        await yk_server.close()


async def test_a_restarted_worker_does_not_resume_a_tenant_suspended_while_it_was_down(stand):
    token, username = new_token()
    await stand.tg.register_bot(token, username)
    worker = stand.start_worker(1)
    await stand.wait_status(1, "waiting")
    await stand.grant("client_001")
    activation = await stand.manager.activate_bot(
        "booking-bot-pool-1", token, 777, "client_001", "Салон Анны"
    )
    assert (await stand.manager.wait_for_activation("booking-bot-pool-1", activation, 30)).ok

    worker.kill9()
    await suspend(stand, "client_001")
    worker = stand.start_worker(1)

    async def registered_again():
        slot = await stand.slot(1)
        return slot is not None and slot["pid"] == worker.pid and slot["status"] == "waiting"

    await wait_until(registered_again, timeout=60, interval=0.2, what="worker back, waiting")
    assert await open_slot(stand, "client_001") is None
    reason = await value(
        stand, "SELECT release_reason FROM platform.slot_assignments WHERE client_id = 'client_001'"
    )
    assert reason == "may not run: suspended"
    assert "not resuming client_001: may not run (suspended)" in worker.log()
