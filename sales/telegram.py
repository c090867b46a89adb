"""The Sales service's adapters to Telegram: checking a buyer's token, messaging a buyer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramUnauthorizedError,
)
from aiogram.types import InlineKeyboardMarkup

from core.status import BuyerNoticeKind
from core.telegram import build_bot
from sales import keyboards, texts
from sales.ports import BotIdentity, NeedsTokenReason, TokenCheckUnavailable, TokenRejected
from sales.validation import format_date, short_order


class TelegramTokenChecker:
    """getMe with the buyer's token through `TELEGRAM_API_BASE`."""

    def __init__(
        self,
        api_base: str,
        timeout: float = 10.0,
        *,
        bot_factory: Callable[[str, str], Bot] = build_bot,
    ) -> None:
        self.api_base = api_base
        self.timeout = timeout
        self.bot_factory = bot_factory

    async def get_me(self, token: str) -> BotIdentity:
        bot = self.bot_factory(token, self.api_base)
        try:
            me = await bot.get_me(request_timeout=int(self.timeout))
        except (TelegramUnauthorizedError, TelegramNotFound):
            raise TokenRejected() from None
        except (TelegramNetworkError, TelegramAPIError, TimeoutError, OSError):
            raise TokenCheckUnavailable() from None
        finally:
            await bot.session.close()
        if not me.is_bot or not me.username:
            raise TokenRejected()
        return BotIdentity(me.id, me.username)


class BotNotifier:
    """Messages to buyers from the Sales Bot; failures are logged, never raised."""

    def __init__(self, bot: Bot, log) -> None:
        self.bot = bot
        self.log = log

    async def _send(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None):
        try:
            await self.bot.send_message(chat_id, text, reply_markup=markup)
        except (TelegramAPIError, TelegramNetworkError, OSError) as exc:
            self.log.warning("cannot message buyer {}: {}", chat_id, type(exc).__name__)

    async def payment_received(self, buyer: int, order_id: UUID) -> None:
        await self._send(buyer, texts.PAYMENT_RECEIVED.format(short=short_order(order_id)))

    async def payment_cancelled(self, buyer: int, order_id: UUID) -> None:
        await self._send(buyer, texts.PAYMENT_CANCELLED.format(short=short_order(order_id)))

    async def ready(self, buyer: int, username: str, days: int) -> None:
        await self._send(
            buyer, texts.READY.format(username=username, days=days), keyboards.open_bot(username)
        )

    async def token_replaced(self, buyer: int, username: str) -> None:
        await self._send(
            buyer, texts.TOKEN_REPLACED.format(username=username), keyboards.open_bot(username)
        )

    async def renewed(self, buyer: int, username: str, ends_at: datetime) -> None:
        await self._send(buyer, texts.RENEWED.format(username=username, date=format_date(ends_at)))

    async def queued(self, buyer: int, order_id: UUID) -> None:
        await self._send(buyer, texts.QUEUED)

    async def needs_token(self, buyer: int, order_id: UUID, code: NeedsTokenReason) -> None:
        reason = {
            NeedsTokenReason.REVOKED: texts.NEEDS_TOKEN_REVOKED,
            NeedsTokenReason.IN_USE: texts.NEEDS_TOKEN_IN_USE,
        }.get(code, texts.NEEDS_TOKEN_FAILED)
        await self._send(
            buyer, texts.NEEDS_TOKEN.format(reason=reason), keyboards.new_token(order_id.hex)
        )

    async def reminder(self, buyer: int, username: str, ends_at: datetime, days: int) -> None:
        await self._send(
            buyer, texts.REMIND.format(username=username, date=format_date(ends_at), days=days)
        )

    async def grace(self, buyer: int, username: str, grace_days: float) -> None:
        await self._send(buyer, texts.GRACE.format(username=username, grace=f"{grace_days:g}"))

    async def archive_soon(
        self, buyer: int, username: str, archive_until: datetime, client_id: str
    ) -> None:
        await self._send(
            buyer,
            texts.ARCHIVE_SOON.format(username=username, date=format_date(archive_until)),
            keyboards.archive_soon(client_id, username),
        )

    async def archive_deleted(self, buyer: int, username: str) -> None:
        await self._send(buyer, texts.ARCHIVE_DELETED.format(username=username))

    async def operator_notice(self, buyer: int, username: str, kind: BuyerNoticeKind) -> str | None:
        """A notice the Master left (suspended / resumed); returns why it failed, or None."""
        text = {
            BuyerNoticeKind.SUSPENDED: texts.OPERATOR_SUSPENDED,
            BuyerNoticeKind.RESUMED: texts.OPERATOR_RESUMED,
        }[kind]
        try:
            await self.bot.send_message(buyer, text.format(username=username))
        except (TelegramAPIError, TelegramNetworkError, OSError) as exc:
            return f"{type(exc).__name__}: {getattr(exc, 'message', '')}"[:200]
        return None

    async def released(self, buyer: int, username: str, archive_until: datetime) -> None:
        await self._send(
            buyer, texts.RELEASED.format(username=username, archive=format_date(archive_until))
        )

    async def held(self, buyer: int, order_id: UUID, username: str) -> None:
        short = short_order(order_id)
        await self._send(buyer, texts.HELD_SUSPENDED.format(short=short, username=username))

    async def order_expired(self, buyer: int, order_id: UUID, why: str) -> None:
        """`why`: ended (the subscription ended first) | unpaid:<hours>."""
        short = short_order(order_id)
        if why.startswith("unpaid:"):
            text = texts.ORDER_EXPIRED_UNPAID.format(short=short, hours=why.split(":", 1)[1])
        else:
            text = texts.ORDER_EXPIRED_ENDED.format(short=short)
        await self._send(buyer, text)

    async def refunded(
        self,
        buyer: int,
        order_id: UUID,
        amount: str,
        username: str,
        ends_at: datetime | None,
        archive_until: datetime | None,
    ) -> None:
        short = short_order(order_id)
        if archive_until is not None:
            text = texts.REFUNDED_ENDED.format(
                amount=amount, short=short, username=username, archive=format_date(archive_until)
            )
        elif ends_at is not None:
            text = texts.REFUNDED_PARTIAL.format(
                amount=amount, short=short, username=username, date=format_date(ends_at)
            )
        else:
            text = texts.REFUNDED_ORDER.format(amount=amount, short=short)
        await self._send(buyer, text)
