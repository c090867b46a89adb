"""`booking-sandbox-telegram` / `python -m sandbox.telegram`: run the fake Telegram.

Prints `sandbox telegram listening on http://HOST:PORT` once bound (with `--port 0` the port is
picked by the system), then serves until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from sandbox.telegram.app import SandboxServer
from sandbox.telegram.errors import ControlError
from sandbox.telegram.state import SandboxState


def _bot_spec(value: str) -> tuple[str, str]:
    token, sep, username = value.rpartition("=")
    if not sep or not token or not username:
        raise argparse.ArgumentTypeError("expected TOKEN=USERNAME")
    return token, username


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="booking-sandbox-telegram", description="A local stand-in for the Telegram Bot API."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument(
        "--bot",
        action="append",
        default=[],
        type=_bot_spec,
        metavar="TOKEN=USERNAME",
        help="register a bot at start (repeatable)",
    )
    parser.add_argument(
        "--flood-limit",
        type=int,
        default=None,
        help="answer 429 above this many messages per second per bot (default: no limit)",
    )
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--access-log", action="store_true", help="log every request")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    state = SandboxState(flood_limit=args.flood_limit)
    for token, username in args.bot:
        try:
            state.register_bot(token, username)
        except ControlError as error:
            raise SystemExit(f"--bot …={username}: {error.message}") from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    server = SandboxServer(state, host=args.host, port=args.port, access_log=args.access_log)
    await server.start()
    try:
        print(f"sandbox telegram listening on {server.url}", flush=True)
        await stop.wait()
    finally:
        await server.close()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from core.logs import setup_logging

    setup_logging(args.log_level, ident="sandbox-telegram")
    try:
        asyncio.run(serve(args))
    except OSError as error:  # e.g. the port is taken
        print(f"sandbox telegram: {error}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
