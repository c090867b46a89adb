"""/metrics keeps activation counters instead of scanning `activation_history` on each scrape:
the counts start from the retained history, grow with new rows, count a row that becomes
visible late, and do not fall when old history is pruned."""

from __future__ import annotations

import asyncpg

from core.migrations import migrate_platform
from master.metrics import ActivationCounters


async def test_activation_counters_grow_and_survive_pruning(pg_dsn):
    conn = await asyncpg.connect(pg_dsn)
    try:
        await migrate_platform(conn)
        await conn.execute(
            """
            INSERT INTO platform.activation_history (slot, event, duration_ms, created_at) VALUES
                ('booking-bot-pool-1', 'activated', 40, now() - interval '300 days'),
                ('booking-bot-pool-1', 'failed', NULL, now() - interval '300 days'),
                ('booking-bot-pool-1', 'activated', 700, now() - interval '1 minute')
            """
        )
        counters = ActivationCounters()
        await counters.refresh(conn)
        assert counters.events["activated"] == 2 and counters.events["failed"] == 1
        assert counters.buckets[50] == 1 and counters.buckets[1000] == 2
        assert counters.total_ms == 740
        await counters.refresh(conn)  # nothing new: nothing counted twice
        assert counters.events["activated"] == 2
        # history pruned by age; a new activation; a row whose transaction began earlier
        await conn.execute(
            "DELETE FROM platform.activation_history WHERE created_at < now() - interval '1 day'"
        )
        await conn.execute(
            """
            INSERT INTO platform.activation_history (slot, event, duration_ms, created_at) VALUES
                ('booking-bot-pool-2', 'activated', 90, now()),
                ('booking-bot-pool-3', 'rejected', NULL, now() - interval '5 minutes')
            """
        )
        await counters.refresh(conn)
        assert counters.events["activated"] == 3 and counters.events["failed"] == 1
        assert counters.events["rejected"] == 1 and counters.n == 3
    finally:
        await conn.close()


async def test_payment_counters_do_not_fall_when_alerts_are_pruned(pg_dsn):
    from master.metrics import PaymentCounters

    conn = await asyncpg.connect(pg_dsn)
    try:
        await migrate_platform(conn)
        await conn.execute(
            """
            INSERT INTO platform.alerts (kind, detail, created_at, delivered_at) VALUES
                ('payment_rejected', 'x', now() - interval '100 days', now()),
                ('payment_mismatch', 'y', now(), now()),
                ('slot_stale', 'z', now(), now());
            INSERT INTO platform.orders (id, kind, buyer_telegram_id, status)
                VALUES ('00000000-0000-0000-0000-000000000001', 'new', 1, 'active');
            INSERT INTO platform.payments (payment_id, order_id, amount, currency, status,
                                           received_via)
                VALUES ('p1', '00000000-0000-0000-0000-000000000001', 990, 'RUB', 'succeeded',
                        'webhook');
            """
        )
        counters = PaymentCounters()
        await counters.refresh(conn)
        assert counters.counts == {"succeeded": 1, "rejected": 2}
        await conn.execute(
            "DELETE FROM platform.alerts WHERE created_at < now() - interval '90 days'"
        )
        await counters.refresh(conn)
        assert counters.counts == {"succeeded": 1, "rejected": 2}
    finally:
        await conn.close()
