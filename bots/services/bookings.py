"""Bookings: what a customer can book and when, the booking itself, the customer's own
bookings, and the owner's operations on any booking."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import asyncpg

from bots.errors import (
    BookingCutoffPassed,
    BookingNotActive,
    BookingNotFound,
    BookingNotStarted,
    ServiceGone,
    SlotTaken,
)
from bots.repository import BookingRow, ServiceRow, StaffRow
from bots.services.base import BaseService, SalonSettings
from bots.slots import (
    Interval,
    StaffDay,
    day_bounds_utc,
    days_with_slots,
    free_at,
    free_slots_any,
    local_today,
)
from bots.status import ACTIVE_STATUSES, BookingStatus, CancelledBy

EXCLUSION_VIOLATION = "23P01"


UPCOMING_HORIZON = timedelta(days=400)


def _own_times(free: dict[datetime, list[int]], staff_id: int) -> list[datetime]:
    """The free times (of `available_times`) when `staff_id` is free."""
    return [t for t, ids in free.items() if staff_id in ids]


# The customer's notice about their booking as the salon changed it (its text, rendered by the
# caller): queued in the change's transaction.
Tell = Callable[[BookingRow], str]


class _ScheduleChanged(Exception):
    """Inside a booking's transaction: the specialist's schedule no longer takes it."""  # longer than any booking horizon (≤ 120 days)


@dataclass(frozen=True)
class Draft:
    service_id: int
    staff_id: int  # 0 = any free specialist
    starts_at: datetime
    request_key: str
    customer_id: int  # the customer booking; by_owner: the owner, booking for name and phone
    name: str
    phone: str
    by_owner: bool = False


# what `_others_free` loaded for a service and a day: its slot data and who does it
Loads = dict[
    tuple[int, date], tuple[tuple[ServiceRow, SalonSettings, list[StaffDay]] | None, list[StaffRow]]
]


@dataclass(frozen=True)
class Move:
    """Where a booking stranded by an owner's edit could go: `to` another specialist free at
    its very time, or None (nobody: it is cancelled)."""

    booking: BookingRow
    to: StaffRow | None


@dataclass(frozen=True)
class BookResult:
    booking: BookingRow
    created: bool  # False: this request was booked before (a double tap)


def new_request_key() -> str:
    return secrets.token_hex(8)


class BookingService(BaseService):
    # --- what can be booked ----------------------------------------------------------------

    async def bookable_services(self) -> list[ServiceRow]:
        async with self.db.acquire() as conn:
            return await self.repo.services(conn, bookable_only=True)

    async def service(self, service_id: int) -> ServiceRow | None:
        async with self.db.acquire() as conn:
            return await self.repo.service(conn, service_id)

    async def staff_for(self, service_id: int) -> list[StaffRow]:
        async with self.db.acquire() as conn:
            return await self.repo.staff(conn, service_id=service_id)

    async def _load(
        self, conn, service_id: int, staff_id: int, first: date, last: date, ignore: int = 0
    ) -> tuple[ServiceRow, SalonSettings, list[StaffDay]] | None:
        service = await self.repo.service(conn, service_id)
        if service is None:
            return None
        settings = await self.settings(conn)
        staff = await self.repo.staff(conn, service_id=service_id)
        if staff_id:
            staff = [s for s in staff if s.id == staff_id]
        if not staff:
            return None
        ids = [s.id for s in staff]
        days = {s.id: StaffDay(s.id) for s in staff}
        for h in await self.repo.hours(conn, ids):
            days[h.staff_id].weekly.setdefault(h.weekday, []).append(Interval(h.starts, h.ends))
        for e in await self.repo.exceptions(conn, ids, first, last):
            found = days[e.staff_id].exceptions.setdefault(e.day, [])
            if e.starts is not None:
                found.append(Interval(e.starts, e.ends))
        start, _ = day_bounds_utc(first, settings.tz)
        _, end = day_bounds_utc(last, settings.tz)
        for staff_member, begin, until in await self.repo.busy(
            conn, ids, start - timedelta(days=1), end, ignore
        ):
            days[staff_member].busy.append((begin, until))
        return service, settings, list(days.values())

    async def available_days(
        self, service_id: int, staff_id: int, ignore: int = 0
    ) -> tuple[list[date], SalonSettings]:
        now = self.now()
        async with self.db.acquire() as conn:
            settings = await self.settings(conn)
            today = local_today(now, settings.tz)
            last = today + timedelta(days=max(settings.horizon_days - 1, 0))
            loaded = await self._load(conn, service_id, staff_id, today, last, ignore)
        if loaded is None:
            return [], settings
        service, settings, staff = loaded
        return days_with_slots(staff, now, settings.rules(service)), settings

    async def available_times(
        self, service_id: int, staff_id: int, day: date, conn=None, *, ignore: int = 0
    ) -> dict[datetime, list[int]]:
        """Free start time (UTC) -> the specialists free then; `ignore`: a booking being
        moved (it does not block its own new time)."""
        if conn is None:
            async with self.db.acquire() as conn:
                return await self.available_times(service_id, staff_id, day, conn, ignore=ignore)
        now = self.now()
        loaded = await self._load(conn, service_id, staff_id, day, day, ignore)
        if loaded is None:
            return {}
        service, settings, staff = loaded
        return free_slots_any(staff, day, now, settings.rules(service))

    async def first_free_staff(self, service_id: int, starts_at: datetime) -> StaffRow | None:
        """Who «any free specialist» gets at `starts_at` if booked now: `book` takes the
        specialists free then in this order. None when nobody is free then any more."""
        settings = await self.settings()
        free = await self.available_times(service_id, 0, starts_at.astimezone(settings.tz).date())
        ids = free.get(starts_at)
        if not ids:
            return None
        return next((s for s in await self.staff_for(service_id) if s.id == ids[0]), None)

    # --- booking ---------------------------------------------------------------------------

    async def save_contact(self, customer_id: int, name: str, phone: str) -> bool:
        """The customer's name and phone, remembered for the next booking. True: the owner had
        booked this phone before (a call, a walk-in): those bookings are this customer's now."""
        async with self.db.acquire() as conn, conn.transaction():
            await self.repo.save_contact(conn, customer_id, name, phone)
            return await self.repo.adopt_walk_in(conn, customer_id, phone)

    async def booking_by_key(self, request_key: str) -> BookingRow | None:
        async with self.db.acquire() as conn:
            return await self.repo.booking_by_key(conn, request_key)

    async def book(self, draft: Draft, tell: Tell | None = None) -> BookResult:
        """Book `draft`; a repeated request key returns the first booking. Raises SlotTaken.
        `tell`: the customer's notice (the owner booked them), queued with the booking."""
        async with self.db.acquire() as conn:
            existing = await self.repo.booking_by_key(conn, draft.request_key)
            if existing is not None:
                return BookResult(existing, False)
            settings = await self.settings(conn)
            service = await self.repo.service(conn, draft.service_id)
            if service is None:
                raise ServiceGone
            local_day = draft.starts_at.astimezone(settings.tz).date()
            free = await self.available_times(draft.service_id, draft.staff_id, local_day, conn)
            candidates = free.get(draft.starts_at, [])
            # the chosen specialist, or (for «any») each specialist free then, in order
            if not candidates:
                return await self._taken_or_done(conn, draft, list(free))
            end = draft.starts_at + timedelta(minutes=service.duration_min)
            until = end + timedelta(minutes=settings.buffer_min)
            for staff_id in candidates:
                try:
                    async with conn.transaction():
                        if not await self._holds(
                            conn, staff_id, service.id, draft.starts_at, end, until
                        ):
                            raise _ScheduleChanged
                        customer_id = await self._customer(conn, draft)
                        booking_id = await self.repo.insert_booking(
                            conn,
                            request_key=draft.request_key,
                            customer_id=customer_id,
                            customer_name=draft.name,
                            customer_phone=draft.phone,
                            service_id=service.id,
                            staff_id=staff_id,
                            price=service.price,
                            starts_at=draft.starts_at,
                            ends_at=end,
                            blocked_until=until,
                        )
                        if booking_id is None:  # the other tap won the race
                            existing = await self.repo.booking_by_key(conn, draft.request_key)
                            return BookResult(existing, False)
                        await self._schedule_reminders(conn, booking_id, draft.starts_at, settings)
                        booking = await self.repo.booking(conn, booking_id)
                        await self._queue_notice(conn, booking, tell)
                except _ScheduleChanged:
                    continue  # their hours or blocked time changed meanwhile: the next one
                except asyncpg.PostgresError as exc:
                    if exc.sqlstate != EXCLUSION_VIOLATION:
                        raise
                    existing = await self.repo.booking_by_key(conn, draft.request_key)
                    if existing is not None:
                        return BookResult(existing, False)
                    continue  # that specialist was just taken: try the next one
                return BookResult(booking, True)
            free = await self.available_times(draft.service_id, draft.staff_id, local_day, conn)
            return await self._taken_or_done(conn, draft, list(free))

    async def _holds(
        self,
        conn,
        staff_id: int,
        service_id: int,
        starts_at: datetime,
        ends_at: datetime,
        until: datetime,
        ignore: int = 0,
    ) -> bool:
        """In a booking's transaction: the specialist's schedule and the service are locked
        against changes and deletion until it commits (a change under way finishes first:
        ScheduleService, CatalogueService), and, as they are now, still take [starts_at, ends_at) busy `until` — working hours, exceptions, blocked
        time and other bookings (`ignore`: the booking being moved)."""
        if not await self.repo.share_staff_schedule(conn, staff_id):
            return False
        if not await self.repo.share_service(conn, service_id):
            return False
        settings = await self.settings(conn)
        day = starts_at.astimezone(settings.tz).date()
        loaded = await self._load(conn, service_id, staff_id, day, day, ignore)
        if loaded is None:
            return False
        _, _, days = loaded
        return free_at(days[0], starts_at, ends_at, until, settings.tz)

    async def _customer(self, conn, draft: Draft) -> int:
        """Whom `draft` books: the customer (their contact remembered), or for the owner the
        Telegram customer with that phone, else the phone's walk-in entry."""
        if draft.by_owner:
            return await self.repo.client_by_phone(conn, draft.name, draft.phone)
        await self.repo.save_contact(conn, draft.customer_id, draft.name, draft.phone)
        return draft.customer_id

    async def _taken_or_done(self, conn, draft: Draft, alternatives: list[datetime]) -> BookResult:
        """The slot is gone — maybe to this very request (a double tap that lost the race)."""
        existing = await self.repo.booking_by_key(conn, draft.request_key)
        if existing is not None:
            return BookResult(existing, False)
        raise SlotTaken(alternatives)

    async def _schedule_reminders(
        self, conn, booking_id: int, starts_at: datetime, settings: SalonSettings
    ) -> None:
        now = self.now()
        due = [
            (offset, starts_at - timedelta(minutes=offset))
            for offset in settings.reminders_min
            if starts_at - timedelta(minutes=offset) > now
        ]
        await self.repo.replace_reminders(conn, booking_id, due)

    # --- the customer's bookings -----------------------------------------------------------

    async def upcoming(self, customer_id: int) -> list[BookingRow]:
        async with self.db.acquire() as conn:
            return await self.repo.customer_upcoming(conn, customer_id, self.now())

    async def customer_booking(self, customer_id: int, booking_id: int) -> BookingRow | None:
        async with self.db.acquire() as conn:
            booking = await self.repo.booking(conn, booking_id)
        if booking is None or booking.customer_id != customer_id:
            return None
        return booking

    async def can_change(self, booking: BookingRow, settings: SalonSettings) -> bool:
        cutoff = booking.starts_at - timedelta(minutes=settings.cancel_cutoff_min)
        return booking.status in ACTIVE_STATUSES and self.now() < cutoff

    async def cancel_by_customer(self, customer_id: int, booking_id: int) -> BookingRow:
        async with self.db.acquire() as conn, conn.transaction():
            booking = await self.repo.booking(conn, booking_id, for_update=True)
            if booking is None or booking.customer_id != customer_id:
                raise BookingNotFound
            if booking.status == BookingStatus.CANCELLED:
                raise BookingNotActive
            settings = await self.settings(conn)
            if not await self.can_change(booking, settings):
                raise BookingCutoffPassed
            await self.repo.set_status(
                conn, booking_id, BookingStatus.CANCELLED, cancelled_by=CancelledBy.CUSTOMER
            )
            await self.repo.skip_reminders(conn, booking_id)
            return replace(
                booking, status=BookingStatus.CANCELLED, cancelled_by=CancelledBy.CUSTOMER
            )

    async def confirm_visit(self, customer_id: int, booking_id: int) -> BookingRow:
        async with self.db.acquire() as conn, conn.transaction():
            booking = await self.repo.booking(conn, booking_id, for_update=True)
            if booking is None or booking.customer_id != customer_id:
                raise BookingNotFound
            if booking.status not in ACTIVE_STATUSES or booking.starts_at <= self.now():
                raise BookingNotActive
            await self.repo.set_status(conn, booking_id, BookingStatus.CONFIRMED)
            return replace(booking, status=BookingStatus.CONFIRMED)

    async def reschedule(
        self, customer_id: int, booking_id: int, starts_at: datetime
    ) -> tuple[BookingRow, BookingRow]:
        """Move a booking to `starts_at` with the same specialist; returns (old, new)."""
        async with self.db.acquire() as conn:
            async with conn.transaction():
                booking = await self.repo.booking(conn, booking_id, for_update=True)
                if booking is None or booking.customer_id != customer_id:
                    raise BookingNotFound
                settings = await self.settings(conn)
                if not await self.can_change(booking, settings):
                    raise BookingCutoffPassed
            local_day = starts_at.astimezone(settings.tz).date()
            free = await self.available_times(
                booking.service_id, booking.staff_id, local_day, conn, ignore=booking_id
            )
            if booking.staff_id not in free.get(starts_at, []):
                raise SlotTaken(_own_times(free, booking.staff_id))
            duration = booking.ends_at - booking.starts_at
            ends_at = starts_at + duration
            until = ends_at + timedelta(minutes=settings.buffer_min)
            try:
                async with conn.transaction():
                    current = await self.repo.booking(conn, booking_id, for_update=True)
                    if current.status not in ACTIVE_STATUSES:
                        raise BookingNotActive
                    if not await self._holds(
                        conn, booking.staff_id, booking.service_id, starts_at, ends_at, until,
                        booking_id,
                    ):  # fmt: skip
                        raise _ScheduleChanged
                    await self.repo.move_booking(conn, booking_id, starts_at, ends_at, until)
                    await self._schedule_reminders(conn, booking_id, starts_at, settings)
            except asyncpg.PostgresError as exc:
                if exc.sqlstate != EXCLUSION_VIOLATION:
                    raise
                taken = True  # booked by someone else meanwhile
            except _ScheduleChanged:
                taken = True  # closed meanwhile (hours, a day off, blocked time)
            else:
                taken = False
            if taken:
                free = await self.available_times(
                    booking.service_id, booking.staff_id, local_day, conn, ignore=booking_id
                )
                raise SlotTaken(_own_times(free, booking.staff_id))
            return booking, await self.repo.booking(conn, booking_id)

    # --- the owner's operations on any booking ---------------------------------------------

    async def bookings_on(self, day: date) -> list[BookingRow]:
        async with self.db.acquire() as conn:
            settings = await self.settings(conn)
            start, end = day_bounds_utc(day, settings.tz)
            return await self.repo.bookings_between(conn, start, end)

    async def booking(self, booking_id: int) -> BookingRow | None:
        async with self.db.acquire() as conn:
            return await self.repo.booking(conn, booking_id)

    async def upcoming_all(self) -> list[BookingRow]:
        """Every standing booking still ahead, soonest first (what an edit could strand)."""
        async with self.db.acquire() as conn:
            return await self.repo.standing_ahead(conn, self.now(), UPCOMING_HORIZON)

    async def cancel_by_owner(self, booking_id: int, tell: Tell | None = None) -> BookingRow:
        """Cancel a standing booking for the salon; `tell`: the customer's notice, queued in
        the same transaction (NoticeService)."""
        async with self.db.acquire() as conn, conn.transaction():
            booking = await self.repo.booking(conn, booking_id, for_update=True)
            if booking is None or booking.status not in ACTIVE_STATUSES:
                raise BookingNotActive
            await self.repo.set_status(
                conn, booking_id, BookingStatus.CANCELLED, cancelled_by=CancelledBy.OWNER
            )
            await self.repo.skip_reminders(conn, booking_id)
            cancelled = replace(
                booking, status=BookingStatus.CANCELLED, cancelled_by=CancelledBy.OWNER
            )
            await self._queue_notice(conn, cancelled, tell)
            return cancelled

    async def _queue_notice(self, conn, booking: BookingRow, tell: Tell | None) -> None:
        if tell is not None and not booking.walk_in:  # a walk-in has no chat: the owner calls
            await self.repo.enqueue_notice(
                conn, booking.customer_id, booking.id, tell(booking), self.now()
            )

    # --- moving bookings an owner's edit strands to another specialist ------------------

    async def move_plan(self, rows: list[BookingRow]) -> list[Move]:
        """Who could take each of `rows` (bookings of a specialist an edit strands) at its very
        time: the first other active specialist who does its service and is free then, none
        taking two bookings at once. Nothing is changed: `move_to_other` decides for real."""
        taken: dict[int, list[tuple[datetime, datetime]]] = {}
        loads: Loads = {}  # one load per service and day
        plan = []
        async with self.db.acquire() as conn:
            for booking in rows:
                others = await self._others_free(conn, booking, taken, loads)
                to = others[0] if others else None
                if to is not None:
                    taken.setdefault(to.id, []).append((booking.starts_at, booking.blocked_until))
                plan.append(Move(booking, to))
        return plan

    async def move_to_other(
        self, booking: BookingRow, tell: Tell | None = None
    ) -> BookingRow | None:
        """Give `booking` to another specialist free at its very time (its staff_id changed in
        one statement, its reminders kept); the booking as it is now, or None when nobody can
        take it. A specialist booked meanwhile (the exclusion constraint) is a failed try: the
        next one free is tried. Raises BookingNotActive when the booking was cancelled, moved or
        has started since it was listed."""
        async with self.db.acquire() as conn:
            for staff in await self._others_free(conn, booking, {}):
                try:
                    async with conn.transaction():
                        current = await self.repo.booking(conn, booking.id, for_update=True)
                        if not self._still_stranded(current, booking):
                            raise BookingNotActive
                        if not await self._holds(
                            conn, staff.id, booking.service_id, booking.starts_at,
                            booking.ends_at, booking.blocked_until, booking.id,
                        ):  # fmt: skip
                            raise _ScheduleChanged
                        await self.repo.set_booking_staff(conn, booking.id, staff.id)
                        moved = await self.repo.booking(conn, booking.id)
                        await self._queue_notice(conn, moved, tell)
                except _ScheduleChanged:
                    continue  # their hours or blocked time changed meanwhile: the next one
                except asyncpg.PostgresError as exc:
                    if exc.sqlstate != EXCLUSION_VIOLATION:
                        raise
                    continue  # booked meanwhile: the next one free
                return moved
        return None

    def _still_stranded(self, current: BookingRow | None, listed: BookingRow) -> bool:
        return (
            current is not None
            and current.status in ACTIVE_STATUSES
            and (current.staff_id, current.starts_at) == (listed.staff_id, listed.starts_at)
            and current.starts_at > self.now()
        )

    async def _others_free(
        self,
        conn,
        booking: BookingRow,
        taken: dict[int, list[tuple[datetime, datetime]]],
        loads: Loads | None = None,
    ) -> list[StaffRow]:
        """The other active specialists doing `booking`'s service who are free at its very
        time (working hours, exceptions, blocked time, their bookings and `taken`), in order.
        `loads`: what was loaded for a service and day, reused (none: loaded afresh)."""
        settings = await self.settings(conn)
        day = booking.starts_at.astimezone(settings.tz).date()
        key = (booking.service_id, day)
        if loads is None or key not in loads:
            # the booking's own range is busy on its own specialist only, who is not a candidate
            loaded = await self._load(conn, booking.service_id, 0, day, day)
            staff = await self.repo.staff(conn, service_id=booking.service_id)
            if loads is not None:
                loads[key] = loaded, staff
        else:
            loaded, staff = loads[key]
        if loaded is None:  # the service is gone, or nobody does it
            return []
        _, _, days = loaded
        free = {
            d.staff_id
            for d in days
            if d.staff_id != booking.staff_id
            and free_at(
                StaffDay(d.staff_id, d.weekly, d.exceptions, d.busy + taken.get(d.staff_id, [])),
                booking.starts_at,
                booking.ends_at,
                booking.blocked_until,
                settings.tz,
            )
        }
        return [s for s in staff if s.id in free]

    async def mark_no_show(self, booking_id: int) -> BookingRow:
        async with self.db.acquire() as conn, conn.transaction():
            booking = await self.repo.booking(conn, booking_id, for_update=True)
            if booking is None or booking.status not in ACTIVE_STATUSES:
                raise BookingNotActive
            if booking.starts_at > self.now():
                raise BookingNotStarted
            await self.repo.set_status(conn, booking_id, BookingStatus.NO_SHOW)
            await self.repo.skip_reminders(conn, booking_id)
            return replace(booking, status=BookingStatus.NO_SHOW)
