"""`booking-sandbox-yookassa` / `python -m sandbox.yookassa`: run the fake YooKassa.

Prints `sandbox yookassa listening on http://HOST:PORT` once bound (`--port 0` picks a port);
point `YOOKASSA_API_URL` at `<that>/v3`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys

from sandbox.yookassa.app import YooKassaServer, YooKassaState


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="booking-sandbox-yookassa", description="A local stand-in for the YooKassa API."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082, help="0 picks a free port")
    parser.add_argument("--shop-id", default=os.environ.get("YOOKASSA_SHOP_ID") or "100500")
    parser.add_argument(
        "--secret-env",
        default="YOOKASSA_SECRET_KEY",
        help="environment variable holding the secret key (kept off the command line)",
    )
    parser.add_argument("--webhook-url", default=None, help="where notifications are POSTed")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    secret = os.environ.get(args.secret_env) or "test_sandbox_secret"
    state = YooKassaState(args.shop_id, secret, webhook_url=args.webhook_url)
    server = YooKassaServer(state, args.host, args.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await server.start()
    try:
        print(f"sandbox yookassa listening on {server.url}", flush=True)
        await stop.wait()
    finally:
        await server.close()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        asyncio.run(serve(args))
    except OSError as error:
        print(f"sandbox yookassa: {error}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
