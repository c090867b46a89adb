"""Data access in the tenant's own schema `client_NNN`: named queries from `repository.sql`
beside this file, bound parameters, plain dataclasses.

`Repo(client_id)` holds the tenant's queries (its validated, quoted schema name put in by
`core.db.TenantQueries`); every method takes a connection (the service owns the transaction).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from bots.status import ACTIVE_STATUSES, BookingStatus, CancelledBy, NoticeState, ReminderState
from core.db import TenantQueries, affected_rows, row_to, rows_to
from core.status import parse_stored

QUERIES = TenantQueries(__file__)


@dataclass(frozen=True)
class ServiceRow:
    id: int
    name: str
    duration_min: int
    price: int


@dataclass(frozen=True)
class StaffRow:
    id: int
    name: str


@dataclass(frozen=True)
class HoursRow:
    staff_id: int
    weekday: int
    starts: time
    ends: time


@dataclass(frozen=True)
class ExceptionRow:
    id: int
    staff_id: int
    day: date
    starts: time | None
    ends: time | None


@dataclass(frozen=True)
class CustomerRow:
    telegram_id: int
    full_name: str | None
    phone: str | None
    unreachable: bool


@dataclass(frozen=True)
class ClientRow:
    customer_id: int
    name: str
    phone: str


def is_walk_in(customer_id: int) -> bool:
    """A customer the owner booked by phone, with no chat: a negative id (sql/tenant/007)."""
    return customer_id < 0


@dataclass(frozen=True)
class ClientCard:
    """One customer's history with the salon (the owner's client card)."""

    customer_id: int
    name: str
    phone: str
    visits: int  # bookings that happened
    ahead: int
    cancelled_by_customer: int
    cancelled_by_salon: int
    no_shows: int
    last_visit: datetime | None
    spent: int
    note: str | None

    @property
    def walk_in(self) -> bool:
        return is_walk_in(self.customer_id)


@dataclass(frozen=True)
class BlockRow:
    """Time a specialist is not bookable (a break, a meeting)."""

    id: int
    staff_id: int
    starts_at: datetime
    ends_at: datetime
    note: str


@dataclass(frozen=True)
class BookingRow:
    id: int
    request_key: str
    customer_id: int
    customer_name: str
    customer_phone: str
    service_id: int
    service_name: str
    staff_id: int
    staff_name: str
    price: int
    starts_at: datetime
    ends_at: datetime
    blocked_until: datetime
    status: BookingStatus
    cancelled_by: CancelledBy | None
    customer_unreachable: bool = False

    def __post_init__(self) -> None:
        parse_stored(self, status=BookingStatus, cancelled_by=CancelledBy)

    @property
    def walk_in(self) -> bool:
        """Booked by the owner for someone the bot has no chat with (sql/tenant/007)."""
        return is_walk_in(self.customer_id)


@dataclass(frozen=True)
class StaffAccess:
    """Whether a specialist is connected to the bot, as whom and since when."""

    staff_id: int
    telegram_id: int | None
    connected_at: datetime | None


@dataclass(frozen=True)
class InviteRow:
    staff_id: int
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True)
class Notice:
    """A queued message to a customer about their booking (sql/tenant/009_notices.sql)."""

    id: int
    chat_id: int
    booking_id: int | None
    text: str


@dataclass(frozen=True)
class DueReminder:
    id: int
    offset_min: int
    booking: BookingRow


class Repo:
    def __init__(self, client_id: str) -> None:
        self.q = QUERIES.for_client(client_id)

    # --- users and customers ---------------------------------------------------------------

    async def touch_user(
        self, conn, *, telegram_id: int, first_name: str | None, username: str | None,
        is_admin: bool,
    ) -> None:  # fmt: skip
        await self.q.touch_user(
            conn,
            telegram_id=telegram_id,
            first_name=first_name,
            username=username,
            is_admin=is_admin,
        )

    async def customer(self, conn, telegram_id: int) -> CustomerRow | None:
        return row_to(CustomerRow, await self.q.customer(conn, telegram_id=telegram_id))

    async def save_contact(self, conn, telegram_id: int, full_name: str, phone: str) -> None:
        await self.q.save_contact(conn, telegram_id=telegram_id, full_name=full_name, phone=phone)

    async def client_by_phone(self, conn, full_name: str, phone: str) -> int:
        """The id to book a phone customer under: a Telegram customer's, else a walk-in's."""
        return await self.q.client_by_phone(conn, full_name=full_name, phone=phone)

    async def adopt_walk_in(self, conn, telegram_id: int, phone: str) -> bool:
        """`telegram_id` shared `phone`: the walk-in booked under it becomes this customer
        (bookings, note). Call in a transaction. False: there was none."""
        walk_in_id = await self.q.walk_in_of_phone(conn, phone=phone)
        if walk_in_id is None:
            return False
        await self.q.hand_over_bookings(conn, from_id=walk_in_id, to_id=telegram_id)
        await self.q.hand_over_note(conn, from_id=walk_in_id, to_id=telegram_id)
        await self.q.forget_walk_in(conn, walk_in_id=walk_in_id)
        return True

    async def mark_unreachable(self, conn, telegram_id: int) -> None:
        await self.q.mark_unreachable(conn, telegram_id=telegram_id)

    async def user_exists(self, conn, telegram_id: int) -> bool:
        return await self.q.user_exists(conn, telegram_id=telegram_id)

    # --- settings --------------------------------------------------------------------------

    async def settings(self, conn) -> dict[str, Any]:
        return {r["key"]: json.loads(r["value"]) async for r in self.q.settings(conn)}

    async def set_setting(self, conn, key: str, value: Any) -> None:
        await self.q.set_setting(conn, key=key, value=json.dumps(value, ensure_ascii=False))

    async def delete_setting(self, conn, key: str) -> None:
        await self.q.delete_setting(conn, key=key)

    async def set_setting_once(self, conn, key: str, value: Any) -> bool:
        """Insert if absent; True when this call set it."""
        status = await self.q.set_setting_once(
            conn, key=key, value=json.dumps(value, ensure_ascii=False)
        )
        return affected_rows(status) == 1

    # --- services and staff ----------------------------------------------------------------

    async def services(self, conn, *, bookable_only: bool = False) -> list[ServiceRow]:
        query = self.q.bookable_services if bookable_only else self.q.services
        return await rows_to(ServiceRow, query(conn))

    async def service(self, conn, service_id: int) -> ServiceRow | None:
        return row_to(ServiceRow, await self.q.service(conn, service_id=service_id))

    async def add_service(self, conn, name: str, duration_min: int, price: int) -> int:
        return await self.q.add_service(conn, name=name, duration_min=duration_min, price=price)

    async def update_service(
        self, conn, service_id: int, name: str, duration_min: int, price: int
    ) -> bool:
        status = await self.q.update_service(
            conn, service_id=service_id, name=name, duration_min=duration_min, price=price
        )
        return affected_rows(status) == 1

    async def deactivate_service(self, conn, service_id: int) -> bool:
        status = await self.q.deactivate_service(conn, service_id=service_id)
        return affected_rows(status) == 1

    async def staff(self, conn, *, service_id: int | None = None) -> list[StaffRow]:
        if service_id is None:
            return await rows_to(StaffRow, self.q.staff(conn))
        return await rows_to(StaffRow, self.q.staff_for_service(conn, service_id=service_id))

    async def staff_member(self, conn, staff_id: int) -> StaffRow | None:
        return row_to(StaffRow, await self.q.staff_member(conn, staff_id=staff_id))

    async def lock_staff_schedule(self, conn, staff_id: int) -> bool:
        """In a transaction changing the specialist's schedule; False: no such specialist."""
        return await self.q.lock_staff_schedule(conn, staff_id=staff_id) is not None

    async def share_staff_schedule(self, conn, staff_id: int) -> bool:
        """In a transaction booking the specialist; False: no such specialist."""
        return await self.q.share_staff_schedule(conn, staff_id=staff_id) is not None

    async def lock_service(self, conn, service_id: int) -> bool:
        """In a transaction deleting the service; False: no such service."""
        return await self.q.lock_service(conn, service_id=service_id) is not None

    async def share_service(self, conn, service_id: int) -> bool:
        """In a transaction booking the service; False: no such service."""
        return await self.q.share_service(conn, service_id=service_id) is not None

    async def add_staff(self, conn, name: str) -> int:
        return await self.q.add_staff(conn, name=name)

    async def deactivate_staff(self, conn, staff_id: int) -> bool:
        status = await self.q.deactivate_staff(conn, staff_id=staff_id)
        return affected_rows(status) == 1

    async def staff_service_ids(self, conn, staff_id: int) -> set[int]:
        return {r["service_id"] async for r in self.q.staff_service_ids(conn, staff_id=staff_id)}

    async def toggle_staff_service(self, conn, staff_id: int, service_id: int) -> bool:
        """Returns True when the specialist now does the service."""
        pair = {"staff_id": staff_id, "service_id": service_id}
        if affected_rows(await self.q.remove_staff_service(conn, **pair)):
            return False
        await self.q.add_staff_service(conn, **pair)
        return True

    # --- specialists in the bot ------------------------------------------------------------

    async def staff_by_telegram(self, conn, telegram_id: int) -> StaffRow | None:
        """The active specialist this Telegram user is bound to, if any."""
        return row_to(StaffRow, await self.q.staff_by_telegram(conn, telegram_id=telegram_id))

    async def staff_access(self, conn, staff_id: int) -> StaffAccess | None:
        return row_to(StaffAccess, await self.q.staff_access(conn, staff_id=staff_id))

    async def replace_invite(
        self, conn, staff_id: int, token_hash: str, expires_at: datetime
    ) -> None:
        """The specialist's open invite becomes this one (an unused older one is dropped)."""
        await self.drop_open_invites(conn, staff_id)
        await self.q.insert_invite(
            conn, token_hash=token_hash, staff_id=staff_id, expires_at=expires_at
        )

    async def drop_open_invites(self, conn, staff_id: int) -> None:
        await self.q.drop_open_invites(conn, staff_id=staff_id)

    async def lock_invite(self, conn, token_hash: str) -> InviteRow | None:
        return row_to(InviteRow, await self.q.lock_invite(conn, token_hash=token_hash))

    async def use_invite(self, conn, token_hash: str, telegram_id: int, now: datetime) -> None:
        await self.q.use_invite(conn, token_hash=token_hash, telegram_id=telegram_id, now=now)

    async def was_staff(self, conn, telegram_id: int) -> bool:
        return await self.q.was_staff(conn, telegram_id=telegram_id)

    async def bind_staff(self, conn, staff_id: int, telegram_id: int, now: datetime) -> bool:
        status = await self.q.bind_staff(conn, staff_id=staff_id, telegram_id=telegram_id, now=now)
        return affected_rows(status) == 1

    async def unbind_staff(self, conn, staff_id: int) -> int | None:
        """Unbind the specialist; the Telegram user who had access, or None."""
        return await self.q.unbind_staff(conn, staff_id=staff_id)

    # --- hours -----------------------------------------------------------------------------

    async def hours(self, conn, staff_ids: list[int]) -> list[HoursRow]:
        return await rows_to(HoursRow, self.q.hours(conn, staff_ids=staff_ids))

    async def replace_hours(self, conn, staff_id: int, week: list[tuple[int, time, time]]) -> None:
        await self.q.delete_hours(conn, staff_id=staff_id)
        await self.q.insert_hours(
            conn,
            [{"staff_id": staff_id, "weekday": d, "starts": a, "ends": b} for d, a, b in week],
        )

    async def exceptions(
        self, conn, staff_ids: list[int], first: date, last: date
    ) -> list[ExceptionRow]:
        rows = self.q.exceptions(conn, staff_ids=staff_ids, first=first, last=last)
        return await rows_to(ExceptionRow, rows)

    async def replace_exception(
        self, conn, staff_id: int, day: date, intervals: list[tuple[time, time]]
    ) -> None:
        await self.q.delete_exception_day(conn, staff_id=staff_id, day=day)
        await self.q.insert_exceptions(
            conn,
            [
                {"staff_id": staff_id, "day": day, "starts": a, "ends": b}
                for a, b in intervals or [(None, None)]
            ],
        )

    async def delete_exception_day(self, conn, staff_id: int, day: date) -> bool:
        status = await self.q.delete_exception_day(conn, staff_id=staff_id, day=day)
        return affected_rows(status) > 0

    # --- bookings --------------------------------------------------------------------------

    async def clients(self, conn) -> list[ClientRow]:
        return await rows_to(ClientRow, self.q.clients(conn))

    async def client_card(self, conn, customer_id: int, now: datetime) -> ClientCard | None:
        record = await self.q.client_card(
            conn,
            customer_id=customer_id,
            now=now,
            standing=ACTIVE_STATUSES,
            cancelled=BookingStatus.CANCELLED,
            no_show=BookingStatus.NO_SHOW,
            by_customer=CancelledBy.CUSTOMER,
            by_owner=CancelledBy.OWNER,
        )
        return row_to(ClientCard, record)

    async def set_client_note(self, conn, customer_id: int, note: str) -> None:
        await self.q.set_client_note(conn, customer_id=customer_id, note=note)

    async def blocks(
        self, conn, staff_ids: list[int], start: datetime, end: datetime
    ) -> list[BlockRow]:
        rows = self.q.blocks(conn, staff_ids=staff_ids, start_at=start, end_at=end)
        return await rows_to(BlockRow, rows)

    async def insert_block(
        self, conn, staff_id: int, starts_at: datetime, ends_at: datetime, note: str
    ) -> int:
        return await self.q.insert_block(
            conn, staff_id=staff_id, starts_at=starts_at, ends_at=ends_at, note=note
        )

    async def delete_block(self, conn, staff_id: int, block_id: int) -> bool:
        return (
            affected_rows(await self.q.delete_block(conn, block_id=block_id, staff_id=staff_id))
            == 1
        )

    async def standing_ahead(self, conn, now: datetime, horizon: timedelta) -> list[BookingRow]:
        """Every standing booking that starts within `horizon` from `now`, soonest first (what
        an owner's edit could strand)."""
        rows = await self.bookings_between(conn, now, now + horizon)
        return [b for b in rows if b.status in ACTIVE_STATUSES]

    async def busy(
        self, conn, staff_ids: list[int], start: datetime, end: datetime, ignore: int = 0
    ) -> list[tuple[int, datetime, datetime]]:
        """Booked ranges; `ignore` = a booking being moved, which does not block itself."""
        rows = self.q.busy(
            conn,
            staff_ids=staff_ids,
            start_at=start,
            end_at=end,
            ignore=ignore,
            cancelled=BookingStatus.CANCELLED,
        )
        return [(r["staff_id"], r["starts_at"], r["blocked_until"]) async for r in rows]

    async def insert_booking(self, conn, **fields) -> int | None:
        """None when a booking with this request key exists already (a double tap)."""
        return await self.q.insert_booking(conn, **fields)

    async def booking(
        self, conn, booking_id: int, *, for_update: bool = False
    ) -> BookingRow | None:
        if for_update and await self.q.lock_booking(conn, booking_id=booking_id) is None:
            return None
        return row_to(BookingRow, await self.q.booking(conn, booking_id=booking_id))

    async def booking_by_key(self, conn, request_key: str) -> BookingRow | None:
        return row_to(BookingRow, await self.q.booking_by_key(conn, request_key=request_key))

    async def customer_upcoming(self, conn, customer_id: int, now: datetime) -> list[BookingRow]:
        rows = self.q.customer_upcoming(
            conn, customer_id=customer_id, now=now, active=ACTIVE_STATUSES
        )
        return await rows_to(BookingRow, rows)

    async def bookings_between(
        self, conn, start: datetime, end: datetime, *, include_cancelled: bool = False
    ) -> list[BookingRow]:
        rows = self.q.bookings_between(
            conn,
            start_at=start,
            end_at=end,
            include_cancelled=include_cancelled,
            cancelled=BookingStatus.CANCELLED,
        )
        return await rows_to(BookingRow, rows)

    async def set_status(
        self,
        conn,
        booking_id: int,
        status: BookingStatus,
        *,
        cancelled_by: CancelledBy | None = None,
    ) -> None:
        await self.q.set_status(
            conn, booking_id=booking_id, status=status, cancelled_by=cancelled_by
        )

    async def move_booking(
        self, conn, booking_id: int, starts_at: datetime, ends_at: datetime,
        blocked_until: datetime,
    ) -> None:  # fmt: skip
        await self.q.move_booking(
            conn,
            booking_id=booking_id,
            starts_at=starts_at,
            ends_at=ends_at,
            blocked_until=blocked_until,
            status=BookingStatus.BOOKED,
        )

    async def set_booking_staff(self, conn, booking_id: int, staff_id: int) -> None:
        await self.q.set_booking_staff(conn, booking_id=booking_id, staff_id=staff_id)

    # --- reminders -------------------------------------------------------------------------

    async def replace_reminders(
        self, conn, booking_id: int, due: list[tuple[int, datetime]]
    ) -> None:
        """Pending reminders of a booking become `due`; sent ones stay as they are."""
        await self.q.delete_reminders(conn, booking_id=booking_id, state=ReminderState.PENDING)
        await self.q.upsert_reminders(
            conn,
            [
                {
                    "booking_id": booking_id,
                    "offset_min": offset,
                    "due_at": at,
                    "state": ReminderState.PENDING,
                }
                for offset, at in due
            ],
        )

    async def skip_reminders(self, conn, booking_id: int) -> None:
        await self.q.move_reminders(
            conn,
            booking_id=booking_id,
            from_state=ReminderState.PENDING,
            to_state=ReminderState.SKIPPED,
        )

    async def claim_due_reminders(self, conn, now: datetime, limit: int) -> list[DueReminder]:
        """Mark due reminders `sending` and return them; committed before anything is sent."""
        rows = self.q.claim_due_reminders(
            conn, now=now, limit=limit, active=ACTIVE_STATUSES, sending=ReminderState.SENDING
        )
        claimed = [(r["id"], r["offset_min"], r["booking_id"]) async for r in rows]
        return [
            DueReminder(reminder_id, offset, await self.booking(conn, booking_id))
            for reminder_id, offset, booking_id in claimed
        ]

    # --- notices ---------------------------------------------------------------------------

    async def enqueue_notice(
        self, conn, chat_id: int, booking_id: int, text: str, now: datetime
    ) -> None:
        await self.q.enqueue_notice(
            conn, chat_id=chat_id, booking_id=booking_id, text=text, now=now
        )

    async def claim_notices(
        self, conn, *, booking_id: int | None, before: datetime, now: datetime, limit: int
    ) -> list[Notice]:
        rows = self.q.claim_notices(
            conn,
            booking_id=booking_id,
            before=before,
            now=now,
            limit=limit,
            sending=NoticeState.SENDING,
        )
        return await rows_to(Notice, rows)

    async def finish_notice(self, conn, notice_id: int, state: NoticeState, now: datetime) -> None:
        await self.q.finish_notice(conn, notice_id=notice_id, state=state, now=now)

    async def retry_notices(
        self,
        conn,
        *,
        ids: list[int],
        stuck_before: datetime | None,
        max_attempts: int,
        now: datetime,
    ) -> list[tuple[int, NoticeState]]:
        rows = self.q.retry_notices(
            conn,
            ids=ids,
            stuck_before=stuck_before,
            max_attempts=max_attempts,
            now=now,
            failed=NoticeState.FAILED,
            pending=NoticeState.PENDING,
        )
        return [(r["id"], NoticeState(r["state"])) async for r in rows]

    async def purge_notices(self, conn, before: datetime) -> None:
        await self.q.purge_notices(conn, before=before)

    async def retry_reminders(
        self, conn, *, ids: list[int] | None, stuck_before: datetime | None, max_attempts: int
    ) -> list[tuple[int, ReminderState]]:
        """Put reminders back to `pending` for another try — the given ones (a transient send
        error), or those left `sending` since before `stuck_before` (a worker died while sending)
        — or to `failed` once they had `max_attempts`. Returns (booking id, new state)."""
        rows = self.q.retry_reminders(
            conn,
            ids=ids or [],
            stuck_before=stuck_before,
            max_attempts=max_attempts,
            failed=ReminderState.FAILED,
            pending=ReminderState.PENDING,
        )
        return [(r["booking_id"], ReminderState(r["state"])) async for r in rows]

    async def expire_reminders(self, conn, now: datetime) -> None:
        """Reminders whose appointment has started unsent are skipped."""
        await self.q.expire_reminders(
            conn, now=now, skipped=ReminderState.SKIPPED, active=ACTIVE_STATUSES
        )

    async def finish_reminder(
        self, conn, reminder_id: int, state: ReminderState, now: datetime | None
    ) -> None:
        await self.q.finish_reminder(conn, reminder_id=reminder_id, state=state, sent_at=now)
