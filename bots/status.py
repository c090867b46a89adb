"""The values a tenant's schema stores for bookings and reminders (sql/tenant/002_booking.sql).

The values are what the `CHECK` constraints allow, a contract with the data already stored in
every `client_NNN`; a test compares them with the database. Members are `str`s: they go to
asyncpg as SQL parameters as they are.
"""

from __future__ import annotations

from enum import StrEnum


class BookingStatus(StrEnum):
    """`bookings.status`."""

    BOOKED = "booked"
    CONFIRMED = "confirmed"  # the customer answered a reminder: "I'll come"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


# The appointment stands: it takes its time, gets reminders, may be changed or cancelled.
ACTIVE_STATUSES = (BookingStatus.BOOKED, BookingStatus.CONFIRMED)


class CancelledBy(StrEnum):
    """`bookings.cancelled_by`."""

    CUSTOMER = "customer"
    OWNER = "owner"


class NoticeState(StrEnum):
    """`notices.state`: pending -> sending (claimed, committed before the send) -> sent, or
    failed (unreachable, or given up after the attempts)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class ReminderState(StrEnum):
    """`reminders.state`: pending -> sending (claimed, committed before the send) -> sent;
    skipped (the booking changed or started); failed (given up after the attempts)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
