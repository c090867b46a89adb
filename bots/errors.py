"""Why a tenant bot's service refuses an action: one class per reason, so that a handler picks
its answer with `except`, never by reading a message."""

from __future__ import annotations

from datetime import datetime


class NotAllowed(Exception):
    """The action is not possible (any more): what the user pressed is stale."""


class ServiceGone(NotAllowed):
    """The service was deleted (or never existed)."""


class StaffGone(NotAllowed):
    """The specialist was deleted (or never existed)."""


class Stranded(Exception):
    """A schedule change would now strand bookings the owner was not shown (made meanwhile):
    nothing was saved; show them first."""


class BookingError(NotAllowed):
    """The booking cannot be made or changed as asked."""


class BookingNotFound(BookingError):
    """No such booking, or it is someone else's."""


class BookingNotActive(BookingError):
    """The booking was cancelled or marked a no-show (or, for a visit, has started)."""


class BookingCutoffPassed(BookingError):
    """Too close to the appointment to cancel or move it (the salon's cutoff)."""


class BookingNotStarted(BookingError):
    """A no-show cannot be marked before the appointment's time."""


class SlotTaken(BookingError):
    """Someone else took the time; `alternatives` are other free times that day (UTC)."""

    def __init__(self, alternatives: list[datetime]) -> None:
        super().__init__("slot taken")
        self.alternatives = alternatives


class InviteInvalid(NotAllowed):
    """The invite link is unknown, used already or expired (or its specialist was deleted)."""


class AlreadyStaff(NotAllowed):
    """This Telegram user is bound to another specialist of the salon already."""

    def __init__(self, name: str) -> None:
        super().__init__("already bound")
        self.name = name
