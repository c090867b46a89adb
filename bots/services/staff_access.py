"""Specialists in the bot: the owner's one-time invite links, accepting one, who is bound to
which specialist, and revoking it. Every check reads the database (no cached role), so a
revoke takes effect on the specialist's very next press."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

import asyncpg

from bots.errors import AlreadyStaff, InviteInvalid, StaffGone
from bots.repository import StaffAccess, StaffRow
from bots.services.base import BaseService

INVITE_PREFIX = "staff-"  # the /start payload of an invite: staff-<token>
INVITE_TTL = timedelta(days=7)
TOKEN_BYTES = 24  # secrets.token_urlsafe: 32 characters of A-Za-z0-9_-
# Telegram takes up to 64 characters of A-Za-z0-9_- after ?start=
PAYLOAD_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_TOKEN_RE = re.compile(rf"{INVITE_PREFIX}([A-Za-z0-9_-]{{16,58}})")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def invite_payload(token: str) -> str:
    """The deep link's start parameter for `token`."""
    payload = INVITE_PREFIX + token
    if PAYLOAD_RE.fullmatch(payload) is None:  # token_urlsafe never makes one, but say so
        raise ValueError("an invite payload Telegram would not take")
    return payload


def token_of(payload: str) -> str | None:
    """The token of a `staff-<token>` payload, or None for anything else."""
    match = _TOKEN_RE.fullmatch(payload)
    return match[1] if match else None


class StaffAccessService(BaseService):
    async def invite(self, staff_id: int) -> str:
        """A new one-time invite for the specialist (replacing an unused older one): the
        start parameter of its deep link. Only the token's hash is stored."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        payload = invite_payload(token)
        async with self.db.acquire() as conn, conn.transaction():
            if await self.repo.staff_member(conn, staff_id) is None:
                raise StaffGone
            await self.repo.replace_invite(
                conn, staff_id, token_hash(token), self.now() + INVITE_TTL
            )
        return payload

    async def accept(self, payload: str, telegram_id: int) -> StaffRow:
        """Bind `telegram_id` to the invite's specialist and use the invite up, in one
        transaction. InviteInvalid: unknown, used, expired or its specialist deleted;
        AlreadyStaff: this user is another specialist of the salon."""
        token = token_of(payload)
        if token is None:
            raise InviteInvalid
        digest, now = token_hash(token), self.now()
        try:
            async with self.db.acquire() as conn, conn.transaction():
                invite = await self.repo.lock_invite(conn, digest)
                if invite is None or invite.used_at is not None or invite.expires_at <= now:
                    raise InviteInvalid
                member = await self.repo.staff_member(conn, invite.staff_id)
                if member is None:
                    raise InviteInvalid
                bound = await self.repo.staff_by_telegram(conn, telegram_id)
                if bound is not None and bound.id != member.id:
                    raise AlreadyStaff(bound.name)
                await self.repo.bind_staff(conn, member.id, telegram_id, now)
                await self.repo.use_invite(conn, digest, telegram_id, now)
        except asyncpg.UniqueViolationError:  # bound to another specialist meanwhile
            async with self.db.acquire() as conn:
                bound = await self.repo.staff_by_telegram(conn, telegram_id)
            raise AlreadyStaff(bound.name if bound else "") from None
        return member

    async def member(self, telegram_id: int) -> StaffRow | None:
        """The specialist this Telegram user is (still) bound to, read now."""
        async with self.db.acquire() as conn:
            return await self.repo.staff_by_telegram(conn, telegram_id)

    async def ended(self, telegram_id: int) -> bool:
        """This Telegram user was a specialist of the salon and is not any more (revoked, or
        the specialist deleted)."""
        async with self.db.acquire() as conn:
            if await self.repo.staff_by_telegram(conn, telegram_id) is not None:
                return False
            return await self.repo.was_staff(conn, telegram_id)

    async def access(self, staff_id: int) -> StaffAccess | None:
        async with self.db.acquire() as conn:
            return await self.repo.staff_access(conn, staff_id)

    async def telegram_of(self, staff_id: int) -> int | None:
        """Whom to tell about the specialist's bookings: their bound Telegram user, or None."""
        found = await self.access(staff_id)
        return found.telegram_id if found else None

    async def revoke(self, staff_id: int) -> int | None:
        """End the specialist's access (and drop an unused invite); the Telegram user who had
        it, or None when nobody had."""
        async with self.db.acquire() as conn, conn.transaction():
            await self.repo.drop_open_invites(conn, staff_id)
            return await self.repo.unbind_staff(conn, staff_id)
