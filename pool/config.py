"""The activation config handed to a slot through `bot_config:<slot>`, and its validation.

The token travels encrypted with `TOKEN_ENCRYPTION_KEY` (Redis persists to disk; the key lives
there up to 300 s), and is checked on both sides: by the manager before writing and by the worker
after taking it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from core.crypto import TokenCipher, TokenCipherError
from core.keys import CLIENT_ID_RE
from core.tokens import is_token_format

COMPANY_MAX = 200


class ConfigError(ValueError):
    """The config (or an argument of `activate_bot`) is invalid; the message says why."""


def check_token(token: str) -> str:
    if not is_token_format(token):
        raise ConfigError(
            "malformed bot token: expected the form 123456789:AA… as given by @BotFather"
        )
    return token


def check_admin_id(value) -> int:
    try:
        admin = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"bad admin Telegram id {value!r}: expected a positive number") from None
    if admin <= 0 or admin >= 2**63:
        raise ConfigError(f"bad admin Telegram id {value!r}: expected a positive number")
    return admin


def check_client(client_id) -> str:
    if not isinstance(client_id, str) or not CLIENT_ID_RE.fullmatch(client_id):
        raise ConfigError(
            f"bad client id {client_id!r}: expected client_NNN (three or more digits)"
        )
    return client_id


def check_company(name) -> str:
    text = " ".join(str(name or "").split())
    if not text:
        raise ConfigError("company name is empty")
    if len(text) > COMPANY_MAX:
        raise ConfigError(f"company name is longer than {COMPANY_MAX} characters")
    return text


@dataclass(frozen=True)
class ActivationConfig:
    activation_id: str
    bot_token: str
    admin_telegram_id: int
    client_id: str
    company_name: str

    @classmethod
    def create(cls, *, activation_id, bot_token, admin_telegram_id, client_id, company_name):
        return cls(
            activation_id=str(activation_id),
            bot_token=check_token(bot_token),
            admin_telegram_id=check_admin_id(admin_telegram_id),
            client_id=check_client(client_id),
            company_name=check_company(company_name),
        )

    def dumps(self, cipher: TokenCipher, requested_at: str) -> str:
        return json.dumps(
            {
                "activation_id": self.activation_id,
                "bot_token_encrypted": cipher.encrypt(self.bot_token),
                "admin_telegram_id": self.admin_telegram_id,
                "client_id": self.client_id,
                "company_name": self.company_name,
                "requested_at": requested_at,
            },
            ensure_ascii=False,
        )

    @classmethod
    def loads(cls, raw: str, cipher: TokenCipher) -> ActivationConfig:
        try:
            data = json.loads(raw)
        except (TypeError, ValueError):
            raise ConfigError("config is not valid JSON") from None
        if not isinstance(data, dict):
            raise ConfigError("config is not a JSON object")
        try:
            token = cipher.decrypt(str(data.get("bot_token_encrypted", "")))
        except TokenCipherError as exc:
            raise ConfigError(str(exc)) from None
        return cls.create(
            activation_id=data.get("activation_id") or "",
            bot_token=token,
            admin_telegram_id=data.get("admin_telegram_id"),
            client_id=data.get("client_id"),
            company_name=data.get("company_name"),
        )
