"""Loguru, configured once per entry point, with the standard `logging` routed in.

Every line passes through `redact()`, so a bot token or a DSN password that slips into a message
or a traceback never reaches the log. A slot's lines carry `slot` and, once active, `client`.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys

from loguru import logger

from core.tokens import redact

FORMAT = "{time:YYYY-MM-DD HH:mm:ss.SSS} | {level: <7} |{extra[slot_part]}{extra[client_part]} | {message}"
SYSLOG_FORMAT = "{level} {extra[slot_part]}{extra[client_part]} {message}"


class InterceptHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        logger.opt(depth=6, exception=record.exc_info).log(level, record.getMessage())


def _patch(record) -> None:
    extra = record["extra"]
    extra.setdefault("ident", "")
    slot = extra.get("slot")
    client = extra.get("client")
    extra["slot_part"] = f" [{slot}]" if slot else ""
    extra["client_part"] = f" [{client}]" if client else ""


class _RedactingStream:
    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, message: str) -> None:
        self._stream.write(redact(message))
        self._stream.flush()


class _RedactingSyslog:
    def __init__(self, ident: str, address: str) -> None:
        self._handler = logging.handlers.SysLogHandler(address=address)
        self._handler.ident = f"{ident}: "

    def write(self, message: str) -> None:
        record = logging.LogRecord(
            "booking", message.record["level"].no, "", 0, redact(str(message)).rstrip(), None, None
        )
        self._handler.emit(record)


def setup_logging(level: str = "INFO", *, ident: str = "", syslog_address: str | None = None):
    """Configure loguru for this process; returns the bound logger to use."""
    logger.remove()
    logger.configure(patcher=_patch, extra={"ident": ident})
    logger.add(
        _RedactingStream(sys.stderr),
        level=level.upper(),
        format=FORMAT,
        colorize=False,
        diagnose=False,
        backtrace=False,
    )
    if syslog_address:
        logger.add(
            _RedactingSyslog(ident or "booking", syslog_address),
            level=level.upper(),
            format=SYSLOG_FORMAT,
            colorize=False,
            diagnose=False,
        )
    logging.basicConfig(handlers=[InterceptHandler()], level=0, force=True)
    for name in ("aiogram", "asyncpg", "aiohttp"):
        logging.getLogger(name).setLevel(logging.INFO)
    # aiogram logs every handled update at INFO; keep it at WARNING unless debugging.
    if level.upper() != "DEBUG":
        logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    return logger
