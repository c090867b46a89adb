"""Order bookkeeping on a real PostgreSQL: one confirmation per payment, one claim per order,
client ids that skip taken numbers, tariffs seeded."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from uuid import UUID

import pytest
from loguru import logger

from core.crypto import TokenCipher
from core.status import AlertKind, OrderKind, OrderStatus
from sales import repository as repo
from sales.orders import OrderProcessor, PaymentMismatch, PaymentOutcome, UnknownPayment
from sales.payments import IpAllowlist, PaymentInfo, PaymentStatus, ReceivedVia
from tests.fakes import RecordingNotifier


def processor(db, notifier) -> OrderProcessor:
    proc = OrderProcessor(
        db=db,
        cipher=TokenCipher(TokenCipher.generate_key()),
        gateway=None,
        manager=None,
        notifier=notifier,
        allowlist=IpAllowlist("127.0.0.1/32"),
        log=logger,
    )
    proc.schedule = lambda order_id: None  # activation is not under test here
    return proc


async def new_order(db, payment_id: str) -> repo.Order:
    async with db.acquire() as conn:
        tariff = (await repo.list_tariffs(conn))[0]
        order = await repo.insert_order(
            conn,
            kind=OrderKind.NEW,
            buyer_telegram_id=42,
            tariff_id=tariff.id,
            days=tariff.days,
            amount=tariff.price,
            currency=tariff.currency,
            company_name="Салон",
            admin_telegram_id=42,
            token_encrypted="x",
            token_fingerprint="fp",
            status=OrderStatus.NEW,
        )
        await repo.set_payment_created(conn, order.id, payment_id, "https://pay")
        return order


def paid(order: repo.Order, payment_id: str, **changes) -> PaymentInfo:
    values = dict(
        id=payment_id,
        status=PaymentStatus.SUCCEEDED,
        paid=True,
        amount=order.amount,
        currency=order.currency,
        metadata={"order_id": str(order.id)},
        confirmation_url=None,
    )
    values.update(changes)
    return PaymentInfo(**values)


async def test_tariffs_are_seeded_data(db):
    async with db.acquire() as conn:
        tariffs = await repo.list_tariffs(conn)
    assert [(t.days, t.price, t.currency) for t in tariffs] == [
        (30, Decimal("990.00"), "RUB"),
        (90, Decimal("2490.00"), "RUB"),
        (365, Decimal("8990.00"), "RUB"),
    ]


async def test_ten_concurrent_confirmations_record_one_payment(db):
    notifier = RecordingNotifier()
    proc = processor(db, notifier)
    order = await new_order(db, "pay-1")
    results = await asyncio.gather(
        *(proc.confirm(paid(order, "pay-1"), via=ReceivedVia.WEBHOOK) for _ in range(10))
    )
    assert sorted(r.outcome for r in results) == [PaymentOutcome.DUPLICATE] * 9 + [
        PaymentOutcome.PAID
    ]
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM platform.payments") == 1
        assert await conn.fetchval("SELECT count(*) FROM platform.subscriptions") == 1
        stored = await repo.get_order(conn, order.id)
    assert (stored.status, stored.client_id) == (OrderStatus.PAID, "client_001")
    assert [n[0] for n in notifier.sent] == ["payment_received"]


async def test_wrong_amount_currency_or_order_is_rejected(db):
    proc = processor(db, RecordingNotifier())
    order = await new_order(db, "pay-2")
    for info in (
        paid(order, "pay-2", amount=Decimal("1.00")),
        paid(order, "pay-2", currency="USD"),
        paid(order, "pay-2", metadata={"order_id": str(UUID(int=1))}),
    ):
        with pytest.raises(PaymentMismatch):
            await proc.confirm(info, via=ReceivedVia.WEBHOOK)
    with pytest.raises(UnknownPayment):
        await proc.confirm(paid(order, "pay-unknown", metadata={}), via=ReceivedVia.WEBHOOK)
    async with db.acquire() as conn:
        assert (await repo.get_order(conn, order.id)).status == OrderStatus.PENDING
        assert await conn.fetchval("SELECT count(*) FROM platform.payments") == 0
        kinds = [r["kind"] for r in await conn.fetch("SELECT kind FROM platform.alerts")]
    assert kinds == [AlertKind.PAYMENT_MISMATCH] * 3


async def test_a_payment_made_while_our_call_timed_out_is_matched_by_metadata(db):
    proc = processor(db, RecordingNotifier())
    async with db.acquire() as conn:
        tariff = (await repo.list_tariffs(conn))[0]
        order = await repo.insert_order(
            conn,
            kind=OrderKind.NEW,
            buyer_telegram_id=7,
            tariff_id=tariff.id,
            days=30,
            amount=tariff.price,
            currency="RUB",
            company_name="С",
            admin_telegram_id=7,
            status=OrderStatus.NEW,
        )
    result = await proc.confirm(paid(order, "late-pay"), via=ReceivedVia.POLLER)
    assert result.outcome == PaymentOutcome.PAID
    async with db.acquire() as conn:
        assert (await repo.get_order(conn, order.id)).payment_id == "late-pay"


async def test_one_claim_per_order_and_client_ids_skip_taken_numbers(db):
    order = await new_order(db, "pay-3")
    async with db.acquire() as conn:
        await conn.execute("UPDATE platform.orders SET status = 'paid' WHERE id = $1", order.id)
        await conn.execute(
            "INSERT INTO platform.tenants (client_id, company_name, admin_telegram_id)"
            " VALUES ('client_001', 'made by the CLI', 1), ('client_002', 'too', 1)"
        )

    async def claim():
        async with db.acquire() as conn:
            return await repo.claim_order(conn, order.id, 60)

    claims = await asyncio.gather(*(claim() for _ in range(8)))
    assert sum(c is not None for c in claims) == 1
    async with db.acquire() as conn:
        assert await repo.allocate_client_id(conn) == "client_003"
        # an expired lease can be claimed again (an interrupted activation resumes)
        await conn.execute(
            "UPDATE platform.orders SET lease_until = now() - interval '1 s' WHERE id = $1",
            order.id,
        )
        assert await repo.claim_order(conn, order.id, 60) is not None
        assert await repo.claim_order(conn, order.id, 60) is None


async def test_a_cancelled_payment_cancels_its_order_once(db):
    notifier = RecordingNotifier()
    proc = processor(db, notifier)
    order = await new_order(db, "pay-4")
    cancelled = paid(order, "pay-4", status=PaymentStatus.CANCELED, paid=False)
    assert (
        await proc.apply(cancelled, via=ReceivedVia.WEBHOOK)
    ).outcome == PaymentOutcome.CANCELLED
    assert (await proc.apply(cancelled, via=ReceivedVia.POLLER)).outcome == PaymentOutcome.DUPLICATE
    # a late "succeeded" for a cancelled order changes nothing
    assert (
        await proc.confirm(paid(order, "pay-4"), via=ReceivedVia.WEBHOOK)
    ).outcome == PaymentOutcome.DUPLICATE
    async with db.acquire() as conn:
        assert (await repo.get_order(conn, order.id)).status == OrderStatus.CANCELLED
        assert await conn.fetchval("SELECT count(*) FROM platform.payments") == 0
    assert [n[0] for n in notifier.sent] == ["payment_cancelled"]
