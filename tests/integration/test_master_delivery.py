"""Alerts the Master owes are delivered: one that no admin could receive is kept and retried
(with a bound), and its "cleared" is sent only if the alert itself was delivered. Real PostgreSQL
and Redis."""

from __future__ import annotations

from master.alerts import AlertMonitor

FULL = {
    "total": 2,
    "busy": 2,
    "free": 0,
    "stale": 0,
    "slots": [
        {"container_id": f"booking-bot-pool-{n}", "stale": False, "client_id": None} for n in (1, 2)
    ],
}
CALM = {**FULL, "busy": 0, "free": 2}


class Admins:
    """The operators' chat: unreachable ("chat not found") until `reachable` is set."""

    def __init__(self) -> None:
        self.reachable = False
        self.received: list[str] = []
        self.tries = 0

    async def deliver(self, text: str) -> str | None:
        self.tries += 1
        if not self.reachable:
            return "1: Bad Request: chat not found"
        self.received.append(text)
        return None


def monitor(db, redis_client, admins: Admins, attempts: int = 5) -> AlertMonitor:
    return AlertMonitor(
        redis_client, None, db, admins.deliver, threshold=0.8, max_attempts=attempts
    )


async def test_an_undelivered_alert_is_kept_and_retried_then_its_clearing_is_sent(db, redis_client):
    admins = Admins()
    alerts = monitor(db, redis_client, admins)
    assert await alerts.check(FULL) == []
    assert await alerts.check(FULL) == []
    admins.reachable = True  # the operator pressed /start
    sent = await alerts.check(FULL)
    assert len(sent) == 1 and sent[0].startswith("⚠️ Пул заполнен на 100 %")
    assert await alerts.check(FULL) == []  # once
    cleared = await alerts.check(CALM)
    assert cleared == [f"✅ Снято: {sent[0]}"]
    async with db.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT attempts, last_error FROM platform.alerts ORDER BY id LIMIT 1"
        )
    assert row["attempts"] == 2 and "chat not found" in row["last_error"]


async def test_no_cleared_for_an_alert_nobody_received_and_retries_are_bounded(db, redis_client):
    admins = Admins()
    alerts = monitor(db, redis_client, admins, attempts=3)
    await alerts.check(FULL)
    await alerts.check(CALM)  # cleared before anyone saw it
    admins.reachable = True
    assert await alerts.check(CALM) == []
    assert admins.received == []
    # an event nobody can receive is tried max_attempts times, then dropped
    admins.reachable = False
    admins.tries = 0
    await alerts.enqueue("❌ Активация client_001 в booking-bot-pool-1 не удалась: boom")
    for _ in range(5):
        await alerts.check(CALM)
    assert admins.tries == 3
    async with db.acquire() as conn:
        given_up = await conn.fetchval(
            "SELECT count(*) FROM platform.alerts WHERE given_up_at IS NOT NULL"
        )
    assert given_up == 2
