"""Tenant bot services: no aiogram here; each owns its transaction.

Times: the database holds UTC; the salon's time zone (`timezone` setting) turns them into
local days and wall-clock times. Every "now" comes from the injected clock.
"""

from __future__ import annotations

import csv
import io
import secrets
import time as time_module
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from bots import texts
from bots.clock import Clock, SystemClock
from bots.context import TenantContext
from bots.errors import (
    BookingCutoffPassed,
    BookingNotActive,
    BookingNotFound,
    BookingNotStarted,
    ServiceGone,
    SlotTaken,
    StaffGone,
)
from bots.parsing import WEEKDAYS, InputError
from bots.repository import BookingRow, CustomerRow, DueReminder, Repo, ServiceRow, StaffRow
from bots.slots import Interval, Rules, StaffDay, day_bounds_utc, free_slots, local_today
from bots.status import ACTIVE_STATUSES, BookingStatus, CancelledBy, ReminderState
from core.text import csv_cell

EXCLUSION_VIOLATION = "23P01"


@dataclass
class SalonSettings:
    company_name: str = ""
    address: str = ""
    phone: str = ""
    description: str = ""
    timezone: str = "Europe/Moscow"
    slot_step_min: int = 30
    buffer_min: int = 0
    min_notice_min: int = 60
    horizon_days: int = 14
    cancel_cutoff_min: int = 120
    reminders_min: list[int] = field(default_factory=lambda: [1440, 120])

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def load(cls, stored: dict[str, Any], company_name: str) -> SalonSettings:
        base = cls(company_name=company_name)
        known = {k: v for k, v in stored.items() if k in cls.__dataclass_fields__}
        try:
            result = replace(base, **known)
            ZoneInfo(result.timezone)
            return result
        except (TypeError, ValueError, KeyError):
            return base

    def rules(self, service: ServiceRow) -> Rules:
        return Rules(
            tz=self.tz,
            duration=timedelta(minutes=service.duration_min),
            step=timedelta(minutes=self.slot_step_min),
            buffer=timedelta(minutes=self.buffer_min),
            min_notice=timedelta(minutes=self.min_notice_min),
            horizon_days=self.horizon_days,
        )


SETTING_KEYS = tuple(SalonSettings.__dataclass_fields__)


@dataclass(frozen=True)
class Draft:
    service_id: int
    staff_id: int  # 0 = any free specialist
    starts_at: datetime
    request_key: str
    customer_id: int
    name: str
    phone: str


@dataclass(frozen=True)
class BookResult:
    booking: BookingRow
    created: bool  # False: this request was booked before (a double tap)


@dataclass(frozen=True)
class Stats:
    first: date
    last: date
    total: int
    cancelled: int
    no_show: int
    revenue: int
    by_service: list[tuple[str, int, int]]  # name, visits, revenue


def new_request_key() -> str:
    return secrets.token_hex(8)


class SettingsCache:
    """The salon's settings, shared by one bot's services. A tenant bot runs in one process
    (one poller per token), and its own writes clear the cache; `ttl` bounds how long a
    write from elsewhere takes to show."""

    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self.value: SalonSettings | None = None
        self.loaded_at = 0.0

    def get(self) -> SalonSettings | None:
        if self.value is not None and time_module.monotonic() - self.loaded_at < self.ttl:
            return self.value
        return None

    def put(self, value: SalonSettings) -> None:
        self.value, self.loaded_at = value, time_module.monotonic()

    def clear(self) -> None:
        self.value = None


class BaseService:
    def __init__(
        self,
        db: asyncpg.Pool,
        tenant: TenantContext,
        clock: Clock | None = None,
        cache: SettingsCache | None = None,
    ):
        self.db = db
        self.tenant = tenant
        self.repo = Repo(tenant.client_id)
        self.clock = clock or SystemClock()
        self.cache = cache or SettingsCache(ttl=0)

    async def settings(self, conn=None) -> SalonSettings:
        cached = self.cache.get()
        if cached is not None:
            return cached
        if conn is None:
            async with self.db.acquire() as conn:
                return await self.settings(conn)
        stored = await self.repo.settings(conn)
        value = SalonSettings.load(stored, self.tenant.company_name)
        self.cache.put(value)
        return value

    def now(self) -> datetime:
        return self.clock.now()


class CustomerService(BaseService):
    async def greet(self, telegram_id: int, first_name: str | None, username: str | None) -> bool:
        """Remember who pressed Start; returns True for the owner."""
        is_admin = telegram_id == self.tenant.admin_telegram_id
        async with self.db.acquire() as conn:
            await self.repo.touch_user(
                conn,
                telegram_id=telegram_id,
                first_name=first_name,
                username=username,
                is_admin=is_admin,
            )
        return is_admin

    async def customer(self, telegram_id: int) -> CustomerRow | None:
        async with self.db.acquire() as conn:
            return await self.repo.customer(conn, telegram_id)


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
        rules = settings.rules(service)
        days = []
        for i in range(settings.horizon_days):
            day = today + timedelta(days=i)
            if any(free_slots(member, day, now, rules) for member in staff):
                days.append(day)
        return days, settings

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
        rules = settings.rules(service)
        found: dict[datetime, list[int]] = defaultdict(list)
        for member in staff:
            for slot in free_slots(member, day, now, rules):
                found[slot].append(member.staff_id)
        return dict(sorted(found.items()))

    # --- booking ---------------------------------------------------------------------------

    async def save_contact(self, customer_id: int, name: str, phone: str) -> None:
        """The customer's name and phone, remembered for the next booking."""
        async with self.db.acquire() as conn:
            await self.repo.save_contact(conn, customer_id, name, phone)

    async def booking_by_key(self, request_key: str) -> BookingRow | None:
        async with self.db.acquire() as conn:
            return await self.repo.booking_by_key(conn, request_key)

    async def book(self, draft: Draft) -> BookResult:
        """Book `draft`; a repeated request key returns the first booking. Raises SlotTaken."""
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
                        await self.repo.save_contact(
                            conn, draft.customer_id, draft.name, draft.phone
                        )
                        booking_id = await self.repo.insert_booking(
                            conn,
                            request_key=draft.request_key,
                            customer_id=draft.customer_id,
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
                except asyncpg.PostgresError as exc:
                    if exc.sqlstate != EXCLUSION_VIOLATION:
                        raise
                    existing = await self.repo.booking_by_key(conn, draft.request_key)
                    if existing is not None:
                        return BookResult(existing, False)
                    continue  # that specialist was just taken: try the next one
                booking = await self.repo.booking(conn, booking_id)
                return BookResult(booking, True)
            free = await self.available_times(draft.service_id, draft.staff_id, local_day, conn)
            return await self._taken_or_done(conn, draft, list(free))

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
                raise SlotTaken([t for t, ids in free.items() if booking.staff_id in ids])
            duration = booking.ends_at - booking.starts_at
            try:
                async with conn.transaction():
                    current = await self.repo.booking(conn, booking_id, for_update=True)
                    if current.status not in ACTIVE_STATUSES:
                        raise BookingNotActive
                    await self.repo.move_booking(
                        conn,
                        booking_id,
                        starts_at,
                        starts_at + duration,
                        starts_at + duration + timedelta(minutes=settings.buffer_min),
                    )
                    await self._schedule_reminders(conn, booking_id, starts_at, settings)
            except asyncpg.PostgresError as exc:
                if exc.sqlstate != EXCLUSION_VIOLATION:
                    raise
                free = await self.available_times(
                    booking.service_id, booking.staff_id, local_day, conn, ignore=booking_id
                )
                raise SlotTaken([t for t, ids in free.items() if booking.staff_id in ids]) from None
            return booking, await self.repo.booking(conn, booking_id)


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


class AdminService(BaseService):
    # --- setup state -----------------------------------------------------------------------

    async def is_ready(self) -> bool:
        async with self.db.acquire() as conn:
            return bool(await self.repo.services(conn, bookable_only=True))

    async def claim_owner_greeting(self) -> bool:
        """True exactly once per tenant: whoever gets it sends the first-run guide."""
        async with self.db.acquire() as conn:
            return await self.repo.set_setting_once(conn, "_owner_greeted", True)

    async def unclaim_owner_greeting(self) -> None:
        """The guide did not arrive (the owner never pressed Start): /start will show it."""
        async with self.db.acquire() as conn:
            await self.repo.delete_setting(conn, "_owner_greeted")

    async def setup_progress(self) -> dict[str, bool]:
        async with self.db.acquire() as conn:
            services = await self.repo.services(conn)
            staff = await self.repo.staff(conn)
            bookable = await self.repo.services(conn, bookable_only=True)
        return {"services": bool(services), "staff": bool(staff), "ready": bool(bookable)}

    # --- settings --------------------------------------------------------------------------

    async def update_setting(self, key: str, value: Any) -> SalonSettings:
        if key not in SETTING_KEYS:
            raise InputError("Нет такой настройки.")
        async with self.db.acquire() as conn:
            await self.repo.set_setting(conn, key, value)
            self.cache.clear()
            return await self.settings(conn)

    # --- services --------------------------------------------------------------------------

    async def services(self) -> list[ServiceRow]:
        async with self.db.acquire() as conn:
            return await self.repo.services(conn)

    async def service(self, service_id: int) -> ServiceRow | None:
        async with self.db.acquire() as conn:
            return await self.repo.service(conn, service_id)

    async def add_service(self, name: str, duration_min: int, price: int) -> int:
        async with self.db.acquire() as conn:
            return await self.repo.add_service(conn, name, duration_min, price)

    async def update_service(
        self, service_id: int, name: str, duration_min: int, price: int
    ) -> bool:
        async with self.db.acquire() as conn:
            return await self.repo.update_service(conn, service_id, name, duration_min, price)

    async def delete_service(self, service_id: int) -> bool:
        async with self.db.acquire() as conn:
            return await self.repo.deactivate_service(conn, service_id)

    # --- staff -----------------------------------------------------------------------------

    async def staff(self) -> list[StaffRow]:
        async with self.db.acquire() as conn:
            return await self.repo.staff(conn)

    async def staff_member(self, staff_id: int) -> StaffRow | None:
        async with self.db.acquire() as conn:
            return await self.repo.staff_member(conn, staff_id)

    async def add_staff(self, name: str) -> int:
        async with self.db.acquire() as conn:
            return await self.repo.add_staff(conn, name)

    async def delete_staff(self, staff_id: int) -> bool:
        async with self.db.acquire() as conn:
            return await self.repo.deactivate_staff(conn, staff_id)

    async def staff_services(self, staff_id: int) -> tuple[list[ServiceRow], set[int]]:
        async with self.db.acquire() as conn:
            return await self.repo.services(conn), await self.repo.staff_service_ids(conn, staff_id)

    async def toggle_staff_service(self, staff_id: int, service_id: int) -> bool:
        async with self.db.acquire() as conn, conn.transaction():
            if await self.repo.staff_member(conn, staff_id) is None:
                raise StaffGone
            if await self.repo.service(conn, service_id) is None:
                raise ServiceGone
            return await self.repo.toggle_staff_service(conn, staff_id, service_id)

    async def schedule(
        self, staff_id: int
    ) -> tuple[dict[int, list[Interval]], dict[date, list[Interval]]]:
        now = self.now()
        async with self.db.acquire() as conn:
            settings = await self.settings(conn)
            today = local_today(now, settings.tz)
            week: dict[int, list[Interval]] = {}
            for h in await self.repo.hours(conn, [staff_id]):
                week.setdefault(h.weekday, []).append(Interval(h.starts, h.ends))
            exceptions: dict[date, list[Interval]] = {}
            for e in await self.repo.exceptions(
                conn, [staff_id], today, today + timedelta(days=366)
            ):
                found = exceptions.setdefault(e.day, [])
                if e.starts is not None:
                    found.append(Interval(e.starts, e.ends))
        return week, exceptions

    async def set_week(self, staff_id: int, week: dict[int, list[Interval]]) -> None:
        rows = [(d, i.starts, i.ends) for d, intervals in sorted(week.items()) for i in intervals]
        async with self.db.acquire() as conn, conn.transaction():
            if await self.repo.staff_member(conn, staff_id) is None:
                raise StaffGone
            await self.repo.replace_hours(conn, staff_id, rows)

    async def set_exception(self, staff_id: int, day: date, intervals: list[Interval]) -> None:
        async with self.db.acquire() as conn, conn.transaction():
            if await self.repo.staff_member(conn, staff_id) is None:
                raise StaffGone
            await self.repo.replace_exception(
                conn, staff_id, day, [(i.starts, i.ends) for i in intervals]
            )

    async def delete_exception(self, staff_id: int, day: date) -> bool:
        async with self.db.acquire() as conn:
            return await self.repo.delete_exception_day(conn, staff_id, day)

    # --- bookings --------------------------------------------------------------------------

    async def today(self) -> date:
        settings = await self.settings()
        return local_today(self.now(), settings.tz)

    async def bookings_on(self, day: date) -> list[BookingRow]:
        async with self.db.acquire() as conn:
            settings = await self.settings(conn)
            start, end = day_bounds_utc(day, settings.tz)
            return await self.repo.bookings_between(conn, start, end)

    async def booking(self, booking_id: int) -> BookingRow | None:
        async with self.db.acquire() as conn:
            return await self.repo.booking(conn, booking_id)

    async def cancel_by_owner(self, booking_id: int) -> BookingRow:
        async with self.db.acquire() as conn, conn.transaction():
            booking = await self.repo.booking(conn, booking_id, for_update=True)
            if booking is None or booking.status not in ACTIVE_STATUSES:
                raise BookingNotActive
            await self.repo.set_status(
                conn, booking_id, BookingStatus.CANCELLED, cancelled_by=CancelledBy.OWNER
            )
            await self.repo.skip_reminders(conn, booking_id)
            return replace(booking, status=BookingStatus.CANCELLED, cancelled_by=CancelledBy.OWNER)

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

    # --- statistics ------------------------------------------------------------------------

    async def _period(self, first: date, last: date) -> tuple[list[BookingRow], SalonSettings]:
        async with self.db.acquire() as conn:
            settings = await self.settings(conn)
            start, _ = day_bounds_utc(first, settings.tz)
            _, end = day_bounds_utc(last, settings.tz)
            rows = await self.repo.bookings_between(conn, start, end, include_cancelled=True)
        return rows, settings

    async def stats(self, first: date, last: date) -> Stats:
        rows, _ = await self._period(first, last)
        status = Counter(r.status for r in rows)
        visits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for r in rows:
            if r.status in ACTIVE_STATUSES:
                visits[r.service_name][0] += 1
                visits[r.service_name][1] += r.price
        by_service = sorted(((k, v[0], v[1]) for k, v in visits.items()), key=lambda x: -x[2])
        return Stats(
            first=first,
            last=last,
            total=len(rows),
            cancelled=status[BookingStatus.CANCELLED],
            no_show=status[BookingStatus.NO_SHOW],
            revenue=sum(v[2] for v in by_service),
            by_service=by_service,
        )

    async def export_csv(self, first: date, last: date) -> bytes:
        rows, settings = await self._period(first, last)
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerow(
            ["id", "дата", "время", "услуга", "мастер", "клиент", "телефон", "цена", "статус"]
        )
        tz = settings.tz
        for r in rows:
            local = r.starts_at.astimezone(tz)
            writer.writerow(
                csv_cell(value)
                for value in [
                    r.id,
                    local.strftime("%d.%m.%Y"),
                    local.strftime("%H:%M"),
                    r.service_name,
                    r.staff_name,
                    r.customer_name,
                    r.customer_phone,
                    r.price,
                    texts.OWNER_STATUS.get(r.status, r.status),
                ]
            )
        return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel opens it as UTF-8


def week_lines(week: dict[int, list[Interval]]) -> list[str]:
    lines = []
    for d, name in enumerate(WEEKDAYS):
        intervals = week.get(d) or []
        lines.append(f"{name} " + (", ".join(fmt_interval(i) for i in intervals) or "выходной"))
    return lines


def fmt_interval(i: Interval) -> str:
    return f"{i.starts:%H:%M}-{i.ends:%H:%M}"


def to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tz).astimezone(UTC)
