"""`python -m master` / `booking-master`: the operators' Master Bot, alerts and metrics."""

import asyncio
import sys

from core.crypto import TokenCipherError
from core.logs import setup_logging
from core.settings import Settings
from master.app import run_master


def main() -> None:
    try:
        settings = Settings()
    except ValueError as exc:
        print(f"master: bad settings: {exc}", file=sys.stderr)
        sys.exit(2)
    log = setup_logging(
        settings.log_level,
        ident="booking-master",
        syslog_address=settings.log_syslog_address if settings.log_syslog else None,
    )
    try:
        asyncio.run(run_master(settings))
    except (ValueError, TokenCipherError, ConnectionError) as exc:
        log.error("cannot start: {}", exc)
        sys.exit(1)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
