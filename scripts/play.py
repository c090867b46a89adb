"""Play a user, a payer or the clock against a running `make demo-keep`.

After `source <run dir>/demo.env` (the demo prints the line):

    python -m scripts.play say   anna_salon_bot 555000111 /start
    python -m scripts.play press anna_salon_bot 555000111 "Записаться"
    python -m scripts.play contact anna_salon_bot 555000111 +79991234567
    python -m scripts.play show  anna_salon_bot 555000111
    python -m scripts.play botfather my_demo_bot   # a new bot and its token, as @BotFather
    python -m scripts.play pay                 # the newest pending YooKassa payment
    python -m scripts.play clock +1d           # tenant bots and Sales' checks: a day later
    python -m scripts.play clock 2030-03-04T09:00+03:00
    python -m scripts.play clock now           # back to the real time

`say`, `press` and `contact` print what the bot answered (messages and edits); `show` prints the
whole chat. The chat lives in the Telegram stand-in (`TELEGRAM_API_BASE`), the payments in the
YooKassa stand-in (`YOOKASSA_API_URL`), the time in `BOOKING_CLOCK_FILE`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bots.clock import FileClock, write_clock_file
from sandbox.telegram.client import SandboxError, SandboxTelegram
from sandbox.yookassa.client import SandboxYooKassa

QUIET = 1.5  # after the first answer, further messages of the same answer arrive within this
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def render(message: dict[str, Any], names: tuple[str, str] = ("🤖 bot ", "👤 user")) -> list[str]:
    """A chat message as the demo prints it: who, the text, then its inline buttons."""
    who = names[0] if message["from"] == "bot" else names[1]
    text = "[удалено ботом]" if message.get("deleted") else (message.get("text") or "")
    if message.get("document"):
        text = text or f"[файл {message['document'].get('file_name', '')}]"
    pad = " " * len(who)
    lines = [
        f"{who if i == 0 else pad} | {line}" for i, line in enumerate(text.splitlines() or [""])
    ]
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        lines.append(f"{pad} | " + "  ".join(f"[{b['text']}]" for b in row))
    for row in (message.get("reply_markup") or {}).get("keyboard", []):
        lines.append(f"{pad} | " + "  ".join(f"⌨ {b['text']}" for b in row))
    return lines


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise SystemExit(f"{name} is not set: run `source <run dir>/demo.env` first")
    return value


async def _first(tg: SandboxTelegram, command: str, bot: str, user: int, value: str):
    """Act as the user and return the bot's first answer (a message or an edit)."""
    if command == "press":
        return await tg.click(bot, user, value, timeout=15)
    if command == "contact":
        sent = await tg.send_contact(bot, user, value)
    else:
        sent = await tg.send_message(bot, user, value)
    return await tg.wait_for_reply(bot, user, after=sent["message_id"], timeout=15)


async def _act(command: str, bot: str, user: int, value: str) -> int:
    async with SandboxTelegram(_env("TELEGRAM_API_BASE")) as tg:
        if command == "show":
            for message in await tg.transcript(bot, user):
                print("\n".join(render(message)))
            return 0
        try:
            reply = await _first(tg, command, bot, user, value)
        except SandboxError as exc:  # no such button, or no answer within 15 s
            print(exc.description, file=sys.stderr)
            return 1
        while True:  # the rest of the answer follows within QUIET seconds of each part
            print("\n".join(render(reply)))
            try:
                reply = await tg.wait_for_reply(bot, user, since=reply["seq"], timeout=QUIET)
            except SandboxError:
                return 0


async def _botfather(username: str) -> int:
    token = f"{secrets.randbelow(10**9) + 7 * 10**9}:AA{secrets.token_urlsafe(26)[:33]}"
    async with SandboxTelegram(_env("TELEGRAM_API_BASE")) as tg:
        await tg.register_bot(token, username)
    print(f"@{username} created. Its token (send it to the Sales Bot when it asks):\n{token}")
    return 0


async def _pay(payment_id: str | None) -> int:
    base = re.sub(r"/v3/?$", "", _env("YOOKASSA_API_URL"))
    async with SandboxYooKassa(base) as yk:
        if payment_id is None:
            pending = [p for p in await yk.payments() if p["status"] == "pending"]
            if not pending:
                print("no pending payment: buy a bot in the Sales Bot first (/start → buy)")
                return 1
            payment_id = pending[-1]["id"]
        result = await yk.succeed(payment_id)
    print(f"payment {payment_id} succeeded; notification delivered: {result['delivered']}")
    return 0


def parse_when(text: str, now: datetime) -> datetime | None:
    """`+2h`, `+3d`, `-30m`, an ISO instant with its zone, or `now` (None: the real time)."""
    if text == "now":
        return None
    shift = re.fullmatch(r"([+-])(\d+(?:\.\d+)?)([mhd])", text)
    if shift:
        sign = 1 if shift.group(1) == "+" else -1
        return now + sign * timedelta(**{_UNITS[shift.group(3)]: float(shift.group(2))})
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError("give the zone too, e.g. 2030-03-04T09:00+03:00")
    return value


def _clock(text: str) -> int:
    path = Path(_env("BOOKING_CLOCK_FILE"))
    try:
        when = parse_when(text, FileClock(path).now())
    except ValueError as exc:
        raise SystemExit(f"cannot read {text!r}: {exc}") from None
    if when is None:
        path.unlink(missing_ok=True)
        print(f"clock: the real time, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    else:
        write_clock_file(path, when)
        print(f"clock: {when.astimezone(UTC):%Y-%m-%d %H:%M} UTC for tenant bots and Sales' checks")
    print("(reminders and subscription checks see it at their next round)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.play", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, what in (
        ("say", "the user writes TEXT to the bot"),
        ("press", "the user presses the inline button labelled TEXT (or containing it)"),
        ("contact", "the user shares their phone number TEXT"),
        ("show", "the whole chat"),
    ):
        sub = commands.add_parser(name, help=what)
        sub.add_argument("bot", help="the bot's username, e.g. anna_salon_bot")
        sub.add_argument("user", type=int, help="the user's Telegram id")
        if name != "show":
            sub.add_argument("text", nargs="+")
    botfather = commands.add_parser("botfather", help="create a bot in the sandbox, get its token")
    botfather.add_argument("username", help="ends with bot, e.g. my_demo_bot")
    pay = commands.add_parser("pay", help="pay a pending YooKassa payment (default: the newest)")
    pay.add_argument("payment_id", nargs="?")
    clock = commands.add_parser("clock", help="move the clock: +2h, +3d, an ISO time, or now")
    clock.add_argument("when")
    args = parser.parse_args(argv)
    if args.command == "botfather":
        return asyncio.run(_botfather(args.username))
    if args.command == "pay":
        return asyncio.run(_pay(args.payment_id))
    if args.command == "clock":
        return _clock(args.when)
    return asyncio.run(_act(args.command, args.bot, args.user, " ".join(getattr(args, "text", []))))


if __name__ == "__main__":
    sys.exit(main())
