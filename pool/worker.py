"""The pool worker: one process per slot (`BOT_POOL_ID`), waiting until Sales hands it a tenant.

`run_slot(settings)` is the slot's whole life and has no import-time side effects: the spawner
(`pool.spawner`) forks slots from a process that imported this module once, and calls `serve()`
in the child; `main()` is the standalone entry point (`python -m pool.worker`, which the launcher
`booking-pool-worker` becomes when there is no spawner).

Waiting: the worker blocks on `BLPOP bot_wake:<slot>` (woken at once by `activate_bot`), and
every `CONFIG_CHECK_INTERVAL` seconds (the seed's 5 s) it also checks `bot_config:<slot>` itself.
Active: the tenant's bot long-polls Telegram; the same wake list brings release commands.
PostgreSQL is the truth: a restarted worker comes back as the tenant of its open assignment.

Fencing: the slot's status carries the id of its assignment, and every `FENCING_EVERY`
heartbeat intervals an active worker checks in PostgreSQL that the assignment is still open; one
closed elsewhere (e.g. released while this worker's heartbeat stalled) stops the tenant bot at
once. Heartbeats go over their own connection, with a bounded timeout, so a half-open blocking
connection cannot stall them; the heartbeat and the fencing check are two `core.periodic` loops,
so a slow PostgreSQL cannot delay a beat either.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass

import asyncpg
import redis.asyncio as aioredis
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramUnauthorizedError
from aiogram.methods import GetUpdates
from loguru import logger
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bots import texts as bot_texts
from bots.context import TenantContext
from bots.factory import BotOptions, build_dispatcher
from core import keys, periodic, redis_acl
from core.crypto import TokenCipherError, cipher_from_settings
from core.db import pool_from_settings
from core.logs import setup_logging
from core.platform_repo import Tenant, TenantAlreadyActive, TenantMayNotRun
from core.redis_client import make_redis, make_tenant_redis
from core.settings import Settings
from core.status import ActivationEvent
from core.telegram import build_bot
from core.tenant_access import tenant_redis_password
from core.tokens import redact
from pool import scripts, slotlock
from pool.config import ActivationConfig, ConfigError
from pool.status import (
    TOKEN_REJECTED,
    WAITING_LINE,
    RejectionCode,
    SlotStatus,
    now_iso,
    parse,
    status_doc,
    unix_now,
)
from pool.store import SlotStore

REDIS_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)
ACK_TTL = 300


class ActivationRejected(Exception):
    """The config cannot be served; the slot goes back to waiting. No secrets in the message.

    `code` tells callers why without parsing the text.
    """

    def __init__(self, message: str, code: RejectionCode) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class TenantConnections:
    """A tenant bot's own connections: PostgreSQL as role `client_NNN`, Redis as ACL user
    `client_NNN`. The bot is given these, never the slot's."""

    db: asyncpg.Pool
    redis: aioredis.Redis

    async def close(self) -> None:
        with contextlib.suppress(*REDIS_ERRORS):
            await self.redis.aclose()
        try:
            await asyncio.wait_for(self.db.close(), timeout=10)
        except TimeoutError:
            self.db.terminate()


class _PollingHealth:
    """Counts getUpdates failures in a row; past `threshold` the slot's status shows the last
    one (and the Master alerts), until a getUpdates succeeds again."""

    def __init__(self, threshold: int, changed) -> None:
        self.threshold = threshold
        self.failures = 0
        self.error: str | None = None
        self._changed = changed

    def failed(self, exc: Exception) -> None:
        self.failures += 1
        if self.failures >= self.threshold:
            detail = exc.message if isinstance(exc, TelegramAPIError) else str(exc)
            self.error = redact(f"{type(exc).__name__}: {detail}"[:300]) + f" (×{self.failures})"
            self._changed()

    def ok(self) -> None:
        if self.failures:
            self.failures = 0
            if self.error is not None:
                self.error = None
                self._changed()


@dataclass
class Running:
    tenant: TenantContext
    connections: TenantConnections
    bot: Bot
    dispatcher: Dispatcher
    polling: asyncio.Task
    started: asyncio.Event
    revoked: asyncio.Event
    updates: _UpdateCounter
    bot_username: str | None
    activated_at: str
    assignment_id: int | None = None
    health: _PollingHealth | None = None


class _UpdateCounter:
    """Counts the updates a tenant bot handles, in memory: no I/O on an update's path. The
    heartbeat adds the count to `metrics:tenant_updates` (`flush`)."""

    def __init__(self, client_id: str) -> None:
        self.client_id = client_id
        self.pending = 0

    async def __call__(self, handler, event, data):
        self.pending += 1
        return await handler(event, data)

    async def flush(self, redis: aioredis.Redis) -> None:
        count, self.pending = self.pending, 0
        if count:
            try:
                await redis.hincrby(keys.tenant_updates(), self.client_id, count)
            except REDIS_ERRORS:
                self.pending += count  # kept for the next beat
                raise


class SlotWorker:
    def __init__(
        self,
        settings: Settings,
        redis: aioredis.Redis,
        store: SlotStore,
        log,
        beat: aioredis.Redis | None = None,
    ) -> None:
        """`redis` blocks (BLPOP); `beat`, for heartbeats, has a bounded socket timeout."""
        self.settings = settings
        self.slot = settings.slot_id
        self.pool_id = settings.bot_pool_id
        self.redis = redis
        self.beat = beat or redis
        self.store = store
        self.log = log
        self.running: Running | None = None
        self.resuming: str | None = None  # client id while coming back from PostgreSQL
        self.resume_error: str | None = None
        self.last_error: str | None = None
        self.fenced: int | None = None  # an assignment found closed, to stop in the loop
        self._may_acl = True  # False once Redis refused this slot's ACL SETUSER
        self._status_changed = False
        self._notices: set[asyncio.Task] = set()  # the owner's notices in flight
        self._replace_if = self.beat.register_script(scripts.REPLACE_IF)

    # -- status -------------------------------------------------------------------------------

    def _status(self) -> str:
        if self.resuming is not None:
            return status_doc(
                self.slot,
                self.pool_id,
                SlotStatus.RESUMING,
                client_id=self.resuming,
                resume_error=self.resume_error,
            )
        if self.running is None:
            return status_doc(
                self.slot, self.pool_id, SlotStatus.WAITING, last_error=self.last_error
            )
        run = self.running
        return status_doc(
            self.slot,
            self.pool_id,
            SlotStatus.ACTIVE,
            client_id=run.tenant.client_id,
            company_name=run.tenant.company_name,
            bot_username=run.bot_username,
            activated_at=run.activated_at,
            assignment_id=run.assignment_id,
            polling_error=run.health.error if run.health else None,
        )

    def _mark_changed(self) -> None:
        """The status document changed outside the loop: the next heartbeat writes it."""
        self._status_changed = True

    async def _publish(self) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(keys.bot_status(self.slot), self._status())
            pipe.zadd(keys.pool_heartbeats(), {self.slot: unix_now()})
            await pipe.execute()

    async def _back_to_waiting(self) -> None:
        await self._publish()
        self.log.info(WAITING_LINE)

    async def _beat(self) -> None:
        """One heartbeat, and registering again if Redis lost our status (a restart with empty
        data). Redis being away is expected here (a warning, and the next beat tries again);
        anything else is raised to the heartbeat loop, which logs it and goes on beating."""
        changed, self._status_changed = self._status_changed, False
        try:
            async with self.beat.pipeline(transaction=True) as pipe:
                pipe.zadd(keys.pool_heartbeats(), {self.slot: unix_now()})
                pipe.set(keys.bot_status(self.slot), self._status(), nx=not changed)
                _, created = await pipe.execute()
            if created and not changed:
                self.log.warning("status was missing in Redis: registered again")
                if self.running is not None:  # Redis lost its data, maybe its users too
                    await self._ensure_tenant_redis_user(self.running.tenant.client_id)
            await self._expire_reservation()
            if self.running is not None:
                await self.running.updates.flush(self.beat)
        except Exception as exc:
            self._status_changed = self._status_changed or changed  # written at the next beat
            if not isinstance(exc, REDIS_ERRORS):
                raise
            self.log.warning("heartbeat: Redis unavailable ({}), retrying", type(exc).__name__)

    async def _check_fence(self) -> None:
        """Is the running tenant's assignment still open in PostgreSQL? If not, have the loop
        stop it at once (a wake-up) — or at its next turn if Redis is unreachable."""
        run = self.running
        if run is None or run.assignment_id is None or self.fenced is not None:
            return
        try:
            is_open = await asyncio.wait_for(
                self.store.assignment_is_open(run.assignment_id),
                timeout=self.settings.heartbeat_timeout,
            )
        except Exception as exc:  # PostgreSQL unreachable: keep serving, check again later
            self.log.warning("fencing check failed ({}), retrying", type(exc).__name__)
            return
        if is_open or self.running is not run:
            return
        self.fenced = run.assignment_id
        with contextlib.suppress(*REDIS_ERRORS):
            async with self.beat.pipeline(transaction=True) as pipe:
                pipe.lpush(keys.bot_wake(self.slot), json.dumps({"cmd": "fence"}))
                pipe.expire(keys.bot_wake(self.slot), ACK_TTL)
                await pipe.execute()

    async def _expire_reservation(self) -> None:
        """A slot reserved by `find_free_bot` but never activated goes back to waiting."""
        if self.running is not None:
            return
        cutoff = unix_now() - self.settings.slot_reservation_timeout
        if await self._replace_if(
            keys=[keys.bot_status(self.slot)], args=[SlotStatus.RESERVED, self._status(), cutoff]
        ):
            self.log.warning("reservation expired without an activation: back to waiting")

    async def _ack(self, request_id: str, **payload) -> None:
        if not request_id:
            return
        key = keys.bot_ack(request_id)
        async with self.beat.pipeline(transaction=True) as pipe:
            pipe.lpush(key, json.dumps(payload, ensure_ascii=False))
            pipe.expire(key, ACK_TTL)
            await pipe.execute()

    # -- the loop -----------------------------------------------------------------------------

    async def run(self) -> None:
        found = await self.store.assigned(self.slot)
        if found is not None:
            self.resuming = found[0].client_id
        await self._publish()  # before the heartbeat, so a resuming slot never looks free
        every = self.settings.heartbeat_interval
        # a heartbeat keeps its beat (no backoff); fencing, on its own task, never delays it
        loops = [
            periodic.start("heartbeat", every, self._beat, log=self.log, max_backoff=0),
            periodic.start(
                "fencing",
                every * self.settings.fencing_every,
                self._check_fence,
                log=self.log,
                max_backoff=0,
                immediately=False,
            ),
        ]
        try:
            if found is None:
                self.log.info(WAITING_LINE)
            else:
                await self._resume(*found)
            await self._loop()
        finally:
            await periodic.stop(*loops)

    async def _loop(self) -> None:
        wake_key = keys.bot_wake(self.slot)
        interval = self.settings.config_check_interval
        while True:
            try:
                if self.fenced is not None:
                    await self._fence()
                # bounded even if the connection is half-open: a cancelled read drops it
                item = await asyncio.wait_for(
                    self.redis.blpop([wake_key], timeout=interval),
                    timeout=interval + self.settings.heartbeat_timeout,
                )
                command = json.loads(item[1]) if item else {}
                if command.get("cmd") == "activate" and self.running is not None:
                    # someone holds this slot for free: is our assignment still open?
                    await self._check_fence()
                if self.fenced is not None:
                    await self._fence()
                if command.get("cmd") == "release":
                    await self._release(command.get("request_id", ""), command.get("reason", ""))
                elif self.running is None:
                    raw = await self.redis.getdel(keys.bot_config(self.slot))
                    if raw is not None:
                        await self._activate(raw)
                elif self.running.revoked.is_set():
                    await self._token_revoked()
                elif self.running.polling.done():
                    await self._polling_died()
            except (*REDIS_ERRORS, TimeoutError) as exc:
                self.log.warning("Redis unavailable ({}), retrying in 1 s", type(exc).__name__)
                await asyncio.sleep(1)
            except ValueError:
                self.log.warning("ignored a malformed command on {}", wake_key)

    # -- activation ---------------------------------------------------------------------------

    async def _activate(self, raw: str) -> None:
        started = time.perf_counter()
        activation_id = ""
        client_id = None
        try:
            try:
                config = ActivationConfig.loads(raw, self.store.cipher)
            except ConfigError as exc:
                data = parse(raw) or {}
                activation_id = str(data.get("activation_id") or "")
                client_id = (
                    data.get("client_id") if isinstance(data.get("client_id"), str) else None
                )
                raise ActivationRejected(
                    f"invalid configuration: {exc}", RejectionCode.INVALID_CONFIG
                ) from None
            activation_id, client_id = config.activation_id, config.client_id
            self.log.info("configuration received for {} ({})", config.client_id, activation_id)
            run = await self._start_tenant(config, activation_id)
        except ActivationRejected as exc:
            await self._reject(activation_id, client_id, str(exc), exc.code)
            return
        except Exception as exc:
            # e.g. PostgreSQL unreachable: answer the caller, stay a healthy waiting slot
            self.log.opt(exception=exc).error("activation of {} failed", client_id or "?")
            await self._reject(
                activation_id,
                client_id,
                f"worker error: {type(exc).__name__}",
                RejectionCode.WORKER_ERROR,
            )
            return
        ms = round((time.perf_counter() - started) * 1000)
        await self._publish()
        self.log.bind(client=run.tenant.client_id).info(
            "✅ BOT ACTIVATED slot={} client={} bot=@{} in {} ms",
            self.slot,
            run.tenant.client_id,
            run.bot_username,
            ms,
        )
        await self._ack(
            activation_id,
            ok=True,
            client_id=run.tenant.client_id,
            bot_username=run.bot_username,
            duration_ms=ms,
        )
        await self.store.record_event(
            slot=self.slot,
            event=ActivationEvent.ACTIVATED,
            client_id=run.tenant.client_id,
            activation_id=activation_id,
            duration_ms=ms,
        )

    async def _start_tenant(self, config: ActivationConfig, activation_id: str) -> Running:
        """getMe first, so a rejected token leaves nothing behind; then record and start.

        A tenant that may not run is refused before its token is used at all (no getMe, no
        webhook deleted); PostgreSQL refuses its assignment anyway."""
        refusal = await self.store.run_refusal(config.client_id)
        if refusal is not None:
            raise ActivationRejected(
                f"{config.client_id} may not run: {refusal}", RejectionCode.NOT_ALLOWED
            )
        bot = build_bot(config.bot_token, self.settings.telegram_api_base)
        try:
            me = await self._check_token(bot)
            had_webhook = await self._delete_webhook(bot, config.client_id)
            tenant = Tenant(config.client_id, config.company_name, config.admin_telegram_id)
            try:
                assignment_id = await self.store.record_activation(
                    slot=self.slot,
                    activation_id=activation_id,
                    tenant=tenant,
                    token=config.bot_token,
                    bot_id=me.id,
                    bot_username=me.username,
                )
            except TenantAlreadyActive as exc:
                raise ActivationRejected(str(exc), RejectionCode.TENANT_ACTIVE) from None
            except TenantMayNotRun as exc:
                raise ActivationRejected(str(exc), RejectionCode.NOT_ALLOWED) from None
            try:
                connections = await self._open_tenant(config.client_id)
            except Exception as exc:
                self.log.opt(exception=exc).error("tenant {} cannot be set up", config.client_id)
                await self.store.release(
                    self.slot, "tenant schema failed", event=ActivationEvent.FAILED
                )
                raise ActivationRejected(
                    f"tenant schema failed: {type(exc).__name__}", RejectionCode.SCHEMA_FAILED
                ) from None
        except BaseException:
            await bot.session.close()
            raise
        context = TenantContext(config.client_id, config.company_name, config.admin_telegram_id)
        run = self._start_polling(context, connections, bot, me.username, assignment_id)
        if had_webhook:
            task = asyncio.create_task(self._tell_owner_webhook_removed(run))
            self._notices.add(task)
            task.add_done_callback(self._notices.discard)
        return run

    async def _delete_webhook(self, bot: Bot, client_id: str) -> bool:
        """A webhook on the token makes every getUpdates fail (409): activation removes it.
        Returns whether there was one (the owner is told). The URL is never logged."""
        try:
            info = await bot.get_webhook_info()
            if not info.url:
                return False
            await bot.delete_webhook(drop_pending_updates=False)
        except (TimeoutError, TelegramNetworkError, OSError) as exc:
            raise ActivationRejected(
                f"Telegram API unreachable: {type(exc).__name__}",
                RejectionCode.TELEGRAM_UNREACHABLE,
            ) from None
        self.log.warning("removed a webhook from the bot token of {}", client_id)
        return True

    async def _tell_owner_webhook_removed(self, run: Running) -> None:
        try:
            await asyncio.wait_for(run.started.wait(), timeout=60)
            await run.bot.send_message(run.tenant.admin_telegram_id, bot_texts.WEBHOOK_REMOVED)
        except Exception as exc:  # e.g. the owner never pressed Start: the log says so
            self.log.warning(
                "could not tell the owner of {} about the webhook: {}",
                run.tenant.client_id,
                type(exc).__name__,
            )

    async def _open_tenant(self, client_id: str) -> TenantConnections:
        """The tenant's role and schema (as itself), and its Redis user's client. The Redis user
        is made by whoever activates (`BotPoolManager.activate_bot`) or restored by Sales; the
        worker makes it itself only where its own Redis user may (a developer machine)."""
        password = await self._ensure_tenant_redis_user(client_id)
        db = await self.store.open_tenant_db(
            client_id, self.settings.dsn, idle=self.settings.slot_db_idle
        )
        return TenantConnections(db, make_tenant_redis(self.settings, client_id, password))

    async def _ensure_tenant_redis_user(self, client_id: str) -> str:
        """The tenant's Redis password; its user too where the slot's Redis user may run ACL
        (asked once: a deployment's pool may not, and is not asked again)."""
        password = tenant_redis_password(self.store.cipher, client_id)
        if self._may_acl and not await redis_acl.try_ensure_tenant_user(
            self.beat, client_id, password
        ):
            self._may_acl = False
            self.log.info("tenants' Redis users are made by the activating service (no ACL here)")
        return password

    async def _check_token(self, bot: Bot):
        try:
            return await bot.me()
        except TelegramUnauthorizedError:
            raise ActivationRejected(TOKEN_REJECTED, RejectionCode.TOKEN_REJECTED) from None
        except (TimeoutError, TelegramNetworkError, OSError) as exc:
            raise ActivationRejected(
                f"Telegram API unreachable: {type(exc).__name__}",
                RejectionCode.TELEGRAM_UNREACHABLE,
            ) from None

    def _start_polling(
        self,
        tenant: TenantContext,
        connections: TenantConnections,
        bot: Bot,
        username: str | None,
        assignment_id: int | None,
    ) -> Running:
        dp = build_dispatcher(
            tenant,
            redis=connections.redis,
            db=connections.db,
            options=BotOptions.from_settings(self.settings),
        )
        updates = _UpdateCounter(tenant.client_id)
        dp.update.outer_middleware(updates)
        started = asyncio.Event()
        dp.startup.register(started.set)
        revoked = asyncio.Event()
        health = _PollingHealth(self.settings.polling_error_threshold, self._mark_changed)

        async def watch_unauthorized(make_request, bot, method):
            try:
                result = await make_request(bot, method)
            except TelegramUnauthorizedError:
                revoked.set()  # the slot loop ends the assignment within a few seconds
                raise
            except Exception as exc:
                if isinstance(method, GetUpdates):
                    health.failed(exc)
                raise
            if isinstance(method, GetUpdates):
                health.ok()
            return result

        bot.session.middleware(watch_unauthorized)
        with logger.contextualize(client=tenant.client_id):  # aiogram's lines name the tenant
            polling = asyncio.create_task(
                dp.start_polling(
                    bot,
                    handle_signals=False,
                    close_bot_session=True,
                    polling_timeout=self.settings.polling_timeout,
                ),
                name=f"polling-{tenant.client_id}",
            )
        self.running = Running(
            tenant,
            connections,
            bot,
            dp,
            polling,
            started,
            revoked,
            updates,
            username,
            now_iso(),
            assignment_id,
            health,
        )
        self.last_error = None
        return self.running

    async def _reject(
        self, activation_id: str, client_id: str | None, reason: str, code: RejectionCode
    ) -> None:
        self.last_error = reason
        self.log.error("activation of {} rejected: {}; back to waiting", client_id or "?", reason)
        await self._back_to_waiting()
        await self._ack(activation_id, ok=False, client_id=client_id, error=reason, code=code)
        try:
            await self.store.record_event(
                slot=self.slot,
                event=ActivationEvent.REJECTED,
                client_id=client_id,
                activation_id=activation_id or None,
                detail=reason,
            )
        except Exception as exc:  # the history is best effort; the slot stays usable
            self.log.warning("could not record the rejection: {}", type(exc).__name__)

    # -- resume, release, stop ---------------------------------------------------------------

    async def _resume(self, assigned, token: str) -> None:
        """Come back as the tenant of the slot's open assignment in PostgreSQL. A start that
        fails (e.g. the tenant's schema) is retried with a growing pause, the error in the
        slot's status and the history (the Master alerts), instead of crashing the worker."""
        self.resuming = assigned.client_id
        self.log.info("resuming {} from PostgreSQL", assigned.client_id)
        refusal = await self.store.run_refusal(assigned.client_id)
        if refusal is not None:  # suspended or ended while the worker was down
            self.resuming = None
            await self.store.release(self.slot, f"may not run: {refusal}")
            self.last_error = f"{assigned.client_id} may not run: {refusal}"
            self.log.warning("not resuming {}: may not run ({})", assigned.client_id, refusal)
            await self._back_to_waiting()
            return
        failures = 0
        backoff = 1.0
        command: dict = {}
        run = None
        try:
            while True:
                try:
                    run = await self._resume_once(assigned, token)
                    break
                except Exception as exc:
                    failures += 1
                    reason = f"resume failed: {type(exc).__name__}"
                    self.resume_error = f"{reason} (×{failures})"
                    self.log.opt(exception=exc).error(
                        "cannot resume {} ({}); next attempt in {:g} s",
                        assigned.client_id,
                        self.resume_error,
                        backoff,
                    )
                    await self._resume_failed_noted(assigned.client_id, reason, failures)
                command = await self._pause_resume(backoff)
                if command.get("cmd") == "release" or not await self._still_assigned(assigned):
                    break
                backoff = min(backoff * 2, self.settings.resume_backoff_max)
        finally:
            self.resuming = None
            self.resume_error = None
        if command.get("cmd") == "release":
            await self._release(command.get("request_id", ""), command.get("reason", ""))
            return
        if run is None:
            await self._back_to_waiting()
            return
        await self._publish()
        await self.store.record_event(
            slot=self.slot, event=ActivationEvent.RESUMED, client_id=assigned.client_id
        )
        self.log.bind(client=assigned.client_id).info(
            "✅ BOT ACTIVATED slot={} client={} bot=@{} (resumed after restart)",
            self.slot,
            assigned.client_id,
            run.bot_username,
        )

    async def _resume_once(self, assigned, token: str) -> Running | None:
        """One attempt; None when the assignment ended (a revoked token)."""
        me, bot = await self._resume_check(assigned.client_id, token)
        if bot is None:
            return None
        try:
            connections = await self._open_tenant(assigned.client_id)
        except BaseException:
            await bot.session.close()
            raise
        context = TenantContext(
            assigned.client_id, assigned.company_name, assigned.admin_telegram_id
        )
        return self._start_polling(context, connections, bot, me.username, assigned.assignment_id)

    async def _resume_failed_noted(self, client_id: str, reason: str, failures: int) -> None:
        """Status at once; the history (an alert) on the first failure, not on every retry."""
        with contextlib.suppress(*REDIS_ERRORS):
            await self._publish()
        if failures == 1:
            try:
                await self.store.record_event(
                    slot=self.slot, event=ActivationEvent.FAILED, client_id=client_id, detail=reason
                )
            except Exception as exc:
                self.log.warning("could not record the failed resume: {}", type(exc).__name__)

    async def _pause_resume(self, seconds: float) -> dict:
        """Wait before the next attempt, listening for a release command meanwhile."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                item = await asyncio.wait_for(
                    self.redis.blpop([keys.bot_wake(self.slot)], timeout=max(1, round(left))),
                    timeout=left + self.settings.heartbeat_timeout,
                )
            except (*REDIS_ERRORS, TimeoutError):
                await asyncio.sleep(min(1.0, max(left, 0)))
                continue
            try:
                command = json.loads(item[1]) if item else {}
            except ValueError:
                command = {}
            if isinstance(command, dict) and command.get("cmd") == "release":
                return command
        return {}

    async def _still_assigned(self, assigned) -> bool:
        try:
            found = await self.store.assigned(self.slot)
        except Exception as exc:  # PostgreSQL down: try again after the next pause
            self.log.warning("cannot read the assignment ({})", type(exc).__name__)
            return True
        return found is not None and found[0].assignment_id == assigned.assignment_id

    async def _resume_check(self, client_id: str, token: str):
        """getMe until it answers; a revoked token ends the assignment. Returns (me, bot)."""
        backoff = 1.0
        while True:
            bot = build_bot(token, self.settings.telegram_api_base)
            try:
                return await bot.me(), bot
            except TelegramUnauthorizedError:
                await bot.session.close()
                await self.store.release(self.slot, TOKEN_REJECTED, event=ActivationEvent.FAILED)
                self.last_error = f"{client_id}: {TOKEN_REJECTED}"
                self.log.error("cannot resume {}: {}; back to waiting", client_id, TOKEN_REJECTED)
                return None, None
            except (TimeoutError, TelegramNetworkError, OSError) as exc:
                await bot.session.close()
                self.log.warning(
                    "cannot reach Telegram to resume {} ({}), retrying in {:g} s",
                    client_id,
                    type(exc).__name__,
                    backoff,
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30)

    async def _stop_tenant(self) -> TenantContext | None:
        run, self.running = self.running, None
        if run is None:
            return None
        if run.started.is_set() and not run.polling.done():
            await run.dispatcher.stop_polling()  # cancels the long poll in flight
        else:
            run.polling.cancel()  # not started yet: nothing inside to wind down
        await asyncio.gather(run.polling, return_exceptions=True)
        await run.bot.session.close()
        await run.connections.close()
        with contextlib.suppress(*REDIS_ERRORS):
            await run.updates.flush(self.redis)
        return run.tenant

    async def _release(self, request_id: str, reason: str) -> None:
        reason = reason or "released"
        tenant = await self._stop_tenant()
        client_id = await self.store.release(self.slot, reason)
        self.last_error = None
        self.log.info("🔓 released {} ({}); back to waiting", client_id or "nothing", reason)
        await self._back_to_waiting()
        await self._ack(request_id, ok=True, client_id=client_id or (tenant and tenant.client_id))

    async def _fence(self) -> None:
        """The running tenant's assignment was closed elsewhere: stop its bot now, close
        nothing (it is closed already) and wait for a new configuration."""
        fenced, self.fenced = self.fenced, None
        run = self.running
        if run is None or run.assignment_id != fenced:
            return
        await self._stop_tenant()
        self.last_error = f"{run.tenant.client_id}: assignment {fenced} was closed elsewhere"
        self.log.error(
            "the assignment {} of {} was closed elsewhere: tenant bot stopped; back to waiting",
            fenced,
            run.tenant.client_id,
        )
        await self._back_to_waiting()

    async def _token_revoked(self) -> None:
        tenant = await self._stop_tenant()
        await self.store.release(self.slot, TOKEN_REJECTED, event=ActivationEvent.FAILED)
        self.last_error = f"{tenant.client_id}: {TOKEN_REJECTED}"
        self.log.error(
            "the bot of {} lost its token: {}; back to waiting", tenant.client_id, TOKEN_REJECTED
        )
        await self._back_to_waiting()

    async def _polling_died(self) -> None:
        run = self.running
        exc = run.polling.exception() if not run.polling.cancelled() else None
        self.log.error("tenant bot polling stopped unexpectedly: {!r}; restarting it", exc)
        await self._stop_tenant()
        found = await self.store.assigned(self.slot)
        if found is None:
            await self._back_to_waiting()
        else:
            await self._resume(*found)

    async def shutdown(self) -> None:
        """Clean stop: stop the bot, leave the assignment (a restart resumes it), unregister."""
        for task in list(self._notices):
            task.cancel()
        await self._stop_tenant()
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.delete(keys.bot_status(self.slot))
                pipe.zrem(keys.pool_heartbeats(), self.slot)
                await pipe.execute()
        except REDIS_ERRORS:
            pass


async def run_slot(
    settings: Settings,
    stop: asyncio.Event | None = None,
    lifeline: socket.socket | None = None,
) -> None:
    """Run one slot until `stop` is set (or SIGTERM/SIGINT when `stop` is None), or until the
    `lifeline` socket (the launcher of a forked slot) reaches EOF."""
    with logger.contextualize(slot=settings.slot_id):  # every line of this slot names it
        await _run_slot(settings, stop, lifeline, logger.bind(slot=settings.slot_id))


def _watch_lifeline(lifeline: socket.socket, stop: asyncio.Event, log) -> None:
    """Stop when the launcher dies: its end of the socket closes (EOF here)."""
    loop = asyncio.get_running_loop()

    def readable() -> None:
        if not _gone(lifeline):
            with contextlib.suppress(OSError):  # the launcher sends nothing more: drop it
                lifeline.recv(4096, socket.MSG_DONTWAIT)
            return
        loop.remove_reader(lifeline.fileno())
        if not stop.is_set():
            log.warning("the slot's launcher is gone: stopping")
            stop.set()

    loop.add_reader(lifeline.fileno(), readable)


async def _run_slot(
    settings: Settings, stop: asyncio.Event | None, lifeline: socket.socket | None, log
) -> None:
    log.info("🕐 BOT CONTAINER STARTED IN WAITING MODE")
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    if lifeline is not None:
        _watch_lifeline(lifeline, stop, log)
    cipher = cipher_from_settings(settings)
    # a waiting slot needs PostgreSQL only to activate: idle connections are closed, the last
    # one too (min_size 0; one is opened at start, so an unreachable server is retried here)
    db = await pool_from_settings(
        settings,
        attempts=30,
        min_size=0,
        init_size=1,
        max_size=2,
        max_inactive=settings.slot_db_idle,
    )
    redis = make_redis(settings)
    beat = make_redis(settings, socket_timeout=settings.heartbeat_timeout)
    worker = SlotWorker(settings, redis, SlotStore(db, cipher), log, beat)
    task = asyncio.create_task(worker.run(), name="slot")
    stopper = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()  # a crash propagates: supervisor restarts us, PostgreSQL resumes us
    finally:
        for t in (task, stopper):
            t.cancel()
        await asyncio.gather(task, stopper, return_exceptions=True)
        await asyncio.wait_for(worker.shutdown(), timeout=10)
        await beat.aclose()
        await redis.aclose()
        await db.close()
        log.info("slot stopped")


def load_settings() -> Settings:
    """The slot's settings from the environment; exit 2 with the reason when they are bad."""
    try:
        settings = Settings()
        settings.slot_id  # noqa: B018  (BOT_POOL_ID is required here)
    except ValueError as exc:  # pydantic's ValidationError too: it names the variable
        print(f"pool worker: bad settings: {exc}", file=sys.stderr)
        sys.exit(2)
    return settings


def _gone(lifeline: socket.socket) -> bool:
    """Has the launcher's end of the socket closed (EOF, nothing left to read)?"""
    try:
        return lifeline.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def serve(settings: Settings, lifeline: socket.socket | None = None) -> None:
    """Log as the slot and run it to the end; `lifeline`: see `run_slot`. With a spawner
    configured, the slot's lock is taken first (one process per slot on this host)."""
    ident = settings.slot_id
    log = setup_logging(
        settings.log_level,
        ident=ident,
        syslog_address=settings.log_syslog_address if settings.log_syslog else None,
    ).bind(slot=ident)
    lock = None
    if lifeline is not None and _gone(lifeline):
        log.warning("the slot's launcher is gone before the slot started")
        return
    if settings.pool_spawner_socket:
        try:
            lock = slotlock.acquire(
                slotlock.lock_path(settings.pool_spawner_socket, settings.bot_pool_id),
                say=log.warning,
                abandoned=lambda: lifeline is not None and _gone(lifeline),
            )
        except slotlock.Abandoned:
            log.warning("the slot's launcher is gone before the slot started")
            return
        except slotlock.SlotBusy as exc:
            log.error("cannot start: {}", exc)
            sys.exit(1)
        except OSError as exc:  # no spawner directory (the spawner never ran): run unguarded
            log.warning("slot lock unavailable ({}): running without it", exc.strerror)
    try:
        asyncio.run(run_slot(settings, lifeline=lifeline))
    except (TokenCipherError, ConnectionError) as exc:
        log.error("cannot start: {}", exc)
        sys.exit(1)
    finally:
        if lock is not None:
            os.close(lock)


def main() -> None:
    serve(load_settings())


if __name__ == "__main__":
    main()
