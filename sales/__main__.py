"""`booking-sales` / `python -m sales`: the Sales Bot, its YooKassa webhook and its loops."""

from __future__ import annotations

import asyncio
import signal

from core.crypto import TokenCipherError
from core.logs import setup_logging
from core.settings import Settings


async def run(settings: Settings, log) -> None:
    from core.migrations import MigrationError
    from sales.app import SalesConfigError, SalesService

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    service = SalesService(settings, log)
    try:
        await service.start()
    except (SalesConfigError, TokenCipherError, ConnectionError, MigrationError) as exc:
        await service.stop()
        raise SystemExit(f"sales: {exc}") from None
    try:
        await stop.wait()
    finally:
        log.info("stopping")
        await service.stop()


def main() -> None:
    settings = Settings()
    log = setup_logging(
        settings.log_level,
        ident="booking-sales",
        syslog_address=settings.log_syslog_address if settings.log_syslog else None,
    )
    asyncio.run(run(settings, log))


if __name__ == "__main__":
    main()
