"""What the buyer does in the chat: tariffs, token checks, orders, payments, /mybots.

Each method is one use case called by one handler; each owns its transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from uuid import UUID

import asyncpg

from core.crypto import TokenCipher
from core.ratelimit import FixedWindow
from core.status import (
    RENEWABLE_SUBSCRIPTIONS,
    RUNNING_SUBSCRIPTIONS,
    UNPAID_ORDERS,
    AlertKind,
    OrderKind,
    OrderStatus,
    RunRefusal,
)
from sales import repository as repo
from sales import retention_repo, texts
from sales.orders import OrderProcessor, PaymentMismatch, PaymentOutcome, UnknownPayment
from sales.payments import GatewayRejected, GatewayUnavailable, PaymentStatus, ReceivedVia
from sales.ports import TokenChecker, TokenCheckUnavailable, TokenRejected
from sales.validation import InputError, parse_token, short_order


@dataclass(frozen=True)
class VerifiedBot:
    """A token that passed every check, ready to keep (encrypted) in the FSM and the order."""

    bot_id: int
    username: str
    token_encrypted: str
    fingerprint: str

    def order_columns(self) -> dict[str, object]:
        """The columns of an order that carries this bot (`repo.insert_order`)."""
        return {
            "bot_id": self.bot_id,
            "bot_username": self.username,
            "token_encrypted": self.token_encrypted,
            "token_fingerprint": self.fingerprint,
        }


class StartOutcome(StrEnum):
    """What asking YooKassa for an order's payment gave (`PaymentStart.outcome`)."""

    CREATED = "created"  # a payment to pay at `url`
    UNAVAILABLE = "unavailable"  # YooKassa could not be reached: the buyer may retry
    REJECTED = "rejected"  # YooKassa refused (the operator is alerted)
    PAID = "paid"  # nothing to pay any more


class CheckOutcome(StrEnum):
    """The answer to «Проверить оплату»."""

    PAID = "paid"
    PENDING = "pending"
    CANCELLED = "cancelled"
    UNAVAILABLE = "unavailable"  # YooKassa could not be asked
    RETRY = "retry"  # the order has no payment yet


@dataclass(frozen=True)
class PaymentStart:
    order: repo.Order
    outcome: StartOutcome
    url: str | None = None


class PurchaseService:
    def __init__(
        self,
        *,
        db: asyncpg.Pool,
        cipher: TokenCipher,
        checker: TokenChecker,
        gateway,
        processor: OrderProcessor,
        return_url: str,
        log,
        grace_days: float = 3,
        order_window: FixedWindow | None = None,
        max_unpaid: int = 3,
        unpaid_hours: float = 24,
    ) -> None:
        self.grace = timedelta(days=grace_days)
        self.order_window = order_window  # orders per minute per buyer (None: no limit)
        self.max_unpaid = max_unpaid
        self.unpaid_hours = unpaid_hours
        self.db = db
        self.cipher = cipher
        self.checker = checker
        self.gateway = gateway
        self.processor = processor
        self.return_url = return_url
        self.log = log

    # -- catalogue ----------------------------------------------------------------------------

    async def tariffs(self) -> list[repo.Tariff]:
        async with self.db.acquire() as conn:
            return await repo.list_tariffs(conn)

    async def tariff(self, tariff_id: int) -> repo.Tariff:
        async with self.db.acquire() as conn:
            return await _offered_tariff(conn, tariff_id)

    # -- the token ----------------------------------------------------------------------------

    async def verify_token(
        self, text: str | None, *, except_client: str | None = None
    ) -> VerifiedBot:
        """Format, then getMe, then "not used by a live tenant". Raises `InputError`."""
        token = parse_token(text)
        try:
            me = await self.checker.get_me(token)
        except TokenRejected:
            raise InputError(texts.TOKEN_REJECTED) from None
        except TokenCheckUnavailable:
            raise InputError(texts.TOKEN_CHECK_FAILED) from None
        fingerprint = self.cipher.fingerprint(token)
        async with self.db.acquire() as conn:
            if await repo.token_in_use(conn, fingerprint, except_client=except_client):
                raise InputError(texts.TOKEN_IN_USE)
        return VerifiedBot(me.id, me.username, self.cipher.encrypt(token), fingerprint)

    # -- orders and payments ------------------------------------------------------------------

    async def place_order(
        self, *, buyer: int, tariff_id: int, bot: VerifiedBot, company: str, owner: int
    ) -> PaymentStart:
        """The summary was confirmed: keep the order, then ask YooKassa for a payment."""
        await self._admit(buyer)
        async with self.db.acquire() as conn, conn.transaction():
            await self._unpaid_cap(conn, buyer)
            tariff = await _offered_tariff(conn, tariff_id)
            if await repo.token_in_use(conn, bot.fingerprint):
                raise InputError(texts.TOKEN_IN_USE)
            order = await _insert_tariff_order(
                conn,
                tariff,
                kind=OrderKind.NEW,
                buyer_telegram_id=buyer,
                company_name=company,
                admin_telegram_id=owner,
                **bot.order_columns(),
            )
        self.log.info("order {} placed by {} ({} days)", order.id, buyer, tariff.days)
        return await self._create_payment(order, tariff)

    async def place_renewal(self, *, buyer: int, client_id: str, tariff_id: int) -> PaymentStart:
        await self._admit(buyer)
        async with self.db.acquire() as conn, conn.transaction():
            sub = await repo.get_subscription(conn, client_id)
            if sub is None or sub.buyer_telegram_id != buyer:
                raise InputError(texts.NOT_YOUR_BOT)
            if await repo.run_refusal(conn, client_id) == RunRefusal.SUSPENDED:
                raise InputError(texts.BOT_SUSPENDED)
            await self._unpaid_cap(conn, buyer)
            if sub.status not in RENEWABLE_SUBSCRIPTIONS:
                raise InputError(texts.RENEW_NOT_YET)
            if await retention_repo.is_purged(conn, client_id):
                raise InputError(texts.RENEW_PURGED)
            tariff = await _offered_tariff(conn, tariff_id)
            order = await _insert_tariff_order(
                conn, tariff, kind=OrderKind.RENEWAL, buyer_telegram_id=buyer, client_id=client_id
            )
        self.log.info("renewal order {} for {} placed by {}", order.id, client_id, buyer)
        return await self._create_payment(order, tariff)

    async def _admit(self, buyer: int) -> None:
        """At most `order_window.max_events` orders per window per buyer (each makes a
        YooKassa payment): the next one is refused politely."""
        if self.order_window is not None and not await self.order_window.allowed(buyer):
            self.log.warning("buyer {}: too many orders in a minute, refused", buyer)
            raise InputError(texts.TOO_MANY_ORDERS)

    async def _unpaid_cap(self, conn, buyer: int) -> None:
        """At most `max_unpaid` orders waiting for payment per buyer (in the caller's
        transaction, serialised per buyer so two summaries at once cannot both pass)."""
        await repo.lock_buyer(conn, buyer)
        unpaid = await repo.unpaid_orders(conn, buyer, self.unpaid_hours)
        if unpaid >= self.max_unpaid:
            self.log.warning("buyer {}: {} unpaid orders, a new one refused", buyer, unpaid)
            raise InputError(
                texts.TOO_MANY_UNPAID.format(count=unpaid, hours=f"{self.unpaid_hours:g}")
            )

    async def retry_payment(self, *, buyer: int, order_hex: str) -> PaymentStart:
        order = await self._own_order(buyer, order_hex)
        if order.status not in UNPAID_ORDERS:
            return PaymentStart(order, StartOutcome.PAID)
        async with self.db.acquire() as conn:
            tariff = await repo.get_tariff(conn, order.tariff_id)
        return await self._create_payment(order, tariff)

    async def _create_payment(self, order: repo.Order, tariff: repo.Tariff | None) -> PaymentStart:
        if order.payment_id and order.confirmation_url:
            return PaymentStart(order, StartOutcome.CREATED, order.confirmation_url)
        title = tariff.title if tariff else f"{order.days} дн."
        try:
            info = await self.gateway.create_payment(
                order_id=str(order.id),
                amount=order.amount,
                currency=order.currency,
                description=f"Bot Pool: бот для записи, {title}, заказ {short_order(order.id)}",
                return_url=self.return_url,
                idempotence_key=str(order.id),  # a retry of this order never makes a second payment
            )
        except GatewayUnavailable as exc:
            self.log.warning("order {}: payment not created: {}", order.id, exc)
            return PaymentStart(order, StartOutcome.UNAVAILABLE)
        except GatewayRejected as exc:
            self.log.error("order {}: YooKassa rejected the payment: {}", order.id, exc)
            await self.processor.alert(
                AlertKind.PAYMENT_REJECTED, f"order {order.id}: {exc}", order.id
            )
            return PaymentStart(order, StartOutcome.REJECTED)
        async with self.db.acquire() as conn:
            updated = await repo.set_payment_created(conn, order.id, info.id, info.confirmation_url)
            order = await repo.get_order(conn, order.id)
        if not updated:
            return PaymentStart(order, StartOutcome.PAID)
        self.log.info("order {}: payment {} created", order.id, info.id)
        if info.status == PaymentStatus.SUCCEEDED:
            await self.processor.apply(info, via=ReceivedVia.CHECK)
            return PaymentStart(order, StartOutcome.PAID)
        return PaymentStart(order, StartOutcome.CREATED, info.confirmation_url)

    async def check_payment(self, *, buyer: int, order_hex: str) -> CheckOutcome:
        """«Проверить оплату»."""
        order = await self._own_order(buyer, order_hex)
        if order.status == OrderStatus.CANCELLED:
            return CheckOutcome.CANCELLED
        if order.status not in UNPAID_ORDERS:
            return CheckOutcome.PAID
        if not order.payment_id:
            return CheckOutcome.RETRY
        try:
            info = await self.gateway.get_payment(order.payment_id)
            result = await self.processor.apply(info, via=ReceivedVia.CHECK)
        except GatewayUnavailable:
            return CheckOutcome.UNAVAILABLE
        except (GatewayRejected, UnknownPayment, PaymentMismatch):
            return CheckOutcome.PENDING
        if result.outcome in (
            PaymentOutcome.PAID,
            PaymentOutcome.RENEWED,
            PaymentOutcome.DUPLICATE,
        ):
            return CheckOutcome.PAID
        if result.outcome == PaymentOutcome.CANCELLED:
            return CheckOutcome.CANCELLED
        return CheckOutcome.PENDING

    async def _own_order(self, buyer: int, order_hex: str) -> repo.Order:
        try:
            order_id = UUID(hex=order_hex)
        except ValueError:
            raise InputError(texts.SESSION_LOST) from None
        async with self.db.acquire() as conn:
            order = await repo.get_order(conn, order_id)
        if order is None or order.buyer_telegram_id != buyer:
            raise InputError(texts.SESSION_LOST)
        return order

    # -- after the purchase -------------------------------------------------------------------

    async def order_waiting_token(self, *, buyer: int, order_hex: str) -> repo.Order:
        order = await self._own_order(buyer, order_hex)
        if order.status != OrderStatus.NEEDS_TOKEN:
            raise InputError(texts.ORDER_NOT_WAITING_TOKEN)
        return order

    async def provide_new_token(self, *, buyer: int, order_hex: str, text: str | None) -> None:
        """A new token for an order whose activation failed; the order resumes at once."""
        order = await self.order_waiting_token(buyer=buyer, order_hex=order_hex)
        bot = await self.verify_token(text, except_client=order.client_id)
        async with self.db.acquire() as conn:
            await repo.set_new_token(
                conn,
                order.id,
                token_encrypted=bot.token_encrypted,
                fingerprint=bot.fingerprint,
                bot_id=bot.bot_id,
                username=bot.username,
            )
        self.log.info("order {}: new token received, resuming", order.id)
        self.processor.schedule(order.id)

    async def my_bots(self, buyer: int) -> list[repo.BuyerBot]:
        async with self.db.acquire() as conn:
            return await repo.buyer_bots(conn, buyer)

    async def own_bot(self, buyer: int, client_id: str) -> repo.BuyerBot:
        for bot in await self.my_bots(buyer):
            if bot.client_id == client_id:
                return bot
        raise InputError(texts.NOT_YOUR_BOT)

    async def replace_token(self, *, buyer: int, client_id: str, text: str | None) -> None:
        """Run a live bot on a new token: same client, same data."""
        bot = await self.own_bot(buyer, client_id)
        if bot.status not in RUNNING_SUBSCRIPTIONS:
            raise InputError(texts.REPLACE_NOT_RUNNING)
        async with self.db.acquire() as conn:
            if await repo.run_refusal(conn, client_id) == RunRefusal.SUSPENDED:
                raise InputError(texts.BOT_SUSPENDED)
        verified = await self.verify_token(text, except_client=client_id)
        async with self.db.acquire() as conn:
            order = await repo.insert_order(
                conn,
                kind=OrderKind.REPLACE_TOKEN,
                buyer_telegram_id=buyer,
                client_id=client_id,
                **verified.order_columns(),
                status=OrderStatus.PAID,
                paid_at=datetime.now(UTC),
            )
        self.log.info("order {}: token replacement for {}", order.id, client_id)
        self.processor.schedule(order.id)


async def _offered_tariff(conn, tariff_id: int) -> repo.Tariff:
    tariff = await repo.get_tariff(conn, tariff_id)
    if tariff is None:
        raise InputError(texts.TARIFF_GONE)
    return tariff


async def _insert_tariff_order(conn, tariff: repo.Tariff, **columns) -> repo.Order:
    """A new order for `tariff`: its days at its price; `columns` say what and for whom."""
    return await repo.insert_order(
        conn,
        tariff_id=tariff.id,
        days=tariff.days,
        amount=tariff.price,
        currency=tariff.currency,
        status=OrderStatus.NEW,
        **columns,
    )
