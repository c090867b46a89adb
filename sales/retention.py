"""Retention: data is deleted when the buyer was told it would be, and nothing grows for ever.

`tick(now)` is one pass; the Sales service runs it every `RETENTION_CHECK_INTERVAL` seconds (Sales
runs the subscription lifecycle that sets `archive_until`, knows the buyers, and its Redis user
may delete tenants' users and keys). A pass:

1. reminds each buyer `ARCHIVE_NOTICE_DAYS` before its released bot's data is deleted (once),
   with an «export» button; an archive whose buyer was never reminded (e.g. released before this
   existed) moves its date to the end of the notice period;
2. deletes every archive past `archive_until` whose buyer was reminded: first the tenant's Redis user and keys
   `client_NNN:*`, then, in PostgreSQL, `platform.purge_tenant` drops schema `client_NNN` and role
   `client_NNN` and deletes the stored token and password (billing records stay); the buyer is
   told;
3. prunes `activation_history`, delivered alerts, never-paid orders and sent buyers' notices older
   than their retention settings.

`deliver_notices()` sends the notices the Master leaves for buyers (suspended, resumed).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

from bots.clock import Clock, SystemClock
from core import redis_acl
from sales import retention_repo as repo

NOTICE_ATTEMPTS = 20  # a buyer who blocked the Sales Bot is not retried for ever


class RetentionService:
    def __init__(
        self,
        *,
        db: asyncpg.Pool,
        redis,
        notifier,
        log,
        notice_days: float = 7,
        history_days: float = 180,
        alerts_days: float = 90,
        orders_days: float = 30,
        notices_days: float = 30,
        clock: Clock | None = None,
    ) -> None:
        self.clock = clock or SystemClock()
        self.db = db
        self.redis = redis
        self.notifier = notifier
        self.log = log
        self.notice = timedelta(days=notice_days)
        self.ages = {
            "history_days": history_days,
            "alerts_days": alerts_days,
            "orders_days": orders_days,
            "notices_days": notices_days,
        }

    async def tick(self, now: datetime | None = None) -> dict[str, int]:
        now = now or self.clock.now()
        done = {"reminded": 0, "purged": 0}
        async with self.db.acquire() as conn:
            to_remind = await repo.archives_to_remind(conn, now + self.notice)
        for archive in to_remind:
            async with self.db.acquire() as conn:
                until = await repo.mark_purge_reminded(conn, archive.client_id, now + self.notice)
            if until is None:
                continue
            await self.notifier.archive_soon(
                archive.buyer_telegram_id,
                archive.bot_username or archive.client_id,
                until,
                archive.client_id,
            )
            done["reminded"] += 1
        async with self.db.acquire() as conn:
            due = await repo.archives_due(conn)
        for archive in due:
            if await self.purge(archive):
                done["purged"] += 1
        async with self.db.acquire() as conn:
            pruned = await repo.prune(conn, **self.ages)
        if any(pruned.values()):
            self.log.info(
                "retention: pruned {}",
                ", ".join(f"{n} {table}" for table, n in pruned.items() if n),
            )
        done.update(pruned)
        return done

    async def purge(self, archive: repo.Archive) -> bool:
        client_id = archive.client_id
        try:
            keys_deleted = await redis_acl.delete_tenant(self.redis, client_id)
        except Exception as exc:  # Redis down or no rights: PostgreSQL waits for the next pass
            self.log.error(
                "retention: cannot delete Redis user and keys of {}: {}; retrying next pass",
                client_id,
                type(exc).__name__,
            )
            return False
        try:
            async with self.db.acquire() as conn, conn.transaction():
                purged = await repo.purge_tenant(conn, client_id)
        except asyncpg.PostgresError as exc:  # e.g. the role still owns something elsewhere
            self.log.error(
                "retention: cannot delete the data of {}: {}; retrying next pass", client_id, exc
            )
            return False
        if not purged:  # renewed or running again meanwhile
            self.log.info("retention: {} not deleted: no longer a due archive", client_id)
            return False
        self.log.info(
            "retention: data of {} deleted (archive ended {}): schema, role, token, {} Redis keys;"
            " billing records kept",
            client_id,
            archive.archive_until.date(),
            keys_deleted,
        )
        await self.notifier.archive_deleted(
            archive.buyer_telegram_id, archive.bot_username or client_id
        )
        return True

    async def export(self, client_id: str) -> dict | None:
        async with self.db.acquire() as conn:
            return await repo.export_tenant(conn, client_id)

    async def deliver_notices(self) -> int:
        """Send the buyers' notices the Master left; returns how many were sent."""
        sent = 0
        async with self.db.acquire() as conn:
            notices = await repo.unsent_notices(conn)
        for notice in notices:
            error = await self.notifier.operator_notice(
                notice.telegram_id, notice.bot_username or notice.client_id, notice.kind
            )
            async with self.db.acquire() as conn:
                if error is None:
                    await repo.notice_sent(conn, notice.id)
                    sent += 1
                    continue
                give_up = notice.attempts + 1 >= NOTICE_ATTEMPTS
                await repo.notice_failed(conn, notice.id, error, give_up=give_up)
            if give_up:
                self.log.error(
                    "notice '{}' about {} to buyer {} dropped after {} attempts: {}",
                    notice.kind,
                    notice.client_id,
                    notice.telegram_id,
                    NOTICE_ATTEMPTS,
                    error,
                )
            else:
                self.log.warning(
                    "notice '{}' about {} not delivered to buyer {}: {}; retrying",
                    notice.kind,
                    notice.client_id,
                    notice.telegram_id,
                    error,
                )
        return sent
