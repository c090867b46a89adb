"""The JSON documents under `bot_status:<slot>` and the small helpers around them."""

from __future__ import annotations

import json
import os
import socket
import time
from datetime import UTC, datetime
from enum import StrEnum


class SlotStatus(StrEnum):
    """`status` in `bot_status:<slot>` (a contract: the Master, the CLI and the Lua scripts in
    `pool.scripts` read these values)."""

    WAITING = "waiting"  # free: takes the next configuration
    RESERVED = "reserved"  # `find_free_bot` picked it; `activate_bot` follows
    ACTIVATING = "activating"  # its configuration is handed over
    ACTIVE = "active"  # runs a tenant's bot
    RESUMING = "resuming"  # coming back as the tenant of its open assignment


# What `parse` reports for a document that is not a JSON object (never written by a worker).
CORRUPT = "corrupt"


class RejectionCode(StrEnum):
    """Why a worker refused an activation: `code` of its acknowledgement, so that callers need
    not parse the error text."""

    INVALID_CONFIG = "invalid_config"
    TENANT_ACTIVE = "tenant_active"  # the tenant runs in another slot already
    NOT_ALLOWED = "not_allowed"  # suspended or not paid: PostgreSQL refused the assignment
    TOKEN_REJECTED = "token_rejected"
    TELEGRAM_UNREACHABLE = "telegram_unreachable"
    SCHEMA_FAILED = "schema_failed"
    WORKER_ERROR = "worker_error"


WAITING_LINE = "⏳ Waiting for configuration from Sales Bot..."
# The reason recorded (status, history, acknowledgement) when Telegram refuses a tenant's token.
TOKEN_REJECTED = "token rejected by Telegram (401 Unauthorized)"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# Set by the spawner in a forked slot: the pid of its launcher, the process supervisor runs.
LAUNCHER_PID_ENV = "BOT_POOL_LAUNCHER_PID"


def _pids() -> dict[str, int]:
    """`pid`: the slot's program as `supervisorctl status` shows it; `fork_pid`: the process
    that runs the slot when the spawner forked it."""
    launcher = os.environ.get(LAUNCHER_PID_ENV, "")
    if launcher.isdigit():
        return {"pid": int(launcher), "fork_pid": os.getpid()}
    return {"pid": os.getpid()}


def status_doc(slot: str, pool_id: int, status: SlotStatus, **fields) -> str:
    doc = {
        "status": status,
        "slot": slot,
        "pool_id": pool_id,
        **_pids(),
        "host": socket.gethostname(),
        "since": now_iso(),
    }
    doc.update({k: v for k, v in fields.items() if v is not None})
    return json.dumps(doc, ensure_ascii=False)


def parse(raw: str | None) -> dict | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return {"status": CORRUPT}
    return value if isinstance(value, dict) else {"status": CORRUPT}


def unix_now() -> float:
    return time.time()
