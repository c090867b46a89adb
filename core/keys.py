"""Every Redis key name in one place. The seed's names are contracts (see DESIGN.md)."""

from __future__ import annotations

import re

CLIENT_ID_RE = re.compile(r"^client_[0-9]{3,}$")

STATUS_PREFIX = "bot_status:"
CONFIG_PREFIX = "bot_config:"


def bot_status(slot: str) -> str:
    """JSON status of one running slot; `KEYS bot_status:*` counts the pool."""
    return f"{STATUS_PREFIX}{slot}"


def bot_config(slot: str) -> str:
    """The hand-off: activation config for a slot, 300 s TTL, removed by the worker on pickup."""
    return f"{CONFIG_PREFIX}{slot}"


def bot_wake(slot: str) -> str:
    """A list the worker blocks on (BLPOP): activation nudges and release commands."""
    return f"bot_wake:{slot}"


def bot_ack(request_id: str) -> str:
    """A list the caller blocks on for the worker's answer to one activation or release."""
    return f"bot_ack:{request_id}"


def pool_heartbeats() -> str:
    """Sorted set: slot -> unix time of its last heartbeat."""
    return "bot_pool:heartbeats"


def status_pattern() -> str:
    return f"{STATUS_PREFIX}*"


def slot_from_status_key(key: str) -> str:
    return key.removeprefix(STATUS_PREFIX)


def check_client_id(client_id: str) -> str:
    if not isinstance(client_id, str) or not CLIENT_ID_RE.fullmatch(client_id):
        raise ValueError(f"bad client id {client_id!r}: expected client_NNN (three or more digits)")
    return client_id


def fsm_prefix(client_id: str) -> str:
    """aiogram's DefaultKeyBuilder prefix; keys come out as `client_NNN:fsm:*`."""
    return f"{check_client_id(client_id)}:fsm"


def ratelimit(client_id: str, user_id: int) -> str:
    return f"{check_client_id(client_id)}:ratelimit:{int(user_id)}"


def tenant_updates() -> str:
    """Hash: client id -> Telegram updates handled by its bot (for the metrics endpoint)."""
    return "metrics:tenant_updates"


def master_alerts() -> str:
    """Hash: alert key -> JSON of an alert that was sent and has not cleared yet."""
    return "master:alerts"


def master_alert_cursor() -> str:
    """Last `platform.activation_history` id already turned into alerts."""
    return "master:alerts:history_cursor"


def sales_ratelimit(what: str, user_id: int) -> str:
    """A Sales Bot user's fixed-window counter: `updates` (every message and button) or
    `orders` (summaries confirmed, each of which creates a YooKassa payment)."""
    if what not in ("updates", "orders"):
        raise ValueError(f"unknown Sales rate limit {what!r}")
    return f"sales:ratelimit:{what}:{int(user_id)}"


def sales_fsm_prefix() -> str:
    """aiogram's DefaultKeyBuilder prefix of the Sales Bot; keys come out as `sales:fsm:*`."""
    return "sales:fsm"
