"""Loguru, configured once per entry point, with the standard `logging` routed in.

Every line passes through `redact()`, so a bot token or a DSN password that slips into a message
or a traceback never reaches the log; uncaught tracebacks are logged (not printed raw), and the
process's stdout and stderr redact as well. A slot's lines carry `slot` and, once active, `client`.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import threading

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


class RedactingTextStream:
    """`sys.stderr` / `sys.stdout` of a service: whatever writes there (a library's print, a
    warning) passes through `redact()` too. Line-buffered, so a token split across two writes
    is still seen whole."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        if "\n" in self._pending:
            done, self._pending = self._pending.rsplit("\n", 1)
            self._stream.write(redact(done + "\n"))
            self._stream.flush()
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._stream.write(redact(self._pending))
            self._pending = ""
        self._stream.flush()

    def __getattr__(self, name):  # fileno, isatty, encoding, buffer...
        return getattr(self._stream, name)


def _log_uncaught(exc_type, exc, tb) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    logger.opt(exception=(exc_type, exc, tb)).critical("uncaught exception")


def _log_uncaught_in_thread(args) -> None:
    if args.exc_type is SystemExit:
        return
    logger.opt(exception=(args.exc_type, args.exc_value, args.exc_traceback)).critical(
        "uncaught exception in thread {}", args.thread.name if args.thread else "?"
    )


def redact_all_output() -> None:
    """Uncaught tracebacks go through the (redacting) log instead of straight to stderr, and
    stdout/stderr themselves redact: no output path of the process shows a token."""
    if not isinstance(sys.stderr, RedactingTextStream):
        sys.stderr = RedactingTextStream(sys.stderr)
    if not isinstance(sys.stdout, RedactingTextStream):
        sys.stdout = RedactingTextStream(sys.stdout)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread


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
    redact_all_output()
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
