"""Orders after the summary: payment confirmation (webhook, poller, button) and activation.

Idempotence: a payment moves its order out of `new`/`pending` exactly once, inside a
transaction that holds the order's row lock, so replays and the webhook/poller race are no-ops.
Activation takes the order with an atomic UPDATE (`claim_order`) and a lease: one activation at
a time, and an interrupted one is picked up again by the sweep after its lease runs out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

import asyncpg

from core.crypto import TokenCipher
from core.status import (
    RUNNING_SUBSCRIPTIONS,
    UNPAID_ORDERS,
    AlertKind,
    OrderKind,
    OrderStatus,
    RunRefusal,
    SubscriptionStatus,
)
from pool.manager import BotPoolManager, ConfigError, PoolError, SlotBusy, SlotNotFound
from pool.status import RejectionCode
from sales import repository as repo
from sales.payments import (
    GatewayRejected,
    GatewayUnavailable,
    IpAllowlist,
    PaymentInfo,
    PaymentStatus,
    ReceivedVia,
    RefundInfo,
)
from sales.ports import NeedsTokenReason, Notifier

# A payment still moves these: an order expired unpaid whose buyer pays late is honoured.
OPEN_STATES = (*UNPAID_ORDERS, OrderStatus.EXPIRED)
# Orders a full refund closes before they ever ran.
NOT_RUN_STATES = (
    OrderStatus.PAID,
    OrderStatus.QUEUED,
    OrderStatus.NEEDS_TOKEN,
    OrderStatus.HELD,
    OrderStatus.ACTIVATING,
)


class PaymentOutcome(StrEnum):
    """What acting on a payment did (`Confirmation.outcome`; the webhook's answer)."""

    PAID = "paid"  # recorded; the order goes on to activation
    RENEWED = "renewed"  # recorded; a running bot's subscription was extended at once
    DUPLICATE = "duplicate"  # recorded before: nothing done
    CANCELLED = "cancelled"  # the payment was cancelled, and its order with it
    PENDING = "pending"  # not paid yet


class RefundOutcome(StrEnum):
    """What acting on a refund did (`apply_refund`)."""

    REFUNDED = "refunded"  # days taken off (or a never-run order closed)
    RELEASED = "released"  # no paid time left: the bot was released
    DUPLICATE = "duplicate"
    PENDING = "pending"  # not succeeded yet


class UnknownPayment(Exception):
    pass


class PaymentMismatch(Exception):
    pass


@dataclass(frozen=True)
class Confirmation:
    order_id: UUID
    outcome: PaymentOutcome


class OrderProcessor:
    def __init__(
        self,
        *,
        db: asyncpg.Pool,
        cipher: TokenCipher,
        gateway,
        manager: BotPoolManager,
        notifier: Notifier,
        allowlist: IpAllowlist,
        log,
        activation_timeout: float = 30.0,
        attempts: int = 3,
        archive_days: float = 90,
    ) -> None:
        self.archive = timedelta(days=archive_days)
        self.db = db
        self.cipher = cipher
        self.gateway = gateway
        self.manager = manager
        self.notifier = notifier
        self.allowlist = allowlist
        self.log = log
        self.activation_timeout = activation_timeout
        self.attempts = attempts
        self._tasks: set[asyncio.Task] = set()
        self._inflight: set[UUID] = set()

    # -- notifications ------------------------------------------------------------------------

    async def handle_notification(self, ip: str | None, body: object) -> tuple[int, str]:
        """The webhook: returns (HTTP status, short reason). 200 only when handled or harmless."""
        if ip not in self.allowlist:
            self.log.warning("webhook: notification from untrusted address {} rejected", ip)
            return 403, "untrusted address"
        if not isinstance(body, dict) or body.get("type") != "notification":
            return 400, "not a notification"
        event = body.get("event")
        obj = body.get("object")
        object_id = obj.get("id") if isinstance(obj, dict) else None
        if not isinstance(event, str) or not (
            isinstance(object_id, str) and 0 < len(object_id) <= 64
        ):
            return 400, "not a notification"
        if event == "refund.succeeded":
            return await self._refetch_and_apply(
                "refund",
                object_id,
                self.gateway.get_refund,
                self.apply_refund,
                unknown="webhook: refund {} of an unknown payment",
            )
        if not event.startswith("payment."):
            return 200, "ignored"
        return await self._refetch_and_apply(
            "payment",
            object_id,
            self.gateway.get_payment,
            self._apply_outcome,
            unknown="webhook: payment {} belongs to no order",
        )

    async def _apply_outcome(self, info: PaymentInfo) -> str:
        return (await self.apply(info, via=ReceivedVia.WEBHOOK)).outcome

    async def _refetch_and_apply(
        self,
        kind: str,
        object_id: str,
        fetch: Callable[[str], Awaitable[Any]],
        apply: Callable[[Any], Awaitable[str]],
        *,
        unknown: str,
    ) -> tuple[int, str]:
        """A notified payment or refund (`kind`), re-fetched by id (notifications are not
        signed) and applied; returns (HTTP status, short reason) like `handle_notification`."""
        try:
            info = await fetch(object_id)
        except GatewayUnavailable as exc:
            self.log.warning("webhook: cannot re-fetch {} {}: {}", kind, object_id, exc)
            return 503, f"{kind} cannot be checked now"
        except GatewayRejected as exc:
            self.log.warning("webhook: {} {} does not exist at YooKassa: {}", kind, object_id, exc)
            return 404, f"unknown {kind}"
        try:
            return 200, await apply(info)
        except UnknownPayment:
            self.log.warning(unknown, object_id)
            return 404, "unknown payment"
        except PaymentMismatch as exc:
            return 422, str(exc)

    async def apply_refund(self, info: RefundInfo) -> RefundOutcome:
        """Take the refunded share of the payment's days off the subscription; when no paid time
        is left, the bot is released (data kept until the archive date). An order that never
        ran is closed by a full refund. Recorded once per refund id: a replay changes nothing."""
        if info.status != PaymentStatus.SUCCEEDED:
            return RefundOutcome.PENDING
        now = _now()
        release_slot = None
        ends_at = archive_until = None
        async with self.db.acquire() as conn, conn.transaction():
            found = await repo.payment_order(conn, info.payment_id)
            if found is None:
                raise UnknownPayment(info.payment_id)
            paid, order_id = found
            order = await repo.get_order(conn, order_id, lock=True)
            if info.currency != order.currency:
                raise PaymentMismatch(f"refund {info.id}: {info.currency}, paid {order.currency}")
            share = min(info.amount / paid, Decimal(1)) if paid else Decimal(1)
            days_removed = (Decimal(order.days) * share).quantize(Decimal("0.0001"))
            if not await repo.record_refund(
                conn,
                refund_id=info.id,
                payment_id=info.payment_id,
                order_id=order.id,
                amount=info.amount,
                currency=info.currency,
                days_removed=days_removed,
            ):
                return RefundOutcome.DUPLICATE
            full = await repo.refunded_total(conn, info.payment_id) >= paid
            sub = await repo.get_subscription(conn, order.client_id, lock=True)
            if order.status in NOT_RUN_STATES and full:
                await repo.update_order(
                    conn,
                    order.id,
                    status=OrderStatus.REFUNDED,
                    lease_until=None,
                    last_error="refunded",
                )
            elif sub is not None and sub.ends_at is None:
                # not started yet: the order will start fewer days
                left = max(0, round(order.days - days_removed))
                await repo.update_order(conn, order.id, days=left)
            if sub is not None and sub.ends_at is not None:
                # its days were added to the end (renewal) or counted from the start (new)
                sub = await repo.shorten_subscription(conn, order.client_id, days_removed)
            ended = sub is not None and (
                (sub.ends_at is not None and sub.ends_at <= now)
                or (
                    sub.status == SubscriptionStatus.PENDING
                    and full
                    and order.kind == OrderKind.NEW
                )
            )
            if ended and sub.status != SubscriptionStatus.RELEASED:
                archive_until = now + self.archive
                await repo.set_subscription(
                    conn,
                    order.client_id,
                    status=SubscriptionStatus.RELEASED,
                    released_at=now,
                    archive_until=archive_until,
                )
                release_slot = await repo.open_slot(conn, order.client_id)
            elif sub is not None:
                ends_at = sub.ends_at
            stored = await repo.stored_bot(conn, order.client_id) if order.client_id else None
        username = (stored and stored.bot_username) or order.bot_username or "—"
        amount = f"{info.amount} {info.currency}"
        detail = (
            f"refund {info.id}: {amount} of payment {info.payment_id} (order {order.id},"
            f" {order.client_id}): {days_removed:g} days taken off"
            + ("; subscription ended, bot released" if archive_until else "")
        )
        self.log.warning("💸 {}", detail)
        if release_slot is not None:
            try:
                await self.manager.release_bot(release_slot, reason="refunded")
            except PoolError as exc:  # the reconciliation pass releases it (it may not run)
                self.log.error("cannot release {} after a refund: {}", release_slot, exc)
        await self.alert(AlertKind.REFUND, detail, order.id)
        await self.notifier.refunded(
            order.buyer_telegram_id, order.id, amount, username, ends_at, archive_until
        )
        return RefundOutcome.RELEASED if archive_until else RefundOutcome.REFUNDED

    async def apply(self, info: PaymentInfo, *, via: ReceivedVia) -> Confirmation:
        """Act on a payment as YooKassa reports it (never on what a notification claims)."""
        if info.status == PaymentStatus.SUCCEEDED and info.paid:
            return await self.confirm(info, via=via)
        if info.status == PaymentStatus.CANCELED:
            return await self._cancel(info)
        order = await self._order_for(info)
        return Confirmation(order.id if order else UUID(int=0), PaymentOutcome.PENDING)

    async def _order_for(self, info: PaymentInfo) -> repo.Order | None:
        async with self.db.acquire() as conn:
            return await repo.order_by_payment(conn, info.id)

    async def _locked_order(self, conn, info: PaymentInfo) -> repo.Order:
        order = await repo.order_by_payment(conn, info.id, lock=True)
        claimed = info.metadata.get("order_id")
        if order is None and claimed:
            # Created while our call timed out: we never saw its id. Match by our metadata.
            try:
                order = await repo.get_order(conn, UUID(claimed), lock=True)
            except ValueError:
                order = None
            if order is not None and order.payment_id not in (None, info.id):
                raise PaymentMismatch(
                    f"payment {info.id} claims order {order.id}, which has another payment"
                )
        if order is None:
            raise UnknownPayment(info.id)
        if claimed != str(order.id):
            raise PaymentMismatch(f"payment {info.id}: order in metadata differs")
        if info.amount != order.amount or info.currency != order.currency:
            raise PaymentMismatch(
                f"payment {info.id}: {info.amount} {info.currency} paid, "
                f"order {order.id} costs {order.amount} {order.currency}"
            )
        return order

    async def confirm(self, info: PaymentInfo, *, via: ReceivedVia) -> Confirmation:
        renewed_sub = None
        try:
            async with self.db.acquire() as conn, conn.transaction():
                order = await self._locked_order(conn, info)
                if order.status not in OPEN_STATES:
                    return Confirmation(order.id, PaymentOutcome.DUPLICATE)
                await repo.record_payment(
                    conn,
                    payment_id=info.id,
                    order_id=order.id,
                    amount=info.amount,
                    currency=info.currency,
                    status=info.status,
                    via=via,
                )
                if order.kind == OrderKind.NEW:
                    client_id = await repo.allocate_client_id(conn)
                    await repo.insert_subscription(conn, client_id, order.buyer_telegram_id)
                    order = await repo.update_order(
                        conn,
                        order.id,
                        status=OrderStatus.PAID,
                        client_id=client_id,
                        payment_id=info.id,
                        paid_at=_now(),
                    )
                    outcome = PaymentOutcome.PAID
                else:  # renewal
                    sub = await repo.get_subscription(conn, order.client_id, lock=True)
                    # a suspended tenant is not "running" for a renewal, even before its slot
                    # is released: the order goes through activation, which holds it
                    running = (
                        sub.status in RUNNING_SUBSCRIPTIONS
                        and bool(await repo.open_slot(conn, order.client_id))
                        and await repo.run_refusal(conn, order.client_id) is None
                    )
                    renewed_sub = await repo.extend_subscription(
                        conn, order.client_id, order.days, reactivate=running
                    )
                    if running:
                        order = await repo.update_order(
                            conn,
                            order.id,
                            status=OrderStatus.ACTIVE,
                            payment_id=info.id,
                            paid_at=_now(),
                            activated_at=_now(),
                        )
                        outcome = PaymentOutcome.RENEWED
                    else:
                        order = await repo.update_order(
                            conn,
                            order.id,
                            status=OrderStatus.PAID,
                            payment_id=info.id,
                            paid_at=_now(),
                        )
                        outcome = PaymentOutcome.PAID
        except PaymentMismatch as exc:
            self.log.error("🚨 payment rejected: {}", exc)
            await self.alert(AlertKind.PAYMENT_MISMATCH, str(exc))
            raise
        self.log.info(
            "payment {} for order {} recorded via {}: {}", info.id, order.id, via, outcome
        )
        if outcome == PaymentOutcome.RENEWED:
            bot = await self._stored(order.client_id)
            await self.notifier.renewed(
                order.buyer_telegram_id,
                bot.bot_username if bot else order.client_id,
                renewed_sub.ends_at,
            )
        else:
            await self.notifier.payment_received(order.buyer_telegram_id, order.id)
            self.schedule(order.id)
        return Confirmation(order.id, outcome)

    async def _cancel(self, info: PaymentInfo) -> Confirmation:
        async with self.db.acquire() as conn, conn.transaction():
            order = await self._locked_order_for_cancel(conn, info)
            if order.status not in OPEN_STATES:
                return Confirmation(order.id, PaymentOutcome.DUPLICATE)
            await repo.update_order(
                conn, order.id, status=OrderStatus.CANCELLED, payment_id=info.id
            )
        self.log.info("payment {} cancelled: order {} cancelled", info.id, order.id)
        await self.notifier.payment_cancelled(order.buyer_telegram_id, order.id)
        return Confirmation(order.id, PaymentOutcome.CANCELLED)

    async def _locked_order_for_cancel(self, conn, info: PaymentInfo) -> repo.Order:
        order = await repo.order_by_payment(conn, info.id, lock=True)
        if order is None:
            raise UnknownPayment(info.id)
        return order

    # -- polling ------------------------------------------------------------------------------

    async def poll_pending(self) -> int:
        """Ask YooKassa about every pending payment; returns how many changed state."""
        async with self.db.acquire() as conn:
            orders = await repo.pending_payments(conn)
        changed = 0
        for order in orders:
            if not order.payment_id:
                continue
            try:
                info = await self.gateway.get_payment(order.payment_id)
                result = await self.apply(info, via=ReceivedVia.POLLER)
            except (GatewayUnavailable, GatewayRejected) as exc:
                self.log.warning("poller: payment {}: {}", order.payment_id, exc)
                continue
            except (UnknownPayment, PaymentMismatch):
                continue
            changed += result.outcome in (
                PaymentOutcome.PAID,
                PaymentOutcome.RENEWED,
                PaymentOutcome.CANCELLED,
            )
        return changed

    # -- activation ---------------------------------------------------------------------------

    def schedule(self, order_id: UUID) -> None:
        """Activate in the background (the caller — a webhook, a button — returns at once)."""
        if order_id in self._inflight:
            return
        self._inflight.add(order_id)
        task = asyncio.create_task(self._fulfil_task(order_id), name=f"fulfil-{order_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fulfil_task(self, order_id: UUID) -> None:
        try:
            await self.fulfil(order_id)
        except Exception:
            self.log.exception("activation of order {} failed unexpectedly", order_id)
        finally:
            self._inflight.discard(order_id)

    async def drain(self) -> None:
        """Wait for the activations in flight (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def sweep(self) -> int:
        """Start paid, queued (while slots are free) and interrupted orders; returns how many."""
        async with self.db.acquire() as conn:
            rows = await repo.orders_to_fulfil(conn)
        if not rows:
            return 0
        free = (await self.manager.get_pool_status())["free"]
        started = 0
        for order_id, status in rows:
            if order_id in self._inflight:
                continue
            if status == OrderStatus.QUEUED:
                if free <= 0:
                    continue
                free -= 1
            self.schedule(order_id)
            started += 1
        return started

    async def fulfil(self, order_id: UUID) -> OrderStatus | None:
        """Claim the order and activate it; returns the order's new status (None: it was not
        there to claim — another activation has it, or it moved on)."""
        lease = self.activation_timeout * 2 + 30
        async with self.db.acquire() as conn:
            order = await repo.claim_order(conn, order_id, lease)
        if order is None:
            return None
        try:
            return await self._activate(order)
        except Exception as exc:
            return await self._retry_later(order, f"{type(exc).__name__}: {exc}"[:300])

    async def _stored(self, client_id: str) -> repo.StoredBot | None:
        async with self.db.acquire() as conn:
            return await repo.stored_bot(conn, client_id)

    async def _activate(self, order: repo.Order) -> OrderStatus:
        stored = await self._stored(order.client_id)
        if order.kind == OrderKind.NEW or stored is None:
            token = self.cipher.decrypt(order.token_encrypted)
            company, admin = order.company_name, order.admin_telegram_id
        else:
            token_source = order.token_encrypted or stored.token_encrypted
            token = self.cipher.decrypt(token_source)
            company, admin = stored.company_name, stored.admin_telegram_id
        async with self.db.acquire() as conn:
            refusal = await repo.run_refusal(conn, order.client_id)
            current = await repo.open_slot(conn, order.client_id)
            taken = bool(order.token_fingerprint) and await repo.token_taken_first(
                conn, order.token_fingerprint, order.client_id, order.paid_at
            )
        if refusal is not None:
            # (PostgreSQL would refuse the assignment anyway; this says why to the buyer)
            return await self._refuse(order, refusal, stored)
        if taken:
            return await self._needs_token(
                order, "token used by another bot", code=NeedsTokenReason.IN_USE
            )
        preferred = None
        if current is not None:
            if order.kind != OrderKind.REPLACE_TOKEN:
                return await self._complete(order, current, stored and stored.bot_username)
            released = await self.manager.release_bot(current, reason="token replaced")
            self.log.info("order {}: released {} to replace the token", order.id, released)
            preferred = current  # back onto its own slot, before a queued order can take it

        result = None
        for _ in range(3):
            if preferred is not None:
                slot, preferred = preferred, None
            else:
                free = await self.manager.find_free_bot()
                if free is None:
                    return await self._queue(order)
                slot = free["container_id"]
            try:
                activation_id = await self.manager.activate_bot(
                    slot, token, admin, order.client_id, company
                )
            except (SlotBusy, SlotNotFound) as exc:
                self.log.warning("order {}: {}; trying another slot", order.id, exc)
                continue
            except ConfigError as exc:
                return await self._needs_token(
                    order, f"config: {exc}", code=NeedsTokenReason.FAILED
                )
            result = await self.manager.wait_for_activation(
                slot, activation_id, self.activation_timeout
            )
            break
        if result is None:
            return await self._queue(order)
        if result.ok:
            return await self._complete(order, result.slot, result.bot_username)
        error = result.error or "unknown error"
        if result.code == RejectionCode.TENANT_ACTIVE:
            async with self.db.acquire() as conn:
                current = await repo.open_slot(conn, order.client_id)
            if current:
                return await self._complete(order, current, stored and stored.bot_username)
        if result.code == RejectionCode.TOKEN_REJECTED:
            return await self._needs_token(order, error, code=NeedsTokenReason.REVOKED)
        if result.code == RejectionCode.NOT_ALLOWED:
            async with self.db.acquire() as conn:
                refusal = await repo.run_refusal(conn, order.client_id)
            if refusal is not None:
                return await self._refuse(order, refusal, stored)
        return await self._retry_later(order, error[:500])

    async def _refuse(self, order: repo.Order, refusal: RunRefusal, stored) -> OrderStatus:
        """The tenant may not run. Suspended: the order is held until the operator resumes it
        (the suspension wins over a payment; the operator is told). Ended: it expires."""
        held = refusal == RunRefusal.SUSPENDED
        async with self.db.acquire() as conn:
            await repo.update_order(
                conn,
                order.id,
                status=OrderStatus.HELD if held else OrderStatus.EXPIRED,
                lease_until=None,
                last_error=f"may not run: {refusal}",
            )
        username = (stored and stored.bot_username) or order.bot_username or order.client_id
        if held:
            detail = (
                f"order {order.id} ({order.kind}) of suspended {order.client_id} is held:"
                " it starts when the tenant is resumed"
            )
            self.log.warning("🚨 {}", detail)
            await self.alert(AlertKind.ORDER_HELD, detail, order.id)
            await self.notifier.held(order.buyer_telegram_id, order.id, username)
            return OrderStatus.HELD
        self.log.warning(
            "order {} expired: {} may not run ({})", order.id, order.client_id, refusal
        )
        await self.notifier.order_expired(order.buyer_telegram_id, order.id, "ended")
        return OrderStatus.EXPIRED

    async def _retry_later(self, order: repo.Order, reason: str) -> OrderStatus:
        """Back to `paid` for the sweeper, or, after `attempts` tries, ask for a new token."""
        attempts = order.attempts + 1
        self.log.error("order {}: activation failed ({}), attempt {}", order.id, reason, attempts)
        if attempts >= self.attempts:
            return await self._needs_token(
                order, reason, code=NeedsTokenReason.FAILED, attempts=attempts
            )
        async with self.db.acquire() as conn:
            await repo.update_order(
                conn,
                order.id,
                status=OrderStatus.PAID,
                lease_until=None,
                attempts=attempts,
                last_error=reason,
            )
        return OrderStatus.PAID

    async def _complete(self, order: repo.Order, slot: str, username: str | None) -> OrderStatus:
        async with self.db.acquire() as conn, conn.transaction():
            await repo.update_order(
                conn,
                order.id,
                status=OrderStatus.ACTIVE,
                slot=slot,
                activated_at=_now(),
                lease_until=None,
                last_error=None,
            )
            if order.kind in (OrderKind.NEW, OrderKind.RENEWAL):
                await repo.start_subscription(conn, order.client_id, order.days)
            stored = await repo.stored_bot(conn, order.client_id)
        username = username or (stored.bot_username if stored else None) or order.bot_username
        self.log.info("order {} active: {} on {} as @{}", order.id, order.client_id, slot, username)
        if order.kind == OrderKind.REPLACE_TOKEN:
            await self.notifier.token_replaced(order.buyer_telegram_id, username)
        else:
            await self.notifier.ready(order.buyer_telegram_id, username, order.days)
        return OrderStatus.ACTIVE

    async def _queue(self, order: repo.Order) -> OrderStatus:
        first = order.queued_at is None
        async with self.db.acquire() as conn:
            await repo.update_order(
                conn,
                order.id,
                status=OrderStatus.QUEUED,
                lease_until=None,
                queued_at=order.queued_at or _now(),
            )
        if first:
            detail = f"no free slot: order {order.id} ({order.client_id}) queued"
            self.log.warning("🚨 POOL FULL: {}", detail)
            await self.alert(AlertKind.POOL_FULL, detail, order.id)
            await self.notifier.queued(order.buyer_telegram_id, order.id)
        return OrderStatus.QUEUED

    async def _needs_token(
        self,
        order: repo.Order,
        reason: str,
        *,
        code: NeedsTokenReason,
        attempts: int | None = None,
    ) -> OrderStatus:
        async with self.db.acquire() as conn:
            await repo.update_order(
                conn,
                order.id,
                status=OrderStatus.NEEDS_TOKEN,
                lease_until=None,
                last_error=reason[:500],
                attempts=attempts if attempts is not None else order.attempts,
            )
        self.log.warning("order {} needs a new token: {}", order.id, reason)
        if code == NeedsTokenReason.FAILED:
            await self.alert(AlertKind.ACTIVATION_FAILED, f"order {order.id}: {reason}", order.id)
        await self.notifier.needs_token(order.buyer_telegram_id, order.id, code)
        return OrderStatus.NEEDS_TOKEN

    async def alert(self, kind: AlertKind, detail: str, order_id: UUID | None = None) -> None:
        try:
            async with self.db.acquire() as conn:
                await repo.insert_alert(conn, kind, detail, order_id)
        except Exception:
            self.log.exception("could not record an operator alert ({})", kind)


def _now() -> datetime:
    return datetime.now(UTC)
