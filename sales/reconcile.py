"""The reconciliation pass: what PostgreSQL says may run is what runs.

The database refuses to open an assignment for a tenant that may not run (005_may_run.sql);
this pass deals with what was already running when that changed, and with orders that can no
longer do anything useful. One pass (`run`), at most every `RECONCILE_INTERVAL` seconds:

1. releases every running tenant that fails the rule (suspended, subscription ended or refunded,
   operator grant over), whatever path started it;
2. expires renewal / replace-token orders still waiting (paid, queued, needs_token) for a
   tenant whose subscription has ended, and tells the buyer;
3. puts orders held for a suspended tenant back to `paid` once the operator resumes it;
4. expires orders left unpaid for `ORDER_UNPAID_HOURS`: the payment is asked for first, so one
   paid meanwhile is recorded instead (and a late payment of an expired order is still honoured).
"""

from __future__ import annotations

from core.status import AlertKind
from pool.manager import BotPoolManager, PoolError, SlotNotFound
from sales import repository as repo
from sales.orders import OrderProcessor
from sales.payments import GatewayRejected, GatewayUnavailable, PaymentStatus, ReceivedVia
from sales.ports import Notifier


class Reconciler:
    def __init__(
        self,
        *,
        db,
        manager: BotPoolManager,
        processor: OrderProcessor,
        notifier: Notifier,
        log,
        unpaid_hours: float = 24,
    ) -> None:
        self.db = db
        self.manager = manager
        self.processor = processor
        self.notifier = notifier
        self.log = log
        self.unpaid_hours = unpaid_hours

    async def run(self) -> dict[str, int]:
        done = {"released": 0, "expired": 0, "unheld": 0, "unpaid_expired": 0}
        done["released"] = await self._release_violations()
        async with self.db.acquire() as conn:
            expired = await repo.expire_dead_end_orders(conn)
            unheld = await repo.release_held_orders(conn)
        for order in expired:
            self.log.warning(
                "order {} of {} expired: its subscription ended", order.id, order.client_id
            )
            await self.notifier.order_expired(order.buyer_telegram_id, order.id, "ended")
        for order in unheld:
            self.log.info("order {} of resumed {} is no longer held", order.id, order.client_id)
            self.processor.schedule(order.id)
        done["expired"], done["unheld"] = len(expired), len(unheld)
        done["unpaid_expired"] = await self._expire_unpaid()
        if any(done.values()):
            self.log.info("reconciliation: {}", done)
        return done

    async def _release_violations(self) -> int:
        async with self.db.acquire() as conn:
            violations = await repo.running_violations(conn)
        released = 0
        for v in violations:
            reason = f"may not run: {v.reason}"
            try:
                await self.manager.release_bot(v.slot, reason=reason)
            except SlotNotFound:
                # no worker registered for the slot at all: end the assignment in PostgreSQL
                await self.manager.release_store.release_dead_slot(v.slot, reason)
            except PoolError as exc:
                self.log.error("cannot release {} of {}: {}; next pass", v.slot, v.client_id, exc)
                continue
            released += 1
            self.log.warning("🔒 released {} from {}: {}", v.client_id, v.slot, reason)
            await self.processor.alert(
                AlertKind.TENANT_RELEASED, f"{v.client_id} on {v.slot}: {reason}"
            )
        return released

    async def _expire_unpaid(self) -> int:
        async with self.db.acquire() as conn:
            stale = await repo.stale_unpaid_orders(conn, self.unpaid_hours)
        expired = 0
        for order in stale:
            if order.payment_id:
                try:
                    info = await self.processor.gateway.get_payment(order.payment_id)
                except GatewayUnavailable as exc:
                    self.log.warning("order {}: payment not checked ({}); next pass", order.id, exc)
                    continue
                except GatewayRejected:
                    info = None
                if info is not None and info.status != PaymentStatus.PENDING:
                    # paid or cancelled meanwhile
                    await self.processor.apply(info, via=ReceivedVia.POLLER)
                    continue
            async with self.db.acquire() as conn:
                if not await repo.expire_unpaid(conn, order.id):
                    continue
            expired += 1
            self.log.info("order {} expired unpaid after {:g} h", order.id, self.unpaid_hours)
            await self.notifier.order_expired(
                order.buyer_telegram_id, order.id, f"unpaid:{self.unpaid_hours:g}"
            )
        return expired
