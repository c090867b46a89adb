"""Reminders before a visit: claimed, sent, retried, given up."""

from __future__ import annotations

from datetime import timedelta

from bots.repository import BookingRow, DueReminder
from bots.services.base import BaseService
from bots.status import ReminderState

REMINDER_ATTEMPTS = 3
REMINDER_STUCK_AFTER = timedelta(minutes=10)


class ReminderService(BaseService):
    async def claim_due(self, limit: int = 50) -> list[DueReminder]:
        """Due reminders, marked `sending` in a committed transaction before any is sent:
        a crash between claiming and sending loses that reminder rather than sending it twice."""
        now = self.now()
        async with self.db.acquire() as conn, conn.transaction():
            await self.repo.expire_reminders(conn, now)
            return await self.repo.claim_due_reminders(conn, now, limit)

    async def finish(self, reminder: DueReminder, *, sent: bool, unreachable: bool) -> None:
        async with self.db.acquire() as conn, conn.transaction():
            await self.repo.finish_reminder(
                conn,
                reminder.id,
                ReminderState.SENT if sent else ReminderState.FAILED,
                self.now(),
            )
            if unreachable:
                await self.repo.mark_unreachable(conn, reminder.booking.customer_id)

    async def release(self, reminder: DueReminder) -> None:
        """Not sent (Telegram said so): back to pending for the next round."""
        async with self.db.acquire() as conn:
            await self.repo.finish_reminder(conn, reminder.id, ReminderState.PENDING, None)

    async def retry_later(self, reminder: DueReminder) -> BookingRow | None:
        """A transient send error: try again next round, up to REMINDER_ATTEMPTS; returns the
        booking when this was the last try (the reminder is `failed` now)."""
        async with self.db.acquire() as conn:
            done = await self.repo.retry_reminders(
                conn, ids=[reminder.id], stuck_before=None, max_attempts=REMINDER_ATTEMPTS
            )
        return reminder.booking if done and done[0][1] == ReminderState.FAILED else None

    async def recover_stuck(self) -> list[BookingRow]:
        """Reminders left `sending` for REMINDER_STUCK_AFTER (the worker died between claiming
        and sending) are tried again, up to REMINDER_ATTEMPTS; returns the bookings of those
        that were given up."""
        async with self.db.acquire() as conn:
            done = await self.repo.retry_reminders(
                conn,
                ids=None,
                stuck_before=self.now() - REMINDER_STUCK_AFTER,
                max_attempts=REMINDER_ATTEMPTS,
            )
            return [
                await self.repo.booking(conn, booking_id)
                for booking_id, state in done
                if state == ReminderState.FAILED
            ]
