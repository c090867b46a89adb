"""`booking-pool`: the operator's command line for the pool.

booking-pool migrate
booking-pool redis-users [--disable-default]
booking-pool status [--json]
booking-pool activate --slot 3 --token - --admin 123456789 --client client_003 --company "Салон Анны"
    (the token on standard input, or --token-file PATH; never on the command line)
booking-pool release --slot 3
booking-pool genkey
booking-pool rotate-key [--batch-size 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from contextlib import asynccontextmanager

import asyncpg
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoPermissionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core import redis_acl
from core.crypto import TokenCipher, TokenCipherError, cipher_from_settings
from core.db import pool_from_settings
from core.keys import check_client_id
from core.logs import redact_all_output
from core.migrations import MigrationError, migrate_all
from core.platform_repo import grant_operator_period, open_client_ids, run_refusal
from core.redis_client import make_redis
from core.rotation import ColumnReport, RotationError, RotationReport, rotate_keys
from core.settings import Settings, parse_slot
from core.status import RunRefusal
from core.tenant_access import restore_tenant_redis_users
from pool.config import ConfigError
from pool.manager import BotPoolManager, PoolError, pool_problems
from pool.scaler import ScalerError, scaler_from_settings
from pool.store import SlotStore

REDIS_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)


class CliError(Exception):
    pass


def _slot_arg(value: str) -> str:
    if value == "auto":
        return value
    try:
        return parse_slot(value)[0]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="booking-pool",
        description="Operate the Bot Pool: migrations, pool status, activation and release of slots."
        " Settings come from the environment (see .env.example).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser(
        "migrate",
        help="apply sql/platform and sql/tenant to every known tenant, give every tenant its "
        "PostgreSQL role, and (where this Redis user may) the Redis users of running tenants",
    )
    users = sub.add_parser(
        "redis-users",
        help="as the Redis admin: set the services' ACL users (passwords from REDIS_POOL_PASSWORD,"
        " REDIS_SALES_PASSWORD, REDIS_MASTER_PASSWORD; the rules are in core/redis_acl.py) and"
        " the users of running tenants; ACL SAVE where the server has an aclfile",
    )
    users.add_argument(
        "--disable-default",
        action="store_true",
        help="turn the `default` user off (a deployment; not while connected as it)",
    )

    status = sub.add_parser(
        "status",
        help="show the pool; exits 1 when unhealthy (no slots, a dead slot, no free slot)",
    )
    status.add_argument("--json", action="store_true", help="machine-readable output")

    act = sub.add_parser(
        "activate", help="hand a tenant to a waiting slot and wait for it", allow_abbrev=False
    )
    act.add_argument(
        "--slot",
        required=True,
        type=_slot_arg,
        help="slot number, booking-bot-pool-N, or 'auto' for any free slot",
    )
    where = act.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--token",
        choices=["-"],
        help="'-': read the tenant's bot token from standard input (never on the command "
        "line: every user sees that in `ps`)",
    )
    where.add_argument(
        "--token-file", metavar="PATH", help="read the tenant's bot token from this file"
    )
    act.add_argument("--admin", required=True, help="the owner's Telegram id")
    act.add_argument("--client", required=True, help="client id, client_NNN")
    act.add_argument("--company", required=True, help="company name shown to customers")
    act.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to wait for the worker (default 30)"
    )
    act.add_argument("--no-wait", action="store_true", help="return once the config is handed over")
    act.add_argument(
        "--days",
        type=int,
        default=30,
        help="for a client without a subscription: the operator's grant, in days, during which it"
        " may run (default 30; an existing grant is never shortened)",
    )

    rel = sub.add_parser("release", help="stop a slot's tenant bot; the slot goes back to waiting")
    rel.add_argument(
        "--slot", required=True, type=_slot_arg, help="slot number or booking-bot-pool-N"
    )
    rel.add_argument("--reason", default="released by operator", help="recorded in the history")
    rel.add_argument("--timeout", type=float, default=15.0)

    grow = sub.add_parser("grow", help="add slots through supervisor (needs SUPERVISOR_URL)")
    grow.add_argument("--by", type=int, default=1, help="how many slots to add (default 1)")

    sub.add_parser("genkey", help="print a new TOKEN_ENCRYPTION_KEY")

    rot = sub.add_parser(
        "rotate-key",
        help="re-encrypt every stored secret with the first key of TOKEN_ENCRYPTION_KEY",
        description="Re-encrypt every stored secret (tenant bot tokens, order tokens, tenant\n"
        "database passwords) with the first key of TOKEN_ENCRYPTION_KEY. Values the first\n"
        "key already reads are left alone. Safe to interrupt and run again. Exits 1,\n"
        "changing nothing, when a stored value cannot be decrypted with any of the keys\n"
        "(the rows are listed: table and key, never the value).",
        epilog=ROTATE_PROCEDURE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rot.add_argument(
        "--batch-size",
        type=_positive_int,
        default=100,
        help="rows per batch and per transaction (default 100)",
    )
    return parser


ROTATE_PROCEDURE = """\
rotating the key, without downtime:
  1) add the new key (booking-pool genkey) FIRST in TOKEN_ENCRYPTION_KEY on every
     service, the old key after it: TOKEN_ENCRYPTION_KEY=<new>,<old>; if
     TOKEN_FINGERPRINT_KEY is not set yet, set it to <old> (stored fingerprints
     stay valid). Restart the services one by one (rolling, no downtime).
  2) run `booking-pool rotate-key` (as the database owner, with the same keys).
  3) remove the old key: TOKEN_ENCRYPTION_KEY=<new>, keep TOKEN_FINGERPRINT_KEY,
     and restart the services one by one.
"""


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1, not {value!r}")
    return number


@asynccontextmanager
async def _connections(settings: Settings, *, with_db: bool):
    redis = make_redis(settings)
    db = None
    try:
        try:
            await redis.ping()
        except Exception as exc:
            raise CliError(
                f"cannot reach Redis at {settings.redis_host}:{settings.redis_port}: "
                f"{type(exc).__name__}: {exc}"
            ) from None
        if with_db:
            db = await pool_from_settings(settings)
        yield redis, db
    finally:
        await redis.aclose()
        if db is not None:
            await db.close()


def _print_status(status: dict) -> None:
    total = status["total"]
    print("🏊 СТАТУС ПУЛА БОТОВ")
    print(f"⚪ Свободно: {status['free']}/{total}")
    print(f"🟢 Занято: {status['busy']}/{total}")
    if status["stale"]:
        print(f"🔴 Без пульса (stale): {status['stale']}/{total}")
    if not status["slots"]:
        print("no slots registered: are the workers running?")
        return
    header = f"{'SLOT':<22} {'STATUS':<11} {'CLIENT':<12} {'BOT':<24} {'SINCE':<26} HEARTBEAT"
    print()
    print(header)
    for s in status["slots"]:
        age = "—" if s["heartbeat_age"] is None else f"{s['heartbeat_age']:.0f}s ago"
        state = s["status"] + (" STALE" if s["stale"] else "")
        bot = f"@{s['bot_username']}" if s["bot_username"] else "—"
        print(
            f"{s['container_id']:<22} {state:<11} {s['client_id'] or '—':<12} {bot:<24} "
            f"{s['since'] or '—':<26} {age}"
        )
        if s.get("last_error"):
            print(f"{'':<22} last error: {s['last_error']}")
        for name in ("polling_error", "resume_error"):
            if s.get(name):
                print(f"{'':<22} {name.replace('_', ' ')}: {s[name]}")


async def _run(args, settings: Settings) -> int:
    if args.command == "grow":
        scaler = scaler_from_settings(settings)
        if scaler is None:
            raise CliError("SUPERVISOR_URL is not set: cannot add slots")
        result = await scaler.grow(args.by)
        print(
            f"added slots {', '.join(map(str, result.added))}: "
            f"{result.size_before} → {result.size_after}"
        )
        return 0
    if args.command == "migrate":
        return await _migrate(settings)
    if args.command == "redis-users":
        return await _redis_users(settings, disable_default=args.disable_default)
    if args.command == "rotate-key":
        return await _rotate_key(args, settings)

    cipher = cipher_from_settings(settings)
    with_db = args.command in ("release", "activate")
    async with _connections(settings, with_db=with_db) as (redis, db):
        manager = BotPoolManager(
            redis,
            cipher,
            stale_after=settings.heartbeat_stale_after,
            release_store=SlotStore(db, cipher) if db is not None else None,
        )
        if args.command == "status":
            status = await manager.get_pool_status()
            problems = pool_problems(status)
            if args.json:
                status = {**status, "healthy": not problems, "problems": problems}
                print(json.dumps(status, ensure_ascii=False, indent=2))
            else:
                _print_status(status)
                if problems:
                    print(f"\nUNHEALTHY: {'; '.join(problems)}")
            return 1 if problems else 0
        if args.command == "activate":
            return await _activate(args, manager, db)
        if args.command == "release":
            result = await manager.release_bot(args.slot, reason=args.reason, timeout=args.timeout)
            who = result["client_id"] or "no tenant"
            print(f"{result['container_id']}: {result['detail']} ({who})")
            return 0
    raise CliError(f"unknown command {args.command}")


async def _migrate(settings: Settings) -> int:
    cipher = cipher_from_settings(settings) if settings.token_encryption_key else None
    db = await pool_from_settings(settings)
    try:
        async with db.acquire() as conn:
            applied = await migrate_all(conn, cipher)
            running = await open_client_ids(conn)
    finally:
        await db.close()
    for schema, names in applied.items():
        print(f"{schema}: {', '.join(names) if names else 'up to date'}")
    if cipher is None:
        print("tenant roles: skipped (TOKEN_ENCRYPTION_KEY is not set)")
        return 0
    print(f"tenant roles: {len(applied) - 1} tenant(s) run as their own role")
    redis = make_redis(settings)
    try:
        restored = await restore_tenant_redis_users(redis, cipher, running)
    except NoPermissionError:
        print("redis tenant users: skipped (this Redis user may not run ACL; Sales restores them)")
    except REDIS_ERRORS as exc:
        print(f"redis tenant users: skipped (Redis unreachable: {type(exc).__name__})")
    else:
        print(f"redis tenant users: {len(running)} running, {len(restored)} created")
    finally:
        await redis.aclose()
    return 0


async def _redis_users(settings: Settings, *, disable_default: bool) -> int:
    cipher = cipher_from_settings(settings)
    async with _connections(settings, with_db=True) as (redis, db):
        for user, variable in redis_acl.SERVICE_PASSWORD_ENV.items():
            password = os.environ.get(variable)
            if not password:
                print(f"{user}: skipped ({variable} is not set)")
                continue
            await redis_acl.set_user(redis, user, redis_acl.service_rules(user, password))
            print(f"{user}: set")
        async with db.acquire() as conn:
            running = await open_client_ids(conn)
        restored = await restore_tenant_redis_users(redis, cipher, running)
        print(f"tenant users: {len(running)} running, {len(restored)} created")
        if disable_default:
            if (settings.redis_username or "default") == "default":
                raise CliError("connected as `default`: set REDIS_USERNAME to the admin user first")
            await redis.execute_command("ACL", "SETUSER", "default", "off")
            print("default: off")
        saved = await redis_acl.save(redis)
        print("saved to the aclfile" if saved else "not saved: this server has no aclfile")
    return 0


def _read_token(args) -> str:
    if args.token_file:
        try:
            with open(args.token_file, encoding="utf-8") as file:
                return file.readline().strip()
        except OSError as exc:
            raise CliError(f"cannot read --token-file: {exc.strerror}") from None
    return sys.stdin.readline().strip()


async def _may_run(args, db) -> None:
    """The "may run" rule, as the operator meets it: a client without a subscription gets an
    operator grant of `--days`; a suspended one, or one whose subscription ended, is refused."""
    try:
        check_client_id(args.client)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if args.days < 1:
        raise CliError("--days must be at least 1")
    async with db.acquire() as conn:
        refusal = await run_refusal(conn, args.client)
        if refusal == RunRefusal.SUSPENDED:
            raise CliError(
                f"{args.client} is suspended by the operator: resume it (Master Bot, /clients)"
                " before activating it"
            )
        until = await grant_operator_period(conn, args.client, args.days, "booking-pool activate")
        if until is not None:
            print(f"operator grant: {args.client} may run until {until:%Y-%m-%d %H:%M} UTC")
        refusal = await run_refusal(conn, args.client)
    if refusal is not None:
        raise CliError(
            f"{args.client} may not run ({refusal.replace('_', ' ')}): extend its subscription"
            " (Master Bot) first"
        )


async def _activate(args, manager: BotPoolManager, db) -> int:
    token = _read_token(args)
    await _may_run(args, db)
    slot = args.slot
    if slot == "auto":
        free = await manager.find_free_bot()
        if free is None:
            raise CliError("no free slot: every slot is busy or down")
        slot = free["container_id"]
    activation_id = await manager.activate_bot(slot, token, args.admin, args.client, args.company)
    if args.no_wait:
        print(f"{slot}: configuration handed over (activation {activation_id})")
        return 0
    result = await manager.wait_for_activation(slot, activation_id, timeout=args.timeout)
    if not result.ok:
        print(f"❌ {slot}: activation of {args.client} failed: {result.error}", file=sys.stderr)
        return 1
    print(
        f"✅ {slot}: active, {result.client_id} @{result.bot_username} "
        f"({result.duration_ms} ms in the worker)"
    )
    return 0


def _token_in_argv(argv: list[str]) -> bool:
    for i, arg in enumerate(argv):
        if arg.startswith("--token="):
            value = arg.split("=", 1)[1]
        elif arg == "--token" and i + 1 < len(argv):
            value = argv[i + 1]
        else:
            continue
        if value != "-":
            return True
    return False


ROTATE_ROUNDS = 3  # whole runs when another writer changed rows during a run
UNREADABLE_SHOWN = 50


def _column_line(c: ColumnReport) -> str:
    if not c.present:
        return f"{c.column.name}: no such table yet, skipped"
    line = (
        f"{c.column.name}: {c.seen} seen, {c.reencrypted} re-encrypted, {c.current} already current"
    )
    if c.changed_meanwhile:
        line += f", {c.changed_meanwhile} changed meanwhile by another writer"
    return line


def _print_unreadable(report: RotationReport) -> None:
    rows = report.unreadable
    for name, key in rows[:UNREADABLE_SHOWN]:
        print(f"  {name}  key {key}", file=sys.stderr)
    if len(rows) > UNREADABLE_SHOWN:
        print(f"  … and {len(rows) - UNREADABLE_SHOWN} more", file=sys.stderr)


async def _rotate_key(args, settings: Settings) -> int:
    cipher = cipher_from_settings(settings)
    print(
        f"TOKEN_ENCRYPTION_KEY holds {cipher.key_count} key(s): "
        "re-encrypting every stored secret with the first one"
    )
    db = await pool_from_settings(settings)
    try:
        async with db.acquire() as conn:
            for _ in range(ROTATE_ROUNDS):
                try:
                    report = await rotate_keys(
                        conn,
                        cipher,
                        batch_size=args.batch_size,
                        progress=lambda c: print(f"  {_column_line(c)}", flush=True),
                    )
                except asyncpg.PostgresError as exc:
                    raise CliError(
                        f"PostgreSQL refused: {type(exc).__name__}: {exc} (rotate-key runs as "
                        "the database owner: the DATABASE_URL of the admin environment)"
                    ) from None
                if not report.changed_meanwhile or not report.rewritten:
                    break
                print(f"{report.changed_meanwhile} row(s) changed during the run: checking again")
    finally:
        await db.close()
    if not report.rewritten:
        print(
            f"error: {len(report.unreadable)} stored value(s) cannot be decrypted with any key in "
            "TOKEN_ENCRYPTION_KEY; nothing was re-encrypted:",
            file=sys.stderr,
        )
        _print_unreadable(report)
        print(
            "Add the key they were encrypted with to TOKEN_ENCRYPTION_KEY (after the first one), "
            "or replace those values, then run rotate-key again.",
            file=sys.stderr,
        )
        return 1
    print("summary:")
    for c in report.columns:
        print(f"  {_column_line(c)}")
    if report.unreadable:
        print(
            f"error: {len(report.unreadable)} value(s) were replaced during the run by values no "
            "key decrypts (everything else is on the first key):",
            file=sys.stderr,
        )
        _print_unreadable(report)
        return 1
    if report.changed_meanwhile:
        print(
            "error: rows kept changing while rotate-key ran; run it again when it is quieter",
            file=sys.stderr,
        )
        return 1
    print(
        "done: every stored secret is on the first key"
        + (
            "; the other keys may now be removed from TOKEN_ENCRYPTION_KEY"
            if cipher.key_count > 1
            else ""
        )
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    redact_all_output()
    argv = sys.argv[1:] if argv is None else argv
    if _token_in_argv(argv):
        # not argparse's error: it would print the value, i.e. the token
        print(
            "error: a bot token on the command line is visible to every user (ps, shell history):"
            " pass --token - and the token on standard input, or --token-file PATH",
            file=sys.stderr,
        )
        return 2
    args = build_parser().parse_args(argv)
    if args.command == "genkey":
        print(TokenCipher.generate_key())
        return 0
    try:
        settings = Settings()
    except Exception as exc:  # pydantic's message names the bad variable
        print(f"error: bad settings: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_run(args, settings))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (
        PoolError,
        CliError,
        ScalerError,
        TokenCipherError,
        MigrationError,
        RotationError,
        ConnectionError,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
