"""Data access in the tenant's own schema `client_NNN`: bound parameters, plain dataclasses.

`Repo(client_id)` holds the validated, quoted schema name; every method takes a connection
(the service owns the transaction).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import asyncpg

from bots.status import ACTIVE_STATUSES, BookingStatus, CancelledBy, ReminderState
from core.db import affected_rows, schema_ident
from core.status import parse_stored


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


@dataclass(frozen=True)
class DueReminder:
    id: int
    offset_min: int
    booking: BookingRow


_BOOKING_COLUMNS = """
    b.id, b.request_key, b.customer_id, b.customer_name, b.customer_phone, b.service_id,
    s.name AS service_name, b.staff_id, st.name AS staff_name, b.price, b.starts_at, b.ends_at,
    b.blocked_until, b.status, b.cancelled_by,
    EXISTS (SELECT 1 FROM {s}.bot_users u
            WHERE u.telegram_id = b.customer_id AND u.unreachable_at IS NOT NULL)
        AS customer_unreachable
"""


def _booking(row: asyncpg.Record) -> BookingRow:
    return BookingRow(**{k: row[k] for k in BookingRow.__dataclass_fields__})


class Repo:
    def __init__(self, client_id: str) -> None:
        self.s = schema_ident(client_id)
        self.cols = _BOOKING_COLUMNS.format(s=self.s)

    # --- users and customers ---------------------------------------------------------------

    async def touch_user(
        self, conn, *, telegram_id: int, first_name: str | None, username: str | None,
        is_admin: bool,
    ) -> None:  # fmt: skip
        await conn.execute(
            f"""
            INSERT INTO {self.s}.bot_users (telegram_id, first_name, username, is_admin)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (telegram_id) DO UPDATE
               SET first_name = EXCLUDED.first_name, username = EXCLUDED.username,
                   is_admin = EXCLUDED.is_admin, last_seen = now(), unreachable_at = NULL
            """,
            telegram_id,
            first_name,
            username,
            is_admin,
        )

    async def customer(self, conn, telegram_id: int) -> CustomerRow | None:
        row = await conn.fetchrow(
            f"SELECT telegram_id, full_name, phone, unreachable_at IS NOT NULL AS unreachable"
            f" FROM {self.s}.bot_users WHERE telegram_id = $1",
            telegram_id,
        )
        return CustomerRow(**dict(row)) if row else None

    async def save_contact(self, conn, telegram_id: int, full_name: str, phone: str) -> None:
        await conn.execute(
            f"""
            INSERT INTO {self.s}.bot_users (telegram_id, full_name, phone) VALUES ($1, $2, $3)
            ON CONFLICT (telegram_id) DO UPDATE SET full_name = $2, phone = $3
            """,
            telegram_id,
            full_name,
            phone,
        )

    async def mark_unreachable(self, conn, telegram_id: int) -> None:
        await conn.execute(
            f"UPDATE {self.s}.bot_users SET unreachable_at = coalesce(unreachable_at, now())"
            f" WHERE telegram_id = $1",
            telegram_id,
        )

    async def user_exists(self, conn, telegram_id: int) -> bool:
        return bool(
            await conn.fetchval(
                f"SELECT 1 FROM {self.s}.bot_users WHERE telegram_id = $1", telegram_id
            )
        )

    # --- settings --------------------------------------------------------------------------

    async def settings(self, conn) -> dict[str, Any]:
        rows = await conn.fetch(f"SELECT key, value FROM {self.s}.settings")
        return {r["key"]: json.loads(r["value"]) for r in rows}

    async def set_setting(self, conn, key: str, value: Any) -> None:
        await conn.execute(
            f"""
            INSERT INTO {self.s}.settings (key, value) VALUES ($1, $2::jsonb)
            ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
            """,
            key,
            json.dumps(value, ensure_ascii=False),
        )

    async def delete_setting(self, conn, key: str) -> None:
        await conn.execute(f"DELETE FROM {self.s}.settings WHERE key = $1", key)

    async def set_setting_once(self, conn, key: str, value: Any) -> bool:
        """Insert if absent; True when this call set it."""
        status = await conn.execute(
            f"INSERT INTO {self.s}.settings (key, value) VALUES ($1, $2::jsonb)"
            f" ON CONFLICT (key) DO NOTHING",
            key,
            json.dumps(value, ensure_ascii=False),
        )
        return affected_rows(status) == 1

    # --- services and staff ----------------------------------------------------------------

    async def services(self, conn, *, bookable_only: bool = False) -> list[ServiceRow]:
        where = "sv.active"
        if bookable_only:
            where += f"""
              AND EXISTS (SELECT 1 FROM {self.s}.staff_services ss
                          JOIN {self.s}.staff st ON st.id = ss.staff_id AND st.active
                          WHERE ss.service_id = sv.id
                            AND (EXISTS (SELECT 1 FROM {self.s}.working_hours w
                                         WHERE w.staff_id = st.id)
                                 OR EXISTS (SELECT 1 FROM {self.s}.hour_exceptions e
                                            WHERE e.staff_id = st.id
                                              AND e.starts IS NOT NULL)))"""
        rows = await conn.fetch(
            f"SELECT id, name, duration_min, price FROM {self.s}.services sv"
            f" WHERE {where} ORDER BY name, id"
        )
        return [ServiceRow(**dict(r)) for r in rows]

    async def service(self, conn, service_id: int) -> ServiceRow | None:
        row = await conn.fetchrow(
            f"SELECT id, name, duration_min, price FROM {self.s}.services WHERE id = $1 AND active",
            service_id,
        )
        return ServiceRow(**dict(row)) if row else None

    async def add_service(self, conn, name: str, duration_min: int, price: int) -> int:
        return await conn.fetchval(
            f"INSERT INTO {self.s}.services (name, duration_min, price) VALUES ($1, $2, $3)"
            f" RETURNING id",
            name,
            duration_min,
            price,
        )

    async def update_service(
        self, conn, service_id: int, name: str, duration_min: int, price: int
    ) -> bool:
        status = await conn.execute(
            f"UPDATE {self.s}.services SET name = $2, duration_min = $3, price = $4"
            f" WHERE id = $1 AND active",
            service_id,
            name,
            duration_min,
            price,
        )
        return affected_rows(status) == 1

    async def deactivate_service(self, conn, service_id: int) -> bool:
        status = await conn.execute(
            f"UPDATE {self.s}.services SET active = false WHERE id = $1 AND active", service_id
        )
        return affected_rows(status) == 1

    async def staff(self, conn, *, service_id: int | None = None) -> list[StaffRow]:
        if service_id is None:
            rows = await conn.fetch(
                f"SELECT id, name FROM {self.s}.staff WHERE active ORDER BY name, id"
            )
        else:
            rows = await conn.fetch(
                f"""SELECT st.id, st.name FROM {self.s}.staff st
                    JOIN {self.s}.staff_services ss ON ss.staff_id = st.id
                    WHERE st.active AND ss.service_id = $1 ORDER BY st.name, st.id""",
                service_id,
            )
        return [StaffRow(**dict(r)) for r in rows]

    async def staff_member(self, conn, staff_id: int) -> StaffRow | None:
        row = await conn.fetchrow(
            f"SELECT id, name FROM {self.s}.staff WHERE id = $1 AND active", staff_id
        )
        return StaffRow(**dict(row)) if row else None

    async def add_staff(self, conn, name: str) -> int:
        return await conn.fetchval(
            f"INSERT INTO {self.s}.staff (name) VALUES ($1) RETURNING id", name
        )

    async def deactivate_staff(self, conn, staff_id: int) -> bool:
        status = await conn.execute(
            f"UPDATE {self.s}.staff SET active = false WHERE id = $1 AND active", staff_id
        )
        return affected_rows(status) == 1

    async def staff_service_ids(self, conn, staff_id: int) -> set[int]:
        rows = await conn.fetch(
            f"SELECT service_id FROM {self.s}.staff_services WHERE staff_id = $1", staff_id
        )
        return {r["service_id"] for r in rows}

    async def toggle_staff_service(self, conn, staff_id: int, service_id: int) -> bool:
        """Returns True when the specialist now does the service."""
        deleted = await conn.execute(
            f"DELETE FROM {self.s}.staff_services WHERE staff_id = $1 AND service_id = $2",
            staff_id,
            service_id,
        )
        if affected_rows(deleted):
            return False
        await conn.execute(
            f"INSERT INTO {self.s}.staff_services (staff_id, service_id) VALUES ($1, $2)",
            staff_id,
            service_id,
        )
        return True

    # --- hours -----------------------------------------------------------------------------

    async def hours(self, conn, staff_ids: list[int]) -> list[HoursRow]:
        rows = await conn.fetch(
            f"SELECT staff_id, weekday, starts, ends FROM {self.s}.working_hours"
            f" WHERE staff_id = ANY($1::int[]) ORDER BY staff_id, weekday, starts",
            staff_ids,
        )
        return [HoursRow(**dict(r)) for r in rows]

    async def replace_hours(self, conn, staff_id: int, week: list[tuple[int, time, time]]) -> None:
        await conn.execute(f"DELETE FROM {self.s}.working_hours WHERE staff_id = $1", staff_id)
        await conn.executemany(
            f"INSERT INTO {self.s}.working_hours (staff_id, weekday, starts, ends)"
            f" VALUES ($1, $2, $3, $4)",
            [(staff_id, d, a, b) for d, a, b in week],
        )

    async def exceptions(
        self, conn, staff_ids: list[int], first: date, last: date
    ) -> list[ExceptionRow]:
        rows = await conn.fetch(
            f"SELECT id, staff_id, day, starts, ends FROM {self.s}.hour_exceptions"
            f" WHERE staff_id = ANY($1::int[]) AND day BETWEEN $2 AND $3"
            f" ORDER BY day, starts NULLS FIRST",
            staff_ids,
            first,
            last,
        )
        return [ExceptionRow(**dict(r)) for r in rows]

    async def replace_exception(
        self, conn, staff_id: int, day: date, intervals: list[tuple[time, time]]
    ) -> None:
        await conn.execute(
            f"DELETE FROM {self.s}.hour_exceptions WHERE staff_id = $1 AND day = $2",
            staff_id,
            day,
        )
        rows = [(staff_id, day, a, b) for a, b in intervals] or [(staff_id, day, None, None)]
        await conn.executemany(
            f"INSERT INTO {self.s}.hour_exceptions (staff_id, day, starts, ends)"
            f" VALUES ($1, $2, $3, $4)",
            rows,
        )

    async def delete_exception_day(self, conn, staff_id: int, day: date) -> bool:
        status = await conn.execute(
            f"DELETE FROM {self.s}.hour_exceptions WHERE staff_id = $1 AND day = $2",
            staff_id,
            day,
        )
        return affected_rows(status) > 0

    # --- bookings --------------------------------------------------------------------------

    async def busy(
        self, conn, staff_ids: list[int], start: datetime, end: datetime, ignore: int = 0
    ) -> list[tuple[int, datetime, datetime]]:
        """Booked ranges; `ignore` = a booking being moved, which does not block itself."""
        rows = await conn.fetch(
            f"SELECT staff_id, starts_at, blocked_until FROM {self.s}.bookings"
            f" WHERE staff_id = ANY($1::int[]) AND status <> $5"
            f" AND starts_at < $3 AND blocked_until > $2 AND id <> $4",
            staff_ids,
            start,
            end,
            ignore,
            BookingStatus.CANCELLED,
        )
        return [(r["staff_id"], r["starts_at"], r["blocked_until"]) for r in rows]

    async def insert_booking(self, conn, **fields) -> int | None:
        """None when a booking with this request key exists already (a double tap)."""
        return await conn.fetchval(
            f"""
            INSERT INTO {self.s}.bookings
                (request_key, customer_id, customer_name, customer_phone, service_id, staff_id,
                 price, starts_at, ends_at, blocked_until)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (request_key) DO NOTHING
            RETURNING id
            """,
            fields["request_key"],
            fields["customer_id"],
            fields["customer_name"],
            fields["customer_phone"],
            fields["service_id"],
            fields["staff_id"],
            fields["price"],
            fields["starts_at"],
            fields["ends_at"],
            fields["blocked_until"],
        )

    async def booking(
        self, conn, booking_id: int, *, for_update: bool = False
    ) -> BookingRow | None:
        lock = " FOR UPDATE OF b" if for_update else ""
        row = await conn.fetchrow(
            f"SELECT {self.cols} FROM {self.s}.bookings b"
            f" JOIN {self.s}.services s ON s.id = b.service_id"
            f" JOIN {self.s}.staff st ON st.id = b.staff_id WHERE b.id = $1{lock}",
            booking_id,
        )
        return _booking(row) if row else None

    async def booking_by_key(self, conn, request_key: str) -> BookingRow | None:
        row = await conn.fetchrow(
            f"SELECT {self.cols} FROM {self.s}.bookings b"
            f" JOIN {self.s}.services s ON s.id = b.service_id"
            f" JOIN {self.s}.staff st ON st.id = b.staff_id WHERE b.request_key = $1",
            request_key,
        )
        return _booking(row) if row else None

    async def customer_upcoming(self, conn, customer_id: int, now: datetime) -> list[BookingRow]:
        rows = await conn.fetch(
            f"SELECT {self.cols} FROM {self.s}.bookings b"
            f" JOIN {self.s}.services s ON s.id = b.service_id"
            f" JOIN {self.s}.staff st ON st.id = b.staff_id"
            f" WHERE b.customer_id = $1 AND b.status = ANY($3::text[])"
            f" AND b.ends_at > $2 ORDER BY b.starts_at LIMIT 20",
            customer_id,
            now,
            ACTIVE_STATUSES,
        )
        return [_booking(r) for r in rows]

    async def bookings_between(
        self, conn, start: datetime, end: datetime, *, include_cancelled: bool = False
    ) -> list[BookingRow]:
        rows = await conn.fetch(
            f"SELECT {self.cols} FROM {self.s}.bookings b"
            f" JOIN {self.s}.services s ON s.id = b.service_id"
            f" JOIN {self.s}.staff st ON st.id = b.staff_id"
            f" WHERE b.starts_at >= $1 AND b.starts_at < $2 AND ($3 OR b.status <> $4)"
            f" ORDER BY b.starts_at, st.name",
            start,
            end,
            include_cancelled,
            BookingStatus.CANCELLED,
        )
        return [_booking(r) for r in rows]

    async def set_status(
        self,
        conn,
        booking_id: int,
        status: BookingStatus,
        *,
        cancelled_by: CancelledBy | None = None,
    ) -> None:
        await conn.execute(
            f"UPDATE {self.s}.bookings SET status = $2, cancelled_by = $3, updated_at = now()"
            f" WHERE id = $1",
            booking_id,
            status,
            cancelled_by,
        )

    async def move_booking(
        self, conn, booking_id: int, starts_at: datetime, ends_at: datetime,
        blocked_until: datetime,
    ) -> None:  # fmt: skip
        await conn.execute(
            f"UPDATE {self.s}.bookings SET starts_at = $2, ends_at = $3, blocked_until = $4,"
            f" status = $5, updated_at = now() WHERE id = $1",
            booking_id,
            starts_at,
            ends_at,
            blocked_until,
            BookingStatus.BOOKED,
        )

    # --- reminders -------------------------------------------------------------------------

    async def replace_reminders(
        self, conn, booking_id: int, due: list[tuple[int, datetime]]
    ) -> None:
        """Pending reminders of a booking become `due`; sent ones stay as they are."""
        await conn.execute(
            f"DELETE FROM {self.s}.reminders WHERE booking_id = $1 AND state = $2",
            booking_id,
            ReminderState.PENDING,
        )
        await conn.executemany(
            f"INSERT INTO {self.s}.reminders (booking_id, offset_min, due_at, state)"
            f" VALUES ($1, $2, $3, $4) ON CONFLICT (booking_id, offset_min)"
            f" DO UPDATE SET due_at = EXCLUDED.due_at, state = EXCLUDED.state,"
            f" claimed_at = NULL, sent_at = NULL",
            [(booking_id, offset, at, ReminderState.PENDING) for offset, at in due],
        )

    async def skip_reminders(self, conn, booking_id: int) -> None:
        await conn.execute(
            f"UPDATE {self.s}.reminders SET state = $2 WHERE booking_id = $1 AND state = $3",
            booking_id,
            ReminderState.SKIPPED,
            ReminderState.PENDING,
        )

    async def claim_due_reminders(self, conn, now: datetime, limit: int) -> list[DueReminder]:
        """Mark due reminders `sending` and return them; committed before anything is sent."""
        # `r.state = 'pending'` stays a literal, as in the partial index reminders_due: a
        # prepared statement's generic plan cannot use that index for a parameter
        rows = await conn.fetch(
            f"""
            WITH due AS (
                SELECT r.id FROM {self.s}.reminders r
                JOIN {self.s}.bookings b ON b.id = r.booking_id
                WHERE r.state = 'pending' AND r.due_at <= $1
                  AND b.status = ANY($3::text[]) AND b.starts_at > $1
                ORDER BY r.due_at LIMIT $2
                FOR UPDATE OF r SKIP LOCKED
            )
            UPDATE {self.s}.reminders r SET state = $4, claimed_at = $1
            FROM due WHERE r.id = due.id
            RETURNING r.id, r.offset_min, r.booking_id
            """,
            now,
            limit,
            ACTIVE_STATUSES,
            ReminderState.SENDING,
        )
        found = []
        for row in rows:
            booking = await self.booking(conn, row["booking_id"])
            found.append(DueReminder(row["id"], row["offset_min"], booking))
        return found

    async def retry_reminders(
        self, conn, *, ids: list[int] | None, stuck_before: datetime | None, max_attempts: int
    ) -> list[tuple[int, ReminderState]]:
        """Put reminders back to `pending` for another try — the given ones (a transient send
        error), or those left `sending` since before `stuck_before` (a worker died while sending)
        — or to `failed` once they had `max_attempts`. Returns (booking id, new state)."""
        # `state = 'sending'` stays a literal, as in the partial index reminders_sending
        rows = await conn.fetch(
            f"""
            UPDATE {self.s}.reminders
               SET attempts = attempts + 1, claimed_at = NULL,
                   state = CASE WHEN attempts + 1 >= $3 THEN $4 ELSE $5 END
             WHERE state = 'sending'
               AND (id = ANY($1::int[]) OR ($2::timestamptz IS NOT NULL AND claimed_at < $2))
            RETURNING booking_id, state
            """,
            ids or [],
            stuck_before,
            max_attempts,
            ReminderState.FAILED,
            ReminderState.PENDING,
        )
        return [(r["booking_id"], ReminderState(r["state"])) for r in rows]

    async def expire_reminders(self, conn, now: datetime) -> None:
        """Reminders whose appointment has started unsent are skipped."""
        # `r.state = 'pending'` stays a literal, as in the partial index reminders_due
        await conn.execute(
            f"""UPDATE {self.s}.reminders r SET state = $2 FROM {self.s}.bookings b
                WHERE b.id = r.booking_id AND r.state = 'pending'
                  AND (b.starts_at <= $1 OR b.status <> ALL($3::text[]))""",
            now,
            ReminderState.SKIPPED,
            ACTIVE_STATUSES,
        )

    async def finish_reminder(
        self, conn, reminder_id: int, state: ReminderState, now: datetime | None
    ) -> None:
        await conn.execute(
            f"UPDATE {self.s}.reminders SET state = $2, sent_at = $3 WHERE id = $1",
            reminder_id,
            state,
            now,
        )
