"""Recognising and hiding Telegram bot tokens."""

from __future__ import annotations

import re

# `123456789:AA...` — a numeric bot id, a colon and a 35-character secret in real tokens.
TOKEN_RE = re.compile(r"(?P<bot_id>[0-9]{5,20}):[A-Za-z0-9_-]{30,100}")
# anywhere in a text, also URL-encoded (`%3A`, e.g. in a logged request URL)
_TOKEN_ANYWHERE = re.compile(r"([0-9]{5,20})(?::|%3[Aa])[A-Za-z0-9_-]{30,100}")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")


def is_token_format(token: str) -> bool:
    return isinstance(token, str) and TOKEN_RE.fullmatch(token) is not None


def contains_token(text: str | None) -> bool:
    """Whether a text holds something shaped like a bot token (anywhere, also URL-encoded)."""
    return bool(text) and _TOKEN_ANYWHERE.search(text) is not None


def bot_id_from_token(token: str) -> int:
    match = TOKEN_RE.fullmatch(token)
    if match is None:
        raise ValueError("malformed bot token")
    return int(match.group("bot_id"))


def redact(text: str) -> str:
    """Hide tokens (keeping the public bot id) and passwords in URLs."""
    text = _TOKEN_ANYWHERE.sub(r"\1:***", text)
    return _URL_PASSWORD.sub(r"\1***@", text)
