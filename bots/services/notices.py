"""Notices to customers about what the salon did to their bookings (cancelled, moved to another
specialist): queued in the change's own transaction (`BookingService`), sent right after it
(`bots.outbox`), and — if the worker died in between — by the bot's background round. Claimed
(`sending`, committed) before each send, like reminders: one left `sending` for
NOTICE_STUCK_AFTER is tried again (it may, rarely, arrive twice: better than not at all)."""

from __future__ import annotations

from datetime import timedelta

from bots.repository import Notice
from bots.services.base import BaseService
from bots.status import NoticeState

NOTICE_ATTEMPTS = 3
NOTICE_STUCK_AFTER = timedelta(minutes=10)
NOTICE_LEFT_AFTER = timedelta(seconds=30)  # not sent by then: the change's sender died
NOTICE_KEPT = timedelta(days=30)  # sent and failed ones are deleted after this


class NoticeService(BaseService):
    async def claim_for(self, booking_id: int) -> list[Notice]:
        """The notices the change of `booking_id` just queued, marked `sending`."""
        now = self.now()
        async with self.db.acquire() as conn:
            return await self.repo.claim_notices(
                conn, booking_id=booking_id, before=now, now=now, limit=10
            )

    async def claim_left(self, limit: int = 50) -> list[Notice]:
        """Notices nobody sent (the worker died after the change): those queued more than
        NOTICE_LEFT_AFTER ago, and those left `sending` for NOTICE_STUCK_AFTER (tried again
        up to NOTICE_ATTEMPTS times). Sent and failed ones older than NOTICE_KEPT go."""
        now = self.now()
        async with self.db.acquire() as conn:
            await self.repo.retry_notices(
                conn,
                ids=[],
                stuck_before=now - NOTICE_STUCK_AFTER,
                max_attempts=NOTICE_ATTEMPTS,
                now=now,
            )
            await self.repo.purge_notices(conn, now - NOTICE_KEPT)
            return await self.repo.claim_notices(
                conn, booking_id=None, before=now - NOTICE_LEFT_AFTER, now=now, limit=limit
            )

    async def finish(self, notice: Notice, delivered: bool | None) -> None:
        """`delivered`: True sent, False unreachable (failed; the customer is marked so), None
        a transient error (tried again later, up to NOTICE_ATTEMPTS)."""
        now = self.now()
        async with self.db.acquire() as conn, conn.transaction():
            if delivered is None:
                await self.repo.retry_notices(
                    conn, ids=[notice.id], stuck_before=None, max_attempts=NOTICE_ATTEMPTS, now=now
                )
                return
            state = NoticeState.SENT if delivered else NoticeState.FAILED
            await self.repo.finish_notice(conn, notice.id, state, now)
            if not delivered:
                await self.repo.mark_unreachable(conn, notice.chat_id)

    async def release(self, notice: Notice) -> None:
        """Not sent (Telegram asked to wait): pending again, for the next round."""
        async with self.db.acquire() as conn:
            await self.repo.finish_notice(conn, notice.id, NoticeState.PENDING, None)
