"""Refunds on a real PostgreSQL: recorded once per refund id, days taken off in proportion, an
order that never ran is closed by a full refund and its subscription released."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.status import OrderStatus, RunRefusal, SubscriptionStatus
from sales import repository as repo
from sales.orders import RefundOutcome, UnknownPayment
from sales.payments import PaymentStatus, ReceivedVia, RefundInfo
from tests.fakes import RecordingNotifier
from tests.integration.test_sales_orders import new_order, paid, processor


def refund(refund_id: str, payment_id: str, amount: str) -> RefundInfo:
    return RefundInfo(refund_id, payment_id, PaymentStatus.SUCCEEDED, Decimal(amount), "RUB")


async def test_refunds_of_an_order_that_never_ran(db):
    notifier = RecordingNotifier()
    proc = processor(db, notifier)
    order = await new_order(db, "pay-r1")
    await proc.confirm(paid(order, "pay-r1"), via=ReceivedVia.WEBHOOK)

    assert await proc.apply_refund(refund("r-1", "pay-r1", "495.00")) == RefundOutcome.REFUNDED
    assert await proc.apply_refund(refund("r-1", "pay-r1", "495.00")) == RefundOutcome.DUPLICATE
    async with db.acquire() as conn:
        stored = await repo.get_order(conn, order.id)
        sub = await repo.get_subscription(conn, stored.client_id)
    assert (stored.status, stored.days, sub.status) == (
        OrderStatus.PAID,
        15,
        SubscriptionStatus.PENDING,
    )

    assert await proc.apply_refund(refund("r-2", "pay-r1", "495.00")) == RefundOutcome.RELEASED
    async with db.acquire() as conn:
        stored = await repo.get_order(conn, order.id)
        sub = await repo.get_subscription(conn, stored.client_id)
        alerts = await conn.fetchval("SELECT count(*) FROM platform.alerts WHERE kind = 'refund'")
        refusal = await repo.run_refusal(conn, stored.client_id)
    assert (stored.status, sub.status, refusal) == (
        OrderStatus.REFUNDED,
        SubscriptionStatus.RELEASED,
        RunRefusal.SUBSCRIPTION_ENDED,
    )
    assert sub.archive_until is not None and alerts == 2
    assert [n[0] for n in notifier.sent] == ["payment_received", "refunded", "refunded"]


async def test_a_refund_of_an_unknown_payment_is_not_acknowledged(db):
    proc = processor(db, RecordingNotifier())
    with pytest.raises(UnknownPayment):
        await proc.apply_refund(refund("r-9", "nobody", "1.00"))
