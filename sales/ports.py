"""What the services need from the outside world, as small interfaces (no aiogram here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True)
class BotIdentity:
    id: int
    username: str


class TokenRejected(Exception):
    """Telegram does not accept the token (401/404)."""


class TokenCheckUnavailable(Exception):
    """Telegram could not be asked right now."""


class TokenChecker(Protocol):
    async def get_me(self, token: str) -> BotIdentity: ...


class NeedsTokenReason(StrEnum):
    """Why an order asks its buyer for a new token."""

    REVOKED = "revoked"  # Telegram refuses the token
    IN_USE = "in_use"  # another bot runs on it
    FAILED = "failed"  # the activation kept failing (the operator is alerted)


class Notifier(Protocol):
    """Messages to a buyer. Implementations never raise: a buyer who blocked the bot must not
    stop an activation."""

    async def payment_received(self, buyer: int, order_id: UUID) -> None: ...
    async def payment_cancelled(self, buyer: int, order_id: UUID) -> None: ...
    async def ready(self, buyer: int, username: str, days: int) -> None: ...
    async def token_replaced(self, buyer: int, username: str) -> None: ...
    async def renewed(self, buyer: int, username: str, ends_at: datetime) -> None: ...
    async def queued(self, buyer: int, order_id: UUID) -> None: ...
    async def needs_token(self, buyer: int, order_id: UUID, code: NeedsTokenReason) -> None: ...
    async def reminder(self, buyer: int, username: str, ends_at: datetime, days: int) -> None: ...
    async def grace(self, buyer: int, username: str, grace_days: float) -> None: ...
    async def released(self, buyer: int, username: str, archive_until: datetime) -> None: ...
    async def held(self, buyer: int, order_id: UUID, username: str) -> None: ...
    async def order_expired(self, buyer: int, order_id: UUID, why: str) -> None: ...
    async def refunded(
        self,
        buyer: int,
        order_id: UUID,
        amount: str,
        username: str,
        ends_at: datetime | None,
        archive_until: datetime | None,
    ) -> None: ...
